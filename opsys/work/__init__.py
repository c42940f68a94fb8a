"""Work as tasks: every piece of work has an owner, a due time and the context to do it.

    opening.py   open_task — the one function producers call (intake today; workflows, CRM events,
                 sequences and the founder page later)
    commands.py  what a person does: done, reassign, snooze, cancel, away
    upkeep.py    what the jobs do: close by evidence, re-dispatch, escalate overdue work
"""

from opsys.work.commands import (
    TaskCommandError,
    cancel_task,
    close_task,
    reassign_task,
    set_away,
    snooze_task,
)
from opsys.work.opening import open_task, routing_state
from opsys.work.upkeep import close_by_evidence, escalate_overdue, redispatch

__all__ = ["TaskCommandError", "cancel_task", "close_by_evidence", "close_task", "escalate_overdue", "open_task",
           "reassign_task", "redispatch", "routing_state", "set_away", "snooze_task"]
