"""`opsys status`, `opsys service install`, `opsys backup`, `opsys restore`: running it for real."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opsys.cli.output import JsonOpt, clean, fail, print_json
from opsys.cli.workspace import workspace

if TYPE_CHECKING:
    from opsys.workspace import Workspace

service_app = typer.Typer(help="Keep the watcher running as a systemd user service.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    app.add_typer(service_app, name="service")
    service_app.command("install")(service_install)
    app.command("backup")(backup)
    app.command("restore")(restore)


def _workspace_or_exit() -> "Workspace":
    from opsys.workspace import WorkspaceError

    ws = workspace()
    try:
        ws.require_system_map()
    except WorkspaceError as e:
        fail(str(e), 2)
    return ws


def _ago(at: str | datetime, now: datetime) -> str:
    when = datetime.fromisoformat(at) if isinstance(at, str) else at
    s = int((now - when).total_seconds())
    span = f"{s} s" if s < 120 else f"{s // 60} min" if s < 7200 else f"{s // 3600} h" if s < 172800 else f"{s // 86400} d"
    return f"{when.isoformat(timespec='seconds')} ({span} ago)"


def status(as_json: JsonOpt = False) -> None:
    """Whether the watcher runs and since when, the last intake and jobs run, and what is waiting."""
    from opsys.status import read_status

    st = read_status(_workspace_or_exit())
    if as_json:
        print_json(st.as_dict())
        return
    now, w, b = datetime.now(UTC), st.watcher, st.backlog
    typer.echo(f"workspace     {clean(st.workspace)}")
    if w.running:
        typer.echo(f"watcher       running, pid {w.pid}, since {_ago(w.since, now)}")
    else:
        typer.secho("watcher       not running (start it: opsys watch, or opsys service install)",
                    fg=typer.colors.YELLOW)
    for label, e in (("last intake", st.last_intake), ("last jobs run", st.last_jobs)):
        typer.echo(f"{label:13} " + (clean(f"{_ago(e.at, now)}: {e.message}") if e else "never"))
    color = None if b.empty else typer.colors.YELLOW
    typer.secho(f"waiting       {b.inbox} in var/inbox/, {b.crm} in var/crm/, notifications "
                f"{b.notifications_pending} pending, {b.notifications_failed} failed", fg=color)
    if b.quarantined:
        typer.secho(f"quarantined   {b.quarantined} files in var/quarantine/ (each has a .error.txt saying "
                    "what to fix)", fg=typer.colors.YELLOW)


def service_install(
    print_only: Annotated[bool, typer.Option("--print", help="Print the unit; write nothing.")] = False,
    name: Annotated[str | None, typer.Option(help="Unit name: opsys-NAME.service (default: the folder's name).")]
    = None,
    force: Annotated[bool, typer.Option(help="Replace a unit file that differs.")] = False,
) -> None:
    """Write a systemd user unit running `opsys -w WORKSPACE watch`, restarted on failure."""
    from opsys.service_unit import ServiceError, install_unit, render_unit

    try:
        unit = render_unit(_workspace_or_exit(), name=name)
        if print_only:
            typer.echo(unit.text, nl=False)
            return
        written = install_unit(unit, force=force)
    except ServiceError as e:
        fail(str(e), 2)
    typer.echo(f"{'wrote' if written else 'unchanged'} {unit.path}")
    typer.echo("Start it now and at every login:")
    for cmd in unit.enable_commands():
        typer.echo(f"  {cmd}")
    typer.echo("To keep it running with nobody logged in (and start at boot): loginctl enable-linger $USER")


def backup(
    dest: Annotated[Path, typer.Argument(help="Folder to write the backup into (outside var/, ideally another disk).")],
    as_tar: Annotated[bool, typer.Option("--tar", help="One .tar.gz instead of a folder.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Back up var/ (database, search index, archive, quarantine, pages, outbox) into DEST; safe beside the watcher."""
    from opsys.backup import BackupError, backup_workspace

    try:
        report = backup_workspace(_workspace_or_exit(), dest, datetime.now(UTC), as_tar=as_tar)
    except (BackupError, OSError) as e:
        fail(f"backup failed: {e}", 1)
    if as_json:
        print_json(report.as_dict())
        return
    for w in report.warnings:
        typer.secho(f"warning: {clean(w)}", fg=typer.colors.YELLOW, err=True)
    for s in report.skipped:
        typer.secho(f"skipped {clean(s)}", fg=typer.colors.YELLOW, err=True)
    typer.echo(f"backup written: {clean(report.path)} ({report.files} files, {report.bytes / 1e6:.1f} MB)")


def restore(
    src: Annotated[Path, typer.Argument(help="A backup folder or .tar.gz written by `opsys backup`.")],
    force: Annotated[bool, typer.Option(help="Replace a var/ that holds data (it is kept as var/replaced-<time>/).")]
    = False,
    as_json: JsonOpt = False,
) -> None:
    """Replace the workspace's var/ by a backup; stop the watcher first."""
    from opsys.backup import BackupError, restore_workspace

    try:
        report = restore_workspace(_workspace_or_exit(), src, datetime.now(UTC), force=force)
    except (BackupError, OSError) as e:
        fail(f"restore failed, var/ is unchanged: {e}", 1)
    if as_json:
        print_json(report.as_dict())
        return
    typer.echo(f"restored {report.files} files from {clean(report.source)} (backup of {report.backup_created_at})")
    if report.previous:
        typer.echo(f"the var/ it replaced is kept in {clean(report.previous)}; delete it once you have checked")
