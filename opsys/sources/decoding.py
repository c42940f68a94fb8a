"""Bytes of a text file (form, lead list, note, CRM export) into text, saying when the encoding was guessed.

UTF-8 with or without BOM, UTF-16 with BOM (Excel "Unicode text"), else Windows-1252 with a
warning. A file whose lines mix UTF-8 and Windows-1252 (two exports pasted together) is read
line by line, so `José García` stays right on the UTF-8 lines and the others are still read.
"""

from __future__ import annotations

import codecs

from opsys.sources.errors import SourceError


def decode_text(data: bytes, name: str, kind: str, fix: str) -> tuple[str, list[str]]:
    """Text from UTF-8 (with or without BOM) or UTF-16 with BOM, else Windows-1252 plus a warning."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export.
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise SourceError(name, f"the file claims UTF-16 but is not valid {kind}", fix) from None
    if b"\0" in data:
        raise SourceError(name, f"this is a binary file, not {kind}", fix)
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as err:
        bad_at = err.start
    mixed = _mixed_lines(data, name)
    if mixed is not None:
        return mixed
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        # Bytes cp1252 leaves undefined; latin-1 maps every byte, so nothing is refused.
        text = data.decode("latin-1")
    warning = (
        f"{name} is not UTF-8 (bad byte at offset {bad_at}); read it as Windows-1252 - "
        "check accented letters and save the file as UTF-8"
    )
    return text, [warning]


def _mixed_lines(data: bytes, name: str) -> tuple[str, list[str]] | None:
    """Text read line by line when some lines are UTF-8 and others are not; None when no line is UTF-8."""
    lines = data.removeprefix(codecs.BOM_UTF8).split(b"\n")
    texts: list[str] = []
    legacy: list[int] = []
    utf8 = 0
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            texts.append(line.decode("ascii"))
            continue
        try:
            texts.append(line.decode("utf-8"))
            utf8 += 1
        except UnicodeDecodeError:
            try:
                texts.append(line.decode("cp1252"))
            except UnicodeDecodeError:  # bytes cp1252 leaves undefined
                texts.append(line.decode("latin-1"))
            legacy.append(number)
    if not utf8:
        return None
    shown = ", ".join(map(str, legacy[:10])) + (", ..." if len(legacy) > 10 else "")
    warning = (f"{name} mixes UTF-8 and Windows-1252 lines; read {len(legacy)} line(s) as Windows-1252 "
               f"(line {shown}) - check accented letters there and save the file as UTF-8")
    return "\n".join(texts), [warning]
