"""The work pages: "My work" for each person (`var/pages/work/<person>.md`) and the team board
(`var/pages/work.md`), rebuilt by the jobs step `work_pages` after every step that moves tasks.

A person's page lists their open tasks by due time, overdue first, each with what it needs to be
done without asking anyone: what to do, the SOP (linked to its section on the site), the contact,
the deal, the client tier, the history and why it came to them. The board counts each person's
open tasks and hours against their capacity, the overdue and parked work first. Team audience (no
notify URLs, nothing founder-only). Read, render pure, write atomically; every stored text goes
through `md_cell`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from opsys.config.models import Person, SystemMap
from opsys.records.tasks import Task
from opsys.rules.task_routing import Load
from opsys.store.tasks import contacts_brief, list_tasks, open_loads
from opsys.views.escape import md_cell
from opsys.views.leads_page import write_page
from opsys.views.times import shown

WORK_DIR = "work"
BOARD = "work.md"


@dataclass(frozen=True)
class WorkData:
    """What the pages show, read from the store once."""

    tasks: list[Task]  # open and waiting, by due time
    loads: dict[str, Load]
    contacts: dict[int, dict[str, str | None]]
    sops: dict[str, str]  # SOP id -> its path under the site's docs, for links


def gather(db: sqlite3.Connection, m: SystemMap, sops: dict[str, str] | None = None) -> WorkData:
    tasks = list_tasks(db)
    efforts = {name: k.effort_hours for name, k in m.tasks.kinds.items()}
    return WorkData(tasks, open_loads(db, efforts), contacts_brief(db, [t.contact_id for t in tasks if t.contact_id]),
                    sops or {})


def build_work_pages(db: sqlite3.Connection, pages: Path, m: SystemMap, now: datetime,
                     sops: dict[str, str] | None = None) -> list[Path]:
    """Write every person's page and the board; a page of someone no longer in team.yml is removed."""
    data = gather(db, m, sops)
    folder = pages / WORK_DIR
    written = []
    for p in m.team.people:
        path = folder / f"{p.id}.md"
        write_page(path, render_my_work(p, data, m, now))
        written.append(path)
    keep = {w.name for w in written}
    for old in folder.glob("*.md"):
        if old.name not in keep:
            old.unlink()
    board = pages / BOARD
    write_page(board, render_board(data, m, now))
    return [board, *written]


def _tz(p: Person | None, m: SystemMap) -> str:
    return (p.timezone if p and p.timezone else None) or m.team.firm.timezone


def _overdue(t: Task, now: datetime) -> bool:
    return t.status == "open" and t.due_at is not None and t.due_at < now


def _sop_link(t: Task, data: WorkData) -> str:
    sop = t.context.sop
    if not sop:
        return ""
    label = md_cell(sop + (f" § {t.context.sop_section}" if t.context.sop_section else ""))
    rel = data.sops.get(sop)
    if not rel:
        return label
    anchor = f"#{t.context.sop_section}" if t.context.sop_section else ""
    return f"[{label}](../../{rel}{anchor})"  # from generated/work/<person>.md up to the docs root


def _contact(t: Task, data: WorkData) -> str:
    c = data.contacts.get(t.contact_id or -1)
    if not c:
        return ""
    who = c.get("name") or c.get("email") or c.get("phone") or f"contact {t.contact_id}"
    parts = [who + (f" ({c['company']})" if c.get("company") else "")]
    parts += [v for v in (c.get("email"), c.get("phone")) if v and v != who]
    return md_cell(" · ".join(parts), 240)


def _card(t: Task, data: WorkData, m: SystemMap, now: datetime, tz: str) -> list[str]:
    kind = m.tasks.kinds.get(t.kind)
    due = shown(t.due_at, tz) if t.due_at else "no due time"
    flag = " · **OVERDUE**" if _overdue(t, now) else ""
    if t.status == "waiting" and t.snoozed_until:
        flag += f" · waiting until {shown(t.snoozed_until, tz)}"
    head = (f"### #{t.id} · due {due}{flag} · {md_cell(kind.label if kind else t.kind)} "
            f"(priority {t.priority})")
    ctx = t.context
    rows = [f"- **Task:** {md_cell(t.title, 200)}",
            f"- **What to do:** {md_cell(ctx.what_to_do, 400)}"]
    sop = _sop_link(t, data)
    if sop:
        rows.append(f"- **SOP:** {sop}")
    contact = _contact(t, data)
    if contact:
        rows.append(f"- **Contact:** {contact}")
    if ctx.deal:
        value = f", {ctx.deal.value:,.0f} {m.pipeline.currency}" if ctx.deal.value is not None else ""
        rows.append(f"- **Deal:** {md_cell(ctx.deal.name)} ({md_cell(ctx.deal.stage)}{value})")
    if ctx.client_tier and ctx.client_tier != "none":
        rows.append(f"- **Client tier:** {md_cell(ctx.client_tier)}")
    if ctx.history:
        rows.append("- **History:** " + "; ".join(md_cell(h, 160) for h in ctx.history[-3:]))
    if ctx.draft:
        rows.append(f"- **Draft reply:** {md_cell(ctx.draft, 400)}")
    rows.append(f"- **Why you:** {md_cell(t.reason, 400)}")
    if t.escalation_level:
        rows.append(f"- **Escalated:** step {t.escalation_level} of the ladder")
    rows.append(f"- **Done?** `opsys task done {t.id}` (or `snooze {t.id} DATE`, `reassign {t.id} PERSON`)")
    return [head, "", *rows, ""]


