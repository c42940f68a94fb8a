"""`opsys replay --routing PATH`: what a proposed routing.yml would have done to the work already done.

The stored history (every task with the routing inputs it stored, and every inquiry that got no task,
such as spam) is routed again twice, in arrival order, with the same simulated world: once with the
routing.yml in force and once with the proposed one. Each run keeps its own loads (a task holds its
owner's capacity from its arrival until it was really closed), round-robin cursors, earlier owners
per contact, and who was away that day. Only the rules differ, so every difference is the change's
doing; each is listed with both reasons. Nothing is written.

An intake task is routed as intake routes an inquiry (without a task kind; the kind follows the
action), any other task with the inputs it stored (its kind, a workflow step's role …).
"""

from __future__ import annotations

import heapq
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from opsys.config.loader import load_system_map
from opsys.config.models import SystemMap
from opsys.config.problems import ConfigError, ConfigProblem
from opsys.config.task_models import INTAKE_KINDS
from opsys.records import RouteDecision
from opsys.rules.task_routing import Load, RoutingState, away_today, route_inputs
from opsys.store.tasks import HistoryItem, away_periods, routing_history

_INTAKE_KINDS = set(INTAKE_KINDS.values())


def load_proposed(system_map: Path, proposed: Path) -> SystemMap:
    """The workspace's map with `proposed` as its routing.yml, validated like the real one; a problem
    in it names `proposed` itself (file:line: field)."""
    proposed = Path(proposed)
    if not proposed.is_file():
        raise ConfigError([ConfigProblem(proposed, None, "", "no such file; give the path of the proposed routing.yml")])
    with tempfile.TemporaryDirectory(prefix="opsys-replay-") as tmp:
        copy = Path(tmp) / "system_map"
        shutil.copytree(system_map, copy)
        shutil.copyfile(proposed, copy / "routing.yml")
        try:
            return load_system_map(copy)
        except ConfigError as e:
            raise ConfigError([replace(p, file=proposed if p.file.name == "routing.yml" else system_map / p.file.name)
                               for p in e.problems]) from None


@dataclass(frozen=True)
class Outcome:
    rule: str
    action: str
    owner: str | None
    reason: str


@dataclass(frozen=True)
class Difference:
    ref: str
    at: datetime
    title: str
    current: Outcome
    proposed: Outcome

    @property
    def what(self) -> str:
        parts = []
        if self.current.owner != self.proposed.owner:
            parts.append(f"owner {self.current.owner or 'nobody'} → {self.proposed.owner or 'nobody'}")
        if self.current.action != self.proposed.action:
            parts.append(f"action {self.current.action} → {self.proposed.action}")
        return ", ".join(parts)


@dataclass
class ReplayReport:
    proposed: Path
    since: date | None
    replayed: int  # decisions compared (since `since`)
    history: int  # decisions simulated (all, so loads are as they were)
    differences: list[Difference] = field(default_factory=list)
    seconds: float = 0.0
    agrees: int = 0  # simulated decisions under the routing.yml in force that match the stored owner
    owners_now: Counter = field(default_factory=Counter)
    owners_proposed: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {"proposed": str(self.proposed), "since": self.since.isoformat() if self.since else None,
                "replayed": self.replayed, "history": self.history, "agrees_with_stored": self.agrees, "changed": len(self.differences),
                "seconds": round(self.seconds, 3), "owners_now": dict(self.owners_now),
                "owners_proposed": dict(self.owners_proposed),
                "differences": [{"ref": d.ref, "at": d.at.isoformat(), "title": d.title, "change": d.what,
                                 "now": d.current.__dict__, "proposed": d.proposed.__dict__}
                                for d in self.differences]}


