"""How every command prints: one red line and an exit code for user errors, JSON for tools, and
nothing raw from the outside world (a lead's name may carry terminal escape codes)."""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
from typing import Annotated, Any, NoReturn

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
# C0 and C1 controls but tab and newline, DEL, and the bidi overrides/isolates that reorder what is shown
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


ByOpt = Annotated[str | None, typer.Option("--by", help="Who is acting, for the audit log (default: "
                                           "$OPSYS_USER, else your login name).", show_default=False)]


def acting_person(by: str | None) -> str:
    """Who runs a command, for the audit log: --by, else $OPSYS_USER, else the login name."""
    return by or os.environ.get("OPSYS_USER") or getpass.getuser()


def clean(text: object) -> str:
    """Text safe to print on a terminal: no escape sequences (window title, clear screen, clipboard)."""
    return _UNSAFE.sub("", "" if text is None else str(text))


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(clean(message), fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    """JSON escapes control characters itself, so the values stay exact."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