def _load_line(p: Person, load: Load) -> str:
    hours = f", {load.hours:g} of {p.weekly_hours:g} h a week" if p.weekly_hours else ""
    return f"{load.count} of {p.capacity} open tasks{hours}"


def render_my_work(p: Person, data: WorkData, m: SystemMap, now: datetime) -> str:
    """One person's open work by due time, overdue first, each task with its context."""
    tz = _tz(p, m)
    mine = [t for t in data.tasks if t.owner_id == p.id]
    mine.sort(key=lambda t: (not _overdue(t, now), t.status != "open", t.due_at or now.replace(year=9999), t.id))
    late = sum(_overdue(t, now) for t in mine)
    out = [f"---\ntitle: \"My work: {md_cell(p.name)}\"\naudience: team\ngenerated: true\n---\n",
           f"# My work: {md_cell(p.name)}\n",
           f"Rebuilt by opsys on every jobs run, last at {shown(now, tz, zone=True)}: do not edit. "
           f"**{_load_line(p, data.loads.get(p.id, Load()))}**"
           + (f", **{late} overdue**" if late else "") + f". Times in {tz}. "
           "[Team board](../work.md)\n"]
    if not mine:
        out.append("Nothing open. New work arrives by routing.yml; `opsys tasks --person "
                   f"{p.id}` says the same in the terminal.\n")
        return "\n".join(out)
    for t in mine:
        out += _card(t, data, m, now, tz)
    return "\n".join(out)


def render_board(data: WorkData, m: SystemMap, now: datetime) -> str:
    """Counts by person against capacity, overdue first; then the overdue and the parked tasks."""
    tz = m.team.firm.timezone
    by_person = {p.id: [t for t in data.tasks if t.owner_id == p.id] for p in m.team.people}
    late = {pid: sum(_overdue(t, now) for t in ts) for pid, ts in by_person.items()}

    def share(p: Person) -> float:
        load = data.loads.get(p.id, Load())
        return load.hours / p.weekly_hours if p.weekly_hours else (load.count / p.capacity if p.capacity else 1.0)

    people = sorted(m.team.people, key=lambda p: (-late[p.id], -share(p)))
    overdue = sorted((t for t in data.tasks if _overdue(t, now)), key=lambda t: (t.due_at, t.priority, t.id))
    parked = [t for t in data.tasks if t.is_open and (t.parked or t.owner_id is None)]
    out = ["---\ntitle: Team board\naudience: team\ngenerated: true\n---\n", "# Team board\n",
           f"Rebuilt by opsys on every jobs run, last at {shown(now, tz, zone=True)}: do not edit. "
           f"**{len(data.tasks)} open tasks, {len(overdue)} overdue, {len(parked)} parked or unassigned.** "
           f"Times in {tz}.\n",
           "| person | overdue | open tasks | capacity | open hours | weekly hours | load | waiting | page |",
           "|---|---|---|---|---|---|---|---|---|"]
    for p in people:
        load = data.loads.get(p.id, Load())
        waiting = sum(t.status == "waiting" for t in by_person[p.id])
        hours = f"{p.weekly_hours:g}" if p.weekly_hours else "—"
        full = " (full)" if load.count >= p.capacity or (p.weekly_hours and load.hours >= p.weekly_hours) else ""
        out.append(f"| {md_cell(p.name)} | {late[p.id] or ''} | {load.count} | {p.capacity} | {load.hours:g} | "
                   f"{hours} | {share(p):.0%}{full} | {waiting or ''} | [My work](work/{p.id}.md) |")
    out.append("")
    out += _task_table("Overdue", overdue, m, tz, "Nothing is overdue.")
    out += _task_table("Parked or unassigned", parked, m, tz,
                       "Nothing parked: everyone's work fits their capacity.")
    return "\n".join(out) + "\n"


def _task_table(title: str, tasks: list[Task], m: SystemMap, tz: str, empty: str) -> list[str]:
    out = [f"## {title}\n"]
    if not tasks:
        return out + [empty + "\n"]
    names = {p.id: p.name for p in m.team.people}
    out += ["| task | due | owner | kind | title | why |", "|---|---|---|---|---|---|"]
    for t in tasks:
        out.append(f"| #{t.id} | {shown(t.due_at, tz)} | {md_cell(names.get(t.owner_id or '', t.owner_id or 'nobody'))}"
                   f" | {md_cell(t.kind)} | {md_cell(t.title, 100)} | {md_cell(t.reason, 200)} |")
    return out + [""]