class _World:
    """One simulated routing of the history: loads that free when a task was really closed, cursors,
    each contact's earlier owners. Times are stored to the second: work closed in the same second as
    a new task arrived counts as closed before it."""

    def __init__(self, m: SystemMap):
        self.m = m
        self.efforts = {n: k.effort_hours for n, k in m.tasks.kinds.items()}
        self.loads: dict[str, Load] = {}
        self.closing: list[tuple[datetime, int, str, float]] = []  # (closed at, seq, owner, effort)
        self.cursors: dict[str, str] = {}
        self.owners: dict[int, list[str]] = {}
        self.seq = 0

    def route(self, item: HistoryItem, at: datetime, away: dict[str, str]) -> RouteDecision:
        while self.closing and self.closing[0][0] <= at:
            _, _, who, hours = heapq.heappop(self.closing)
            load = self.loads[who]
            self.loads[who] = Load(max(load.count - 1, 0), max(load.hours - hours, 0.0))
        intake = item.subject_type == "inquiry" and (item.kind is None or item.kind in _INTAKE_KINDS)
        inputs = {k: v for k, v in item.inputs.items() if k != "loads" and not (intake and k == "task_kind")}
        kind = item.kind if not intake else None
        effort = item.effort_hours if item.effort_hours is not None and not intake else None
        guess = effort if effort is not None else self.efforts.get(kind or INTAKE_KINDS.get("queue", ""), 0.0)
        prev = tuple(self.owners.get(item.contact_id, [])) if item.contact_id is not None else ()
        d = route_inputs(inputs, self.m, RoutingState(self.loads, self.cursors, prev, away, guess, explain=False))
        if d.explanation.get("cursor"):
            self.cursors[d.rule] = str(d.explanation["cursor"])
        if d.owner_id and d.action != "spam":
            hours = effort if effort is not None else self.efforts.get(kind or INTAKE_KINDS.get(d.action, ""), 0.0)
            load = self.loads.get(d.owner_id, Load())
            self.loads[d.owner_id] = Load(load.count + 1, load.hours + hours)
            if item.closed_at is not None:
                self.seq += 1
                heapq.heappush(self.closing, (item.closed_at, self.seq, d.owner_id, hours))
            if item.contact_id is not None:
                seen = self.owners.setdefault(item.contact_id, [])
                if d.owner_id in seen:
                    seen.remove(d.owner_id)
                seen.insert(0, d.owner_id)
        return d


def replay(db: sqlite3.Connection, current: SystemMap, proposed: SystemMap, proposed_path: Path,
           since: date | None = None) -> ReplayReport:
    """Every stored decision since `since` that the proposed routing.yml would make differently."""
    started = time.perf_counter()
    history = routing_history(db)
    extra = away_periods(db)
    tz = ZoneInfo(current.team.firm.timezone)
    now_world, new_world = _World(current), _World(proposed)
    report = ReplayReport(Path(proposed_path), since, 0, len(history))
    away_by_day: dict[date, dict[str, str]] = {}
    for item in history:
        day = item.at.astimezone(tz).date()
        if day not in away_by_day:
            away_by_day[day] = away_today(current, item.at, extra)
        away = away_by_day[day]
        a, b = now_world.route(item, item.at, away), new_world.route(item, item.at, away)
        if since is not None and day < since:
            continue
        report.replayed += 1
        report.agrees += a.owner_id == item.owner_id
        report.owners_now[a.owner_id or "nobody"] += 1
        report.owners_proposed[b.owner_id or "nobody"] += 1
        if (a.owner_id, a.action) != (b.owner_id, b.action):
            report.differences.append(Difference(item.ref, item.at, item.title,
                                                 Outcome(a.rule, a.action, a.owner_id, a.reason),
                                                 Outcome(b.rule, b.action, b.owner_id, b.reason)))
    report.seconds = time.perf_counter() - started
    return report


def render_text(r: ReplayReport, tz: str) -> list[str]:
    """Lines for the terminal: the summary, then each change with both reasons."""
    out = [summary(r)]
    for d in r.differences:
        out += [f"{d.ref} {d.at.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M} {d.title[:60]!r}: {d.what}",
                f"    now:      {d.current.reason}", f"    proposed: {d.proposed.reason}"]
    return out


def summary(r: ReplayReport) -> str:
    since = f" since {r.since}" if r.since else ""
    moved = r.replayed - r.agrees
    note = (f" The routing.yml in force, replayed, gives the stored owner {r.agrees} times of {r.replayed}; "
            f"the other {moved} were moved since (re-dispatch, away, a person) or stored before tasks had "
            "their inputs." if moved else "")
    return (f"Replayed {r.replayed} routing decisions{since} ({r.history} in the history) against {r.proposed}: "
            f"{len(r.differences)} would change, in {r.seconds:.2f} s.{note}")
