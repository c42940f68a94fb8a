"""Who gets a piece of work: the first routing.yml rule whose `when` holds, then one owner by strategy.

The one assignment algorithm, used for intake's inquiries (`rules/routing.py route()`) and for every
task a producer opens (`route_task`). Pure: the caller reads loads, cursors, earlier owners and
absences from the store and passes them in with `now`; the decision comes back with its reason, every
candidate looked at (open tasks, capacity, hours, availability) and the tie-break.

Strategies among the people of a role:
    least_loaded  lowest share of capacity (open effort / weekly_hours, else open tasks / capacity),
                  then fewest open tasks, then team.yml order
    round_robin   the next free person after the one the rule gave work to last (cursor per rule,
                  stored by the caller), so a burst is shared in turns
    sticky        whoever handled the contact last, else the client's account manager
    skills        people whose `skills` include the work's service
A workflow step's `role` (in the task's inputs) replaces the matching rule's role, with the rule's
strategy; with no rule matching, the least-loaded of that role takes it.
Nobody away gets new work. When everyone eligible is full or away the overflow owner takes it and
the task is *parked* (re-offered by re-dispatch); when the overflow owner is away too it waits
unassigned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from opsys.config.calendar_models import AwayPeriod
from opsys.config.models import Assign, ClientAccount, Person, SystemMap, When
from opsys.records import RouteDecision
from opsys.records.tasks import TaskSpec

NO_RULE = "no-rule-matched"


@dataclass(frozen=True)
class Load:
    """A person's open work: how many tasks and how many hours of effort."""

    count: int = 0
    hours: float = 0.0


_NO_LOAD = Load()


@dataclass(frozen=True)
class RoutingState:
    """What routing reads besides the map: loads, cursors, the contact's past owners, who is away."""

    loads: Mapping[str, Load] = field(default_factory=dict)
    cursors: Mapping[str, str] = field(default_factory=dict)  # rule name -> person given work last
    previous_owners: tuple[str, ...] = ()  # this contact's earlier owners, newest first
    away: Mapping[str, str] = field(default_factory=dict)  # person id -> why (e.g. "away until 2026-12-02")
    effort_hours: float = 0.0  # the new work's effort, checked against weekly_hours
    explain: bool = True  # False: skip the per-candidate explanation (replay compares owners and reasons only)

    @classmethod
    def from_counts(cls, counts: Mapping[str, int]) -> "RoutingState":
        """Open-task counts only (the shape intake used before tasks had hours)."""
        return cls(loads={k: Load(int(v)) for k, v in counts.items()})


def away_today(m: SystemMap, now: datetime, extra: Mapping[str, list[AwayPeriod]] | None = None) -> dict[str, str]:
    """Who is away on today's date (in their own timezone, else the firm's): team.yml `away` plus
    `opsys away` periods."""
    firm_today = now.astimezone(ZoneInfo(m.team.firm.timezone)).date()
    out: dict[str, str] = {}
    for p in m.team.people:
        today = now.astimezone(ZoneInfo(p.timezone)).date() if p.timezone else firm_today  # their own date
        for a in [*p.away, *((extra or {}).get(p.id, []))]:
            if a.covers(today):
                out[p.id] = f"away until {a.until}" + (f" ({a.note})" if a.note else "")
    return out


def route_task(spec: TaskSpec, m: SystemMap, state: RoutingState) -> RouteDecision:
    """The owner of a producer's task, by the first routing.yml rule its inputs satisfy."""
    inputs: dict[str, object] = spec.routing_inputs()
    return route_inputs(inputs, m, state)


