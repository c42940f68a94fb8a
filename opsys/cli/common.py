"""What every command shares: the workspace option, error display, JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", envvar="OPSYS_WORKSPACE", help="Workspace folder (default: the repo root).",
                 show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]

state: dict[str, Path | None] = {"workspace": None}


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def workspace(given: Path | None = None):
    from opsys.workspace import resolve_workspace

    return resolve_workspace(given if given is not None else state["workspace"])


def runtime(given: Path | None = None):
    """Open config + store, turning user-fixable problems into a clear message and exit 2."""
    from opsys.config.loader import ConfigError
    from opsys.runtime import open_runtime
    from opsys.workspace import WorkspaceError

    try:
        return open_runtime(workspace(given))
    except ConfigError as e:
        fail(f"The system map is invalid; nothing was processed:\n{e}", 2)
    except WorkspaceError as e:
        fail(str(e), 2)


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given, folders as their visible files (sorted); a missing path stops the command."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(x for x in p.iterdir() if x.is_file() and not x.name.startswith("."))
        elif p.is_file():
            files.append(p)
        else:
            fail(f"{p}: no such file or folder", 2)
    return files
