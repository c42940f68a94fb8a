"""Decide who gets a message: the first rule in routing.yml whose `when` holds, then an owner by capacity.

Nothing is ever dropped: when no rule matches, or everyone eligible is full, the overflow owner
takes it and the reason says why. `inputs` records everything the decision read.
"""

from __future__ import annotations

from opsys.config.models import Assign, ClientAccount, Person, SystemMap, When
from opsys.records import Classification, Lead, RouteDecision, Score


def route(
    lead: Lead,
    cls: Classification,
    score: Score,
    client: ClientAccount | None,
    open_loads: dict[str, int],
    m: SystemMap,
) -> RouteDecision:
    """The first matching rule's action and owner, with one human sentence saying why."""
    tier = client.tier if client else "none"
    inputs: dict[str, object] = {
        "category": cls.category,
        "is_lead": cls.is_lead,
        "hot": score.hot,
        "score": score.value,
        "service": score.service,
        "channel": lead.channel,
        "client": client.name if client else None,
        "client_tier": tier,
    }
    overflow = m.team.person(m.routing.overflow_owner)
    for rule in m.routing.rules:
        why = _holds(rule.when, inputs, m.scoring.hot_threshold)
        if why is None:
            continue
        head = f"Rule '{rule.name}' fired ({why})"
        if rule.action == "spam" or rule.assign is None:
            inputs["loads"] = {}
            return RouteDecision(rule.name, rule.action, None, f"{head}: kept as spam, nobody assigned.", inputs)
        owner, how, considered = _assign(rule.assign, client, open_loads, m, overflow)
        inputs["loads"] = considered
        return RouteDecision(rule.name, rule.action, owner.id, f"{head}: {how}.", inputs)
    inputs["loads"] = {overflow.id: _load(overflow, open_loads)}
    return RouteDecision(
        "no-rule-matched", "queue", overflow.id,
        f"No routing rule matched ({_summary(inputs)}), so it is queued for the overflow owner "
        f"{overflow.name} ({_fraction(overflow, open_loads)} open).",
        inputs,
    )


def _holds(when: When, inputs: dict[str, object], hot_threshold: int) -> str | None:
    """Why the rule's conditions hold (a short phrase), or None when one does not."""
    why: list[str] = []
    if when.category is not None:
        if inputs["category"] not in when.category:
            return None
        why.append(f"category {inputs['category']}")
    if when.is_lead is not None:
        if inputs["is_lead"] != when.is_lead:
            return None
        why.append("a lead" if when.is_lead else "not a lead")
    if when.hot is not None:
        if inputs["hot"] != when.hot:
            return None
        why.append(f"score {inputs['score']} {'≥' if when.hot else '<'} hot threshold {hot_threshold}")
    if when.channel is not None:
        if inputs["channel"] not in when.channel:
            return None
        why.append(f"channel {inputs['channel']}")
    if when.service is not None:
        if inputs["service"] not in when.service:
            return None
        why.append(f"service {inputs['service']}")
    if when.min_score is not None:
        if inputs["score"] < when.min_score:  # type: ignore[operator]
            return None
        why.append(f"score {inputs['score']} ≥ {when.min_score}")
    if when.max_score is not None:
        if inputs["score"] > when.max_score:  # type: ignore[operator]
            return None
        why.append(f"score {inputs['score']} ≤ {when.max_score}")
    if when.client_tier is not None:
        if inputs["client_tier"] not in when.client_tier:
            return None
        why.append("no client account" if inputs["client_tier"] == "none"
                   else f"{inputs['client']} is a {inputs['client_tier']} client")
    return ", ".join(why) or "it matches everything"


def _assign(
    assign: Assign,
    client: ClientAccount | None,
    loads: dict[str, int],
    m: SystemMap,
    overflow: Person,
) -> tuple[Person, str, dict[str, dict[str, int]]]:
    """The owner, how they were chosen, and every person's load the choice looked at."""
    considered: dict[str, dict[str, int]] = {}

    def look(p: Person) -> bool:
        considered[p.id] = {"open": _load(p, loads), "capacity": p.capacity}
        return _load(p, loads) < p.capacity

    def to_overflow(cause: str) -> tuple[Person, str, dict[str, dict[str, int]]]:
        already = overflow.id in considered
        look(overflow)
        if already:
            return overflow, f"{cause}; {overflow.name} is the overflow owner, so takes it anyway", considered
        return overflow, (f"{cause}, so the overflow owner {overflow.name} takes it "
                          f"({_fraction(overflow, loads)} open)"), considered

    if assign.person:
        person = m.team.person(assign.person)
        if look(person):
            return person, f"assigned to {person.name} ({_fraction(person, loads)} open)", considered
        return to_overflow(f"{person.name} is at capacity ({_fraction(person, loads)})")

    role = assign.role or ""
    prefix = ""
    if assign.account_manager and client and client.account_manager:
        manager = next((p for p in m.team.people if p.id == client.account_manager), None)
        if manager and role in manager.roles:
            if look(manager):
                return manager, (f"assigned to {client.name}'s account manager {manager.name} "
                                 f"({_fraction(manager, loads)} open)"), considered
            prefix = f"{client.name}'s account manager {manager.name} is at capacity ({_fraction(manager, loads)}); "
    eligible = [p for p in m.team.people if role in p.roles]
    free = [p for p in eligible if look(p)]
    if free:
        # Lowest load wins; min() keeps team.yml order on ties.
        best = min(free, key=lambda p: _load(p, loads))
        return best, (f"{prefix}assigned to {best.name}, the least-loaded {role} "
                      f"({_fraction(best, loads)} open)"), considered
    full = ", ".join(f"{p.id} {_fraction(p, loads)}" for p in eligible)
    return to_overflow(f"{prefix}all {role} at capacity ({full})")


def _load(p: Person, loads: dict[str, int]) -> int:
    return int(loads.get(p.id, 0))


def _fraction(p: Person, loads: dict[str, int]) -> str:
    return f"{_load(p, loads)}/{p.capacity}"


def _summary(inputs: dict[str, object]) -> str:
    lead = "a lead" if inputs["is_lead"] else "not a lead"
    return f"category {inputs['category']}, {lead}, score {inputs['score']}, channel {inputs['channel']}"
