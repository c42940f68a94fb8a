"""`opsys mail fetch`, `opsys mail reconcile`, `opsys mail refetch`: the firm's mailboxes, by hand."""

from __future__ import annotations

from typing import Annotated

import typer

from opsys.cli.output import JsonOpt, clean, fail, print_json
from opsys.cli.workspace import open_app_or_exit

mail_app = typer.Typer(help="Mailboxes (sources.yml mailboxes:): fetch now, prove nothing is missing, refetch one.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(mail_app, name="mail")
    mail_app.command("fetch")(fetch)
    mail_app.command("reconcile")(reconcile)
    mail_app.command("refetch")(refetch)


def _fetcher(app):
    from opsys.intake.mail_fetch import MailFetcher

    if not app.map.sources.mailboxes:
        fail("no mailboxes in system_map/sources.yml; add one under `mailboxes:` (README, 'Mailbox')", 2)
    return MailFetcher(app.ws, app.map, app.db, app.intake, app.clock)


def fetch(
    mailbox: Annotated[str | None, typer.Option("--mailbox", help="Only this mailbox (its name in sources.yml).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fetch new mail once from every mailbox (or one) through intake; the watcher does this every poll."""
    from opsys.sources.mailbox import MailboxError

    app = open_app_or_exit()
    try:
        report = _fetcher(app).fetch(mailbox)
    except MailboxError as e:
        fail(str(e), 2)
    if report.stored:
        app.jobs.after_intake()
    if as_json:
        print_json(report.as_dict())
    else:
        for f in report.folders:
            typer.echo(clean(f.summary()))
        for name, problem in report.problems.items():
            typer.secho(clean(problem), fg=typer.colors.RED, err=True)
    if report.problems:
        raise typer.Exit(1)


def reconcile(
    days: Annotated[int, typer.Option("--days", min=1, help="Look back this many days.")] = 7,
    mailbox: Annotated[str | None, typer.Option("--mailbox", help="Only this mailbox.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Prove every message of the last N days maps to one stored inquiry, touch or dismissal; list the gaps."""
    from opsys.intake.mail_reconcile import reconcile as run, refetch_command

    app = open_app_or_exit()
    if not app.map.sources.mailboxes:
        fail("no mailboxes in system_map/sources.yml; nothing to reconcile", 2)
    result = run(app.map, app.db, app.ws.root, app.clock(), days=days, only=mailbox)
    if as_json:
        print_json(result.as_dict())
    else:
        for f in result.folders:
            typer.echo(clean(f"{f.mailbox}/{f.folder}: {f.listed} listed, {f.proven} proven, {len(f.gaps)} gaps"
                             + (f", {f.pending} just arrived" if f.pending else "")))
        for g in result.gaps:
            typer.secho(clean(f"gap {g.mailbox}/{g.folder} UID {g.uid} {(g.date or '')[:16]} "
                              f"{g.subject or '(no subject)'}: {g.reason}"), fg=typer.colors.RED)
            typer.echo(f"    {refetch_command(g)}")
        for problem in result.problems.values():
            typer.secho(clean(problem), fg=typer.colors.RED, err=True)
        typer.echo(result.summary())
    if not result.ok:
        raise typer.Exit(1)


def refetch(
    mailbox: Annotated[str, typer.Argument(help="The mailbox's name in sources.yml.")],
    uid: Annotated[str, typer.Argument(help="The message's UID (as `opsys mail reconcile` lists it).")],
    folder: Annotated[str, typer.Option("--folder", help="The folder the UID is in.")] = "INBOX",
    as_json: JsonOpt = False,
) -> None:
    """Fetch one message again through intake (a gap the reconciliation found, or one fixed after quarantine)."""
    from opsys.sources.mailbox import MailboxError

    app = open_app_or_exit()
    try:
        r = _fetcher(app).refetch(mailbox, uid, folder)
    except MailboxError as e:
        fail(str(e), 2)
    if r.stored:
        app.jobs.after_intake()
    if as_json:
        print_json({"mailbox": r.mailbox, "folder": r.folder, "uid": uid, "outcomes": r.outcomes,
                    "matched": r.matched, "not_done": r.not_done})
    else:
        typer.echo(clean(r.summary()))
    if r.not_done:
        raise typer.Exit(1)
