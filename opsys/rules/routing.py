"""Decide who gets a message: the first rule in routing.yml whose `when` holds, then an owner by strategy.

Nothing is ever dropped: when no rule matches, or everyone eligible is full, the overflow owner
takes it and the reason says why. `inputs` records everything the decision read. The rule matching
and the owner strategies are `rules/task_routing.py`, shared with every other task.
"""

from __future__ import annotations

from opsys.config.models import ClientAccount, SystemMap
from opsys.records import Classification, Lead, RouteDecision, Score
from opsys.rules.task_routing import RoutingState, route_inputs


def route(
    lead: Lead,
    cls: Classification,
    score: Score,
    client: ClientAccount | None,
    open_loads: dict[str, int],
    m: SystemMap,
    *,
    state: RoutingState | None = None,
) -> RouteDecision:
    """The first matching rule's action and owner, with one human sentence saying why.
    `state` (loads in hours, cursors, earlier owners, absences) replaces the bare `open_loads` counts."""
    inputs: dict[str, object] = {
        "category": cls.category,
        "is_lead": cls.is_lead,
        "hot": score.hot,
        "score": score.value,
        "service": score.service,
        "channel": lead.channel,
        "client": client.name if client else None,
        "client_tier": client.tier if client else "none",
    }
    return route_inputs(inputs, m, state or RoutingState.from_counts(open_loads), client)
