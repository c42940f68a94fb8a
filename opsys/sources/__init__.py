"""Turn an outside file (mail, web form, call note, lead list) into plain InboundMessages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from opsys.records import InboundMessage
from opsys.sources.csvfile import parse_csv
from opsys.sources.email import parse_email
from opsys.sources.errors import SourceError
from opsys.sources.form import parse_form
from opsys.sources.limits import cap_message
from opsys.sources.note import parse_note

_READERS: dict[str, Callable[[bytes, str], list[InboundMessage]]] = {
    ".eml": lambda data, name: [parse_email(data, name)],
    ".json": lambda data, name: [parse_form(data, name)],
    ".txt": lambda data, name: [parse_note(data, name)],
    ".md": lambda data, name: [parse_note(data, name)],
    ".csv": parse_csv,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_READERS)

__all__ = ["SUPPORTED_SUFFIXES", "SourceError", "read_source"]


def read_source(path: Path, data: bytes | None = None) -> list[InboundMessage]:
    """Every message in one file, chosen by suffix and cut to the limits; `data` spares a second read."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        found = f"'{path.suffix}'" if path.suffix else "no suffix"
        raise SourceError(
            path.name, f"{found} is not a file type opsys reads",
            f"save it as one of {', '.join(SUPPORTED_SUFFIXES)} (mail as .eml, web forms as .json, "
            "call notes as .txt or .md, lead lists as .csv)",
        )
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as err:
            raise SourceError(
                path.name, f"the file cannot be read ({err.strerror})", "check it exists and that opsys may read it"
            ) from None
    return [cap_message(msg) for msg in reader(data, path.name)]