def route_inputs(inputs: dict[str, object], m: SystemMap, state: RoutingState,
                 client: ClientAccount | None = None) -> RouteDecision:
    """The first matching rule's action and owner for stored routing inputs (intake's or a task's)."""
    client = client or _client(m, inputs.get("client"))
    overflow = m.team.person(m.routing.overflow_owner)
    for rule in m.routing.rules:
        why = holds(rule.when, inputs, m.scoring.hot_threshold)
        if why is None:
            continue
        head = f"Rule '{rule.name}' fired ({why})"
        if rule.action == "spam" or rule.assign is None:
            inputs["loads"] = {}
            return RouteDecision(rule.name, rule.action, None, f"{head}: kept as spam, nobody assigned.", inputs,
                                 {"strategy": None, "candidates": [], "parked": False})
        assign, head = _step_role(rule.assign, inputs.get("role"), head)  # type: ignore[arg-type]
        choice = choose_owner(assign, rule.name, client, state, m, overflow, inputs.get("service"))  # type: ignore[arg-type]
        inputs["loads"] = choice.loads
        return RouteDecision(rule.name, rule.action, choice.owner_id, f"{head}: {choice.how}.", inputs,
                             choice.explanation())
    role = inputs.get("role")
    if isinstance(role, str) and role:  # a workflow step names who does it even when no rule speaks of it
        choice = choose_owner(Assign(role=role), NO_RULE, client, state, m, overflow, inputs.get("service"))  # type: ignore[arg-type]
        inputs["loads"] = choice.loads
        return RouteDecision(NO_RULE, "queue", choice.owner_id, f"No routing rule matched ({_summary(inputs)}); "
                             f"the workflow step names role {role}: {choice.how}.", inputs, choice.explanation())
    chooser = _Chooser(state, m, overflow)
    inputs["loads"] = {overflow.id: state.loads.get(overflow.id, Load()).count}
    if overflow.id in state.away:
        owner, how = None, (f"{overflow.name} is {state.away[overflow.id]}, so it waits unassigned "
                            "until re-dispatch finds someone")
    else:
        owner, how = overflow.id, (f"so it is queued for the overflow owner {overflow.name} "
                                   f"({chooser.fraction(overflow)} open)")
    chooser.look(overflow)
    return RouteDecision(NO_RULE, "queue", owner, f"No routing rule matched ({_summary(inputs)}), {how}.", inputs,
                         {"strategy": "overflow", "candidates": chooser.candidates, "parked": True,
                          "tie_break": None, "cursor": None})


def _step_role(assign: Assign, role: str | None, head: str) -> tuple[Assign, str]:
    """A workflow step's `role` replaces the rule's target (its strategy stays): the map says who does it."""
    if not role or (assign.role == role and not assign.person):
        return assign, head
    strategy = "least_loaded" if assign.person else assign.strategy
    return (Assign(role=role, strategy=strategy, account_manager=assign.account_manager),
            f"{head}, role {role} from the workflow step")


def holds(when: When, inputs: Mapping[str, object], hot_threshold: int) -> str | None:
    """Why the rule's conditions hold (a short phrase), or None when one does not (or is not known)."""
    why: list[str] = []

    def listed(key: str, allowed: list[str] | None, phrase: str) -> bool:
        if allowed is None:
            return True
        if inputs.get(key) not in allowed:
            return False
        why.append(phrase)
        return True

    if not listed("task_kind", when.task_kind, f"task kind {inputs.get('task_kind')}"):
        return None
    if not listed("category", when.category, f"category {inputs.get('category')}"):  # type: ignore[arg-type]
        return None
    if when.is_lead is not None:
        if inputs.get("is_lead") != when.is_lead:
            return None
        why.append("a lead" if when.is_lead else "not a lead")
    if when.hot is not None:
        if inputs.get("hot") is None or inputs.get("hot") != when.hot:
            return None
        why.append(f"score {inputs.get('score')} {'≥' if when.hot else '<'} hot threshold {hot_threshold}")
    if not listed("channel", when.channel, f"channel {inputs.get('channel')}"):  # type: ignore[arg-type]
        return None
    if not listed("service", when.service, f"service {inputs.get('service')}"):
        return None
    score = inputs.get("score")
    if when.min_score is not None:
        if score is None or score < when.min_score:  # type: ignore[operator]
            return None
        why.append(f"score {score} ≥ {when.min_score}")
    if when.max_score is not None:
        if score is None or score > when.max_score:  # type: ignore[operator]
            return None
        why.append(f"score {score} ≤ {when.max_score}")
    if when.client_tier is not None:
        tier = inputs.get("client_tier") or "none"
        if tier not in when.client_tier:
            return None
        why.append("no client account" if tier == "none" else f"{inputs.get('client')} is a {tier} client")
    return ", ".join(why) or "it matches everything"


