"""Labels people corrected (`opsys inquiry relabel`), kept as examples the classifier learns from.

They live in `var/corrections/examples.yml`, not in git: they quote what clients wrote. The
classifier trains on system_map/examples plus these, so its cache key (the examples' content)
changes with every correction and the next run refits once.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from opsys.config.models import Example

FILE = Path("corrections") / "examples.yml"


def corrections_path(var: Path) -> Path:
    return Path(var) / FILE


def read_corrections(path: Path) -> list[Example]:
    """The corrected examples; a damaged file names itself and is skipped, never stops intake."""
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        return [Example.model_validate(item) for item in data]
    except Exception as e:  # noqa: BLE001 — a hand-edited file gone wrong must not stop classification
        import logging

        logging.getLogger(__name__).warning("%s is not a list of {text, category, is_lead}, ignored: %s", path, e)
        return []


def add_correction(path: Path, example: Example) -> int:
    """Append one corrected example (the same text again replaces its earlier label); returns how many are kept."""
    kept = [e for e in read_corrections(path) if e.text != example.text] + [example]
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"text": e.text, "category": e.category, "is_lead": e.is_lead} for e in kept]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".examples-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# Labels corrected with `opsys inquiry relabel`; the classifier learns from them.\n")
        yaml.safe_dump(rows, fh, allow_unicode=True, sort_keys=False, width=100)
    os.replace(tmp, path)
    return len(kept)
