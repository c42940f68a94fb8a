"""What an alert says: enough for the person to act on it from their phone, without opening opsys.

Who it is, how to reach them, what they asked, any deadline read from the text, the next step,
and where the whole record is. Not the score arithmetic: that is on the lead page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsys.records import Lead, Score

if TYPE_CHECKING:
    from opsys.records.tasks import Task

ASK_CHARS = 280


LIST_SHOWN = 5  # task titles a lead-list alert names before "… and N more"


@dataclass(frozen=True)
class Alert:
    title: str
    body: str


def lead_alert(inquiry_id: int, lead: Lead, score: Score, action: str) -> Alert:
    """The hot-lead (action notify) or escalation (action escalate) message for the owner."""
    who = lead.name or lead.email or lead.phone or "unknown sender"
    title = (f"Hot lead ({score.value}): {who}" if action == "notify"
             else f"Escalation: {who} — {lead.subject[:60]}")
    reach = " · ".join(v for v in (lead.email, lead.phone) if v) or "no email or phone given: see the record"
    asked = " ".join(lead.body.split())
    asked = asked if len(asked) <= ASK_CHARS else asked[:ASK_CHARS - 1].rstrip() + "…"
    deadline = next((s.reason for s in score.signals if s.name == "timeline" and s.points), None)
    next_step = ("Reply today, or call if a phone is given; `opsys leads` has the whole record."
                 if action == "notify" else
                 "Acknowledge it now and follow the urgent-client-issue SOP.")
    lines = [
        f"{who}{f' ({lead.company})' if lead.company else ''} — {reach}",
        f"Asked: {lead.subject}" + (f": {asked}" if asked else ""),
        *([f"Deadline: {deadline}"] if deadline else []),
        f"Next step: {next_step}",
        f"Inquiry #{inquiry_id} via {lead.channel}; lead page: var/pages/leads.md",
    ]
    return Alert(title, "\n".join(lines))


def tasks_alert(tasks: "list[Task]", source: str) -> Alert:
    """One message for the tasks a lead list gave one person: a 3,000-row import is one alert, not 3,000."""
    first = tasks[0]
    due = min(t.due_at for t in tasks if t.due_at) if any(t.due_at for t in tasks) else None
    shown = [f"- #{t.id} {t.title[:70]}" for t in tasks[:LIST_SHOWN]]
    more = [f"- … and {len(tasks) - LIST_SHOWN} more"] if len(tasks) > LIST_SHOWN else []
    lines = [f"{len(tasks)} new tasks from {source} ({first.kind}); the first due {due:%a %d %b %H:%M %Z}."
             if due else f"{len(tasks)} new tasks from {source} ({first.kind}).",
             *shown, *more,
             f"All of them: `opsys tasks --person {first.owner_id}`"]
    return Alert(f"New tasks: {len(tasks)} leads from {source[:60]}", "\n".join(lines))


def task_alert(task: "Task", why: str, *, heading: str = "New task") -> Alert:
    """A task's assignment or escalation message: what to do, by when, and the context to do it."""
    ctx = task.context
    due = f"due {task.due_at:%a %d %b %H:%M %Z}" if task.due_at else "no due time"
    lines = [ctx.what_to_do,
             f"Task #{task.id} ({task.kind}, priority {task.priority}, {due}).",
             *([f"SOP: {ctx.sop}" + (f" § {ctx.sop_section}" if ctx.sop_section else "")] if ctx.sop else []),
             *([f"Deal: {ctx.deal.name} ({ctx.deal.stage})"] if ctx.deal else []),
             *([f"Before: {ctx.history[-1]}"] if ctx.history else []),
             f"Why: {why}",
             f"Done? `opsys task done {task.id}`"]
    return Alert(f"{heading}: {task.title[:70]}", "\n".join(lines))
