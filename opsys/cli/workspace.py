"""The workspace every command works on (-w / $OPSYS_WORKSPACE / the repo), opened into an App."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opsys.cli.output import fail

if TYPE_CHECKING:
    from opsys.app import App, Clock
    from opsys.workspace import Workspace

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", envvar="OPSYS_WORKSPACE", help="Workspace folder (default: the repo root).",
                 show_default=False),
]

state: dict[str, Path | None] = {"workspace": None}


def workspace(given: Path | None = None) -> "Workspace":
    from opsys.workspace import resolve_workspace

    return resolve_workspace(given if given is not None else state["workspace"])


def open_app_or_exit(given: Path | None = None, clock: "Clock | None" = None) -> "App":
    """Open config + store, turning user-fixable problems into a clear message and exit 2.
    `clock` replaces the real one (`opsys tick --now`)."""
    from opsys.app import open_app, system_clock
    from opsys.config.loader import ConfigError
    from opsys.workspace import WorkspaceError

    try:
        return open_app(workspace(given), clock=clock or system_clock)
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