@dataclass
class OwnerChoice:
    owner_id: str | None
    how: str
    loads: dict[str, dict[str, int]]
    candidates: list[dict[str, Any]]
    strategy: str
    parked: bool = False
    tie_break: str | None = None
    cursor: str | None = None  # the person a round-robin rule gave work to, to store as its cursor

    def explanation(self) -> dict[str, object]:
        return {"strategy": self.strategy, "candidates": self.candidates, "tie_break": self.tie_break,
                "parked": self.parked, "cursor": self.cursor}


class _Chooser:
    """Looks at people one by one, remembering what it saw for the explanation."""

    def __init__(self, state: RoutingState, m: SystemMap, overflow: Person):
        self.state, self.m, self.overflow = state, m, overflow
        self.loads: dict[str, dict[str, int]] = {}
        self.candidates: list[dict[str, Any]] = []
        self._seen: dict[str, bool] = {}

    def load(self, p: Person) -> Load:
        return self.state.loads.get(p.id, _NO_LOAD)

    def fraction(self, p: Person) -> str:
        return f"{self.load(p).count}/{p.capacity}"

    def blocker(self, p: Person) -> str | None:
        """Why `p` cannot take it (away, full, out of hours), or None."""
        if p.id in self.state.away:
            return self.state.away[p.id]
        load = self.load(p)
        if load.count >= p.capacity:
            return f"at capacity ({self.fraction(p)})"
        if p.weekly_hours is not None and load.hours + self.state.effort_hours > p.weekly_hours + 1e-9:
            return (f"out of hours ({load.hours:g} h open + {self.state.effort_hours:g} h > "
                    f"{p.weekly_hours:g} h a week)")
        return None

    def look(self, p: Person) -> bool:
        if p.id in self._seen:
            return self._seen[p.id]
        load, why = self.load(p), self.blocker(p)
        if self.state.explain:
            self.loads[p.id] = {"open": load.count, "capacity": p.capacity}
            self.candidates.append({"person": p.id, "open": load.count, "capacity": p.capacity,
                                    "open_hours": round(load.hours, 2), "weekly_hours": p.weekly_hours,
                                    "available": p.id not in self.state.away, "eligible": why is None,
                                    "why_not": why})
        self._seen[p.id] = why is None
        return why is None

    def share(self, p: Person) -> float:
        load = self.load(p)
        if p.weekly_hours:
            return load.hours / p.weekly_hours
        return load.count / p.capacity if p.capacity else 1.0

    def least_loaded(self, free: list[Person]) -> tuple[Person, str | None]:
        # `free` is in team.yml order and the sort is stable: team.yml order breaks ties
        keyed = sorted(((self.share(p), self.load(p).count), i, p) for i, p in enumerate(free))
        best_key, _, best = keyed[0]
        tied = [p for key, _, p in keyed[1:] if key == best_key]
        tie = f"tie with {', '.join(p.id for p in tied)}: team.yml order" if tied else None
        return best, tie


