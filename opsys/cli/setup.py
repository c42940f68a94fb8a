"""`opsys init`, `opsys check`, `opsys demo`: set up, validate, and show the whole flow once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from opsys.cli.output import JsonOpt, clean, fail, print_json
from opsys.cli.workspace import state, workspace


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("check")(check)
    app.command("demo")(demo)


def init(
    directory: Annotated[Path | None, typer.Argument(
        help="Folder to create the workspace in (default: the -w workspace, else this folder).",
        show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        help="Overwrite system_map/, sops/, notebooks/ and mkdocs.yml if present.")] = False,
) -> None:
    """Scaffold a ready-to-run workspace (system map, SOPs, notebooks, mkdocs.yml, var/) from the repo's template."""
    from opsys.workspace import WorkspaceError, init_workspace

    target = directory if directory is not None else (state["workspace"] or Path("."))
    try:
        ws = init_workspace(target, force=force)
    except WorkspaceError as e:
        fail(str(e), 2)
    typer.echo(f"Workspace ready at {ws.root}. Drop files into {ws.inbox} or run `opsys -w {ws.root} ingest FILE`.")


def check(as_json: JsonOpt = False) -> None:
    """Validate the system map and the SOP library together. Exits 1 on errors; overdue reviews only warn."""
    from opsys.check import check_workspace
    from opsys.workspace import WorkspaceError

    try:
        report = check_workspace(workspace())
    except WorkspaceError as e:
        fail(str(e), 2)
    if as_json:
        print_json(report.as_dict())
    else:
        for p in [*report.problems, *report.errors]:
            typer.secho(clean(p), fg=typer.colors.RED, err=True)
        for f in report.warnings:
            typer.secho(clean(f), fg=typer.colors.YELLOW, err=True)
        if report.ok:
            s = report.as_dict()
            typer.echo(f"system map OK: {s['people']} people, {s['routing_rules']} routing rules, "
                       f"{s['clients']} client accounts, {s['examples']} labeled examples; "
                       f"SOP library OK: {s['sop_pages']} pages, {len(s['warnings'])} warnings")
    if not report.ok:
        raise typer.Exit(1)


def demo(
    port: Annotated[int, typer.Option(help="Port of the local notification listener the sample team.yml uses.")] = 8765,
) -> None:
    """Run the whole flow on the bundled sample firm (in var/demo/, reset each run): intake of its
    inbox, a CRM sync from its HubSpot exports, the pipeline page, the SOP search index and the site."""
    from rich.console import Console

    from opsys.demo import run_demo

    run_demo(workspace(), port, Console())
