"""Jupyter notebooks as site pages: Markdown cells as they are, code cells as fenced Python.

Outputs are left out on purpose: a notebook run against the workspace holds client data, and the
team site must not publish it by accident.
"""

from __future__ import annotations

import json
import re
from pathlib import Path


class NotebookError(ValueError):
    """A file that is not a readable Jupyter notebook."""


def notebook_markdown(path: Path) -> str:
    """The page for one `.ipynb`; a broken notebook raises NotebookError naming the file."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise NotebookError(f"{path}: not a Jupyter notebook ({e}); save it again from Jupyter") from None
    parts: list[str] = []
    for cell in cells:
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        if not text.strip():
            continue
        if cell.get("cell_type") == "code":
            longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
            fence = "`" * max(3, longest + 1)  # longer than any backtick run inside the code
            parts.append(f"{fence}python\n{text.rstrip()}\n{fence}")
        elif cell.get("cell_type") == "markdown":
            parts.append(text.rstrip())
    if not any(p.startswith("# ") for p in parts):
        parts.insert(0, f"# {Path(path).stem.replace('-', ' ').capitalize()}")
    return "\n\n".join(parts) + "\n"