def choose_owner(assign: Assign, rule_name: str, client: ClientAccount | None, state: RoutingState,
                 m: SystemMap, overflow: Person, service: str | None = None) -> OwnerChoice:
    """One owner by the rule's `assign`, with how they were chosen and everyone looked at."""
    c = _Chooser(state, m, overflow)
    strategy = "person" if assign.person else assign.strategy

    def done(p: Person, how: str, tie: str | None = None, cursor: str | None = None) -> OwnerChoice:
        return OwnerChoice(p.id, how, c.loads, c.candidates, strategy, False, tie, cursor)

    def to_overflow(cause: str) -> OwnerChoice:
        already = overflow.id in c._seen
        ok = c.look(overflow)
        if overflow.id in state.away:
            return OwnerChoice(None, f"{cause}; the overflow owner {overflow.name} is {state.away[overflow.id]} "
                                     "too, so it waits unassigned until re-dispatch finds someone",
                               c.loads, c.candidates, "overflow", True)
        if already and not ok:
            how = f"{cause}; {overflow.name} is the overflow owner, so takes it anyway"
        else:
            how = f"{cause}, so the overflow owner {overflow.name} takes it ({c.fraction(overflow)} open)"
        return OwnerChoice(overflow.id, how, c.loads, c.candidates, "overflow", True)

    def cannot(p: Person) -> str:
        why = c.blocker(p) or ""
        return f"{p.name} is {why}"

    if assign.person:
        person = m.team.person(assign.person)
        if c.look(person):
            return done(person, f"assigned to {person.name} ({c.fraction(person)} open)")
        return to_overflow(cannot(person))

    role = assign.role
    in_role = [p for p in m.team.people if role is None or role in p.roles]
    prefix = ""
    if assign.account_manager and client and client.account_manager:
        manager = next((p for p in m.team.people if p.id == client.account_manager), None)
        if manager and (role is None or role in manager.roles):
            if c.look(manager):
                return done(manager, f"assigned to {client.name}'s account manager {manager.name} "
                                     f"({c.fraction(manager)} open)")
            prefix = f"{client.name}'s account manager {cannot(manager)}; "
    label = role or "the team"

    if assign.strategy == "sticky":
        prev = next((p for pid in state.previous_owners for p in in_role if p.id == pid), None)
        if prev is not None:
            if c.look(prev):
                return done(prev, f"{prefix}assigned to {prev.name}, who handled this contact last "
                                  f"({c.fraction(prev)} open)")
            prefix += f"{cannot(prev)} (handled this contact last); "
        else:
            prefix += "nobody handled this contact before; "
        manager = next((p for p in in_role if client and p.id == client.account_manager), None)
        if client is not None and manager is not None and manager is not prev:
            if c.look(manager):
                return done(manager, f"{prefix}assigned to {client.name}'s account manager {manager.name} "
                                     f"({c.fraction(manager)} open)")
            prefix += f"{client.name}'s account manager {cannot(manager)}; "

    if assign.strategy == "skills":
        svc = service
        skilled = [p for p in in_role if svc and svc in p.skills]
        if skilled:
            in_role, label = skilled, f"{label} doing {svc}"
        else:
            prefix += f"nobody{' in ' + role if role else ''} lists {svc or 'the service'} in skills; "

    if assign.strategy == "round_robin":
        last = state.cursors.get(rule_name)
        ids = [p.id for p in in_role]
        start = ids.index(last) + 1 if last in ids else 0
        turn = in_role[start:] + in_role[:start]
        for p in turn:
            if c.look(p):
                after = f" after {last}" if last in ids else ""
                skipped = [q.id for q in turn[:turn.index(p)]]
                note = f", skipping {', '.join(skipped)} (full or away)" if skipped else ""
                return done(p, f"{prefix}assigned to {p.name}, next in turn among {label}{after}{note} "
                               f"({c.fraction(p)} open)", cursor=p.id)
        return to_overflow(f"{prefix}{_all_busy(c, in_role, label)}")

    free = [p for p in in_role if c.look(p)]
    if free:
        best, tie = c.least_loaded(free)
        return done(best, f"{prefix}assigned to {best.name}, the least-loaded {label} ({c.fraction(best)} open)",
                    tie)
    return to_overflow(f"{prefix}{_all_busy(c, in_role, label)}")


def _all_busy(c: _Chooser, people: list[Person], label: str) -> str:
    away = any(p.id in c.state.away for p in people)
    shown = ", ".join(f"{p.id} {'away' if p.id in c.state.away else c.fraction(p)}" for p in people)
    return f"all {label} at capacity{' or away' if away else ''} ({shown})"


def _client(m: SystemMap, name: object) -> ClientAccount | None:
    return next((x for x in m.clients.clients if x.name == name), None) if name else None


def _summary(inputs: Mapping[str, object]) -> str:
    if inputs.get("task_kind") and inputs.get("is_lead") is None:
        return f"task kind {inputs['task_kind']}, service {inputs.get('service')}, channel {inputs.get('channel')}"
    lead = "a lead" if inputs.get("is_lead") else "not a lead"
    return f"category {inputs.get('category')}, {lead}, score {inputs.get('score')}, channel {inputs.get('channel')}"
