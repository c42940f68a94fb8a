"""`opsys sequences`, `opsys sequence stop CONTACT`, `opsys job close --contact EMAIL [--at ISO]`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from opsys.cli.output import ByOpt, JsonOpt, acting_person, clean, fail, print_json
from opsys.cli.workspace import open_app_or_exit

sequence_app = typer.Typer(help="Act on a contact's follow-up sequence.", no_args_is_help=True)
job_app = typer.Typer(help="Close a job: the close-out sequence starts (satisfaction check, review request).",
                      no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("sequences")(sequences)
    app.add_typer(sequence_app, name="sequence")
    sequence_app.command("stop")(stop)
    app.add_typer(job_app, name="job")
    job_app.command("close")(close)


def sequences(as_json: JsonOpt = False) -> None:
    """Who is in which follow-up sequence, the next step and when it is due."""
    from opsys.followup.commands import list_enrolments

    app = open_app_or_exit()
    rows = list_enrolments(app.db, app.map)
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    if not rows:
        typer.echo("nobody is in a sequence")
    for r in rows:
        due = r.due_at.strftime("%Y-%m-%d %H:%M %Z") if r.due_at else "-"
        typer.echo(clean(f"#{r.enrolment:<5} {r.sequence:20} {r.contact:32} next: {r.next_action or '-'} due {due}"))


def stop(
    contact: Annotated[str, typer.Argument(help="The contact's email address (or contact id).")],
    note: Annotated[str | None, typer.Option("--note", help="Why, for the audit log.")] = None,
    by: ByOpt = None,
) -> None:
    """Stop a contact's sequence now: pending steps are cancelled, the cool-down starts."""
    from opsys.followup.commands import FollowupError, stop_sequence

    app = open_app_or_exit()
    try:
        name = stop_sequence(app.db, app.map, app.clock(), contact, by=f"person:{acting_person(by)}", note=note)
    except FollowupError as e:
        fail(str(e), 1)
    typer.echo(clean(f"stopped {name} for {contact}"))


def close(
    contact: Annotated[str, typer.Option("--contact", help="The client's email address.")],
    at: Annotated[datetime | None, typer.Option("--at", help="When the job closed (ISO; UTC unless it says "
                                                "otherwise); default now.")] = None,
    by: ByOpt = None,
) -> None:
    """Close a client's job: business day 3 a satisfaction check, day 5 a review request if they are happy."""
    from opsys.followup.commands import FollowupError, close_job_now

    app = open_app_or_exit()
    now = app.clock()
    when = at.replace(tzinfo=at.tzinfo or UTC) if at else now
    try:
        typer.echo(clean(close_job_now(app.db, app.map, now, contact, when, by=f"person:{acting_person(by)}")))
    except FollowupError as e:
        fail(str(e), 1)
