"""`opsys tasks`, `opsys task done|reassign|snooze|cancel ID`, `opsys away PERSON --from --until`."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from opsys.cli.output import ByOpt, JsonOpt, acting_person, clean, fail, print_json
from opsys.cli.workspace import open_app_or_exit

if TYPE_CHECKING:
    from opsys.app import App
    from opsys.records.tasks import Task

task_app = typer.Typer(help="Act on one task: done, reassign, snooze, cancel.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("tasks")(tasks)
    app.add_typer(task_app, name="task")
    task_app.command("done")(done)
    task_app.command("reassign")(reassign)
    task_app.command("snooze")(snooze)
    task_app.command("cancel")(cancel)
    app.command("away")(away)


def _line(t: "Task") -> str:
    due = t.due_at.strftime("%Y-%m-%d %H:%M") if t.due_at else "-"
    flag = " PARKED" if t.parked and t.is_open else ""
    late = f" esc{t.escalation_level}" if t.escalation_level else ""
    return clean(f"#{t.id:<5} {t.status:9} {due:16} p{t.priority} {t.owner_id or 'nobody':8} {t.kind:20} "
                 f"{t.title[:60]}{flag}{late}")


def tasks(
    person: Annotated[str | None, typer.Option("--person", help="Only this person's tasks (team.yml id).")] = None,
    show_all: Annotated[bool, typer.Option("--all/--open", help="Every task, or only open ones (default).")]
    = False,
    why: Annotated[int | None, typer.Option("--why", help="Explain one task: rule, candidates, tie-break.")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Tasks by due time: who has what, what is late, and why each went where it did."""
    from opsys.store.tasks import get_task, list_tasks

    app = open_app_or_exit()
    if why is not None:
        t = get_task(app.db, why)
        if t is None:
            fail(f"no task #{why}; `opsys tasks --all` lists every task and its id")
        if as_json:
            print_json(t.as_dict())
        else:
            _explain(app, t)
        return
    if person is not None and person not in {p.id for p in app.map.team.people}:
        fail(f"unknown person {person!r}; team.yml has {', '.join(p.id for p in app.map.team.people)}", 2)
    found = list_tasks(app.db, person=person, statuses=None if show_all else ("open", "waiting"))
    if as_json:
        print_json([t.as_dict() for t in found])
        return
    if not found:
        typer.echo("no tasks" if show_all else "no open tasks (`--all` shows closed ones too)")
    for t in found:
        typer.echo(_line(t))


def _explain(app: "App", t: "Task") -> None:
    ctx = t.context
    typer.echo(_line(t))
    typer.echo(clean(f"what to do  {ctx.what_to_do}"))
    if ctx.sop:
        typer.echo(clean(f"SOP         {ctx.sop}" + (f" § {ctx.sop_section}" if ctx.sop_section else "")))
    if ctx.deal:
        typer.echo(clean(f"deal        {ctx.deal.name} ({ctx.deal.stage}, {ctx.deal.value or '-'})"))
    if ctx.client_tier:
        typer.echo(clean(f"client tier {ctx.client_tier}"))
    for h in ctx.history:
        typer.echo(clean(f"history     {h}"))
    from opsys.store.tasks import runs_of_tasks

    run = runs_of_tasks(app.db, [t.id]).get(t.id)
    if run:
        typer.echo(clean(f"workflow    {run.workflow_id}, step {run.step_id} (workflows.yml), for "
                         f"{run.subject_type} {run.subject_id}"))
    typer.echo(clean(f"rule        {t.rule} (strategy {t.explanation.get('strategy') or '-'})"))
    typer.echo(clean(f"why         {t.reason}"))
    for c in t.explanation.get("candidates", []):
        hours = f", {c['open_hours']:g}/{c['weekly_hours']:g} h" if c.get("weekly_hours") else ""
        state = "eligible" if c["eligible"] else f"not eligible: {c['why_not']}"
        typer.echo(clean(f"  candidate {c['person']:8} {c['open']}/{c['capacity']} open{hours}; {state}"))
    if t.explanation.get("tie_break"):
        typer.echo(clean(f"tie-break   {t.explanation['tie_break']}"))
    for d in ctx.decisions[:-1]:
        typer.echo(clean(f"earlier     {d}"))
    if t.closed_by:
        typer.echo(clean(f"closed by   {t.closed_by}" + (f": {t.note}" if t.note else "")))


def _run(fn, *args) -> None:  # type: ignore[no-untyped-def]
    from opsys.work import TaskCommandError

    try:
        t = fn(*args)
    except TaskCommandError as e:
        fail(str(e))
    typer.echo(_line(t))


def done(task_id: int, note: Annotated[str | None, typer.Option("--note", help="What was done.")] = None,
         by: ByOpt = None) -> None:
    """Close a task: the work happened; its owner's capacity frees."""
    from opsys.work import close_task

    app = open_app_or_exit()
    _run(close_task, app.db, task_id, app.clock(), acting_person(by), note)


def cancel(task_id: int, note: Annotated[str | None, typer.Option("--note", help="Why it is not needed.")] = None,
           by: ByOpt = None) -> None:
    """Cancel a task that is not needed any more."""
    from opsys.work import cancel_task

    app = open_app_or_exit()
    _run(cancel_task, app.db, task_id, app.clock(), acting_person(by), note)


def reassign(task_id: int, person: str, by: ByOpt = None) -> None:
    """Give a task to someone else (team.yml id); they are alerted."""
    from opsys.work import reassign_task

    app = open_app_or_exit()
    _run(reassign_task, app.db, app.map, task_id, person, app.clock(), acting_person(by))


def snooze(task_id: int, until: Annotated[str, typer.Argument(help="ISO date or time; a date means the "
                                                              "firm's opening time that day.")],
           by: ByOpt = None) -> None:
    """Park a task until a time (the client asked to talk next week); it is due again after it."""
    from opsys.work import snooze_task

    app = open_app_or_exit()
    _run(snooze_task, app.db, app.map, task_id, _moment(app, until), app.clock(), acting_person(by))


def away(
    person: str,
    start: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day away.")],
    until: Annotated[datetime, typer.Option("--until", formats=["%Y-%m-%d"], help="Last day away (included).")],
    note: Annotated[str, typer.Option("--note", help="Why (shown in the reasons).")] = "",
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mark someone away: no new work for them; their urgent open tasks move on the next jobs run."""
    from opsys.work import TaskCommandError, set_away

    app = open_app_or_exit()
    try:
        aid = set_away(app.db, app.map, person, start.date(), until.date(), app.clock(), acting_person(by), note)
    except TaskCommandError as e:
        fail(str(e))
    if as_json:
        print_json({"away_period": aid, "person": person, "from": start.date(), "until": until.date()})
    else:
        typer.echo(clean(f"{person} away {start.date()}..{until.date()}; urgent open tasks move on the next "
                         "`opsys tick`"))


def _moment(app: "App", text: str) -> datetime:
    """An ISO time (firm timezone unless it says), or a date: the firm's opening time that day."""
    from zoneinfo import ZoneInfo

    from opsys.rules.business_time import BusinessTime

    tz = ZoneInfo(app.map.team.firm.timezone)
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            return BusinessTime.for_firm(app.map.team.firm).next_open(datetime.combine(day, datetime.min.time(), tz))
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{text!r} is not a date or time; write e.g. 2026-12-01 or 2026-12-01T14:00", 2)
    return dt if dt.tzinfo else dt.replace(tzinfo=tz)
