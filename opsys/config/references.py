"""References between the files of a loaded SystemMap: people, roles, services, tiers, rules and systems
named in one file must exist in another. Each problem's line comes from `m.lines`, never a re-read."""

from __future__ import annotations

from opsys.config.models import SystemMap
from opsys.config.problems import ConfigProblem
from opsys.config.sequence_models import check_sequence_references
from opsys.config.workflow_models import step_reference_problems


def check_references(m: SystemMap) -> list[ConfigProblem]:
    """Every dangling reference in the map, in file order."""
    return [*_team(m), *_routing(m), *_clients(m), *_pipeline(m), *_workflows(m), *step_reference_problems(m),
            *_tasks(m), *check_sequence_references(m)]


def _team(m: SystemMap) -> list[ConfigProblem]:
    services = m.team.firm.services
    ids = {p.id for p in m.team.people}
    problems = [m.lines.problem("team.yml", ("people", i, "skills", j),
                                f"unknown service {svc!r}; firm.services has {', '.join(sorted(services))}")
                for i, p in enumerate(m.team.people) for j, svc in enumerate(p.skills) if svc not in services]
    for i, p in enumerate(m.team.people):
        if p.backup is not None and (p.backup not in ids or p.backup == p.id):
            problems.append(m.lines.problem("team.yml", ("people", i, "backup"),
                                            f"backup {p.backup!r} is not another person; team.yml has "
                                            f"{', '.join(sorted(ids - {p.id}))}"))
    return problems


def _tasks(m: SystemMap) -> list[ConfigProblem]:
    """An escalation step naming a role or person must reach someone (SOP ids are checked by `opsys check`)."""
    ids = {p.id for p in m.team.people}
    problems: list[ConfigProblem] = []
    for name, kind in m.tasks.kinds.items():
        for j, step in enumerate(kind.escalation):
            head, _, arg = step.partition(":")
            if head == "role" and arg and arg not in m.team.roles:
                problems.append(m.lines.problem("tasks.yml", ("kinds", name, "escalation", j),
                                                f"no one in team.yml has role {arg!r}"))
            if head == "person" and arg not in ids:
                problems.append(m.lines.problem("tasks.yml", ("kinds", name, "escalation", j),
                                                f"unknown person {arg!r}; team.yml has {', '.join(sorted(ids))}"))
    return problems


def _routing(m: SystemMap) -> list[ConfigProblem]:
    at = m.lines.problem
    f = "routing.yml"
    problems: list[ConfigProblem] = []
    ids = {p.id for p in m.team.people}
    if m.routing.overflow_owner not in ids:
        problems.append(at(f, ("overflow_owner",),
                           f"unknown person {m.routing.overflow_owner!r}; known: {', '.join(sorted(ids))}"))
    names: set[str] = set()
    tiers = set(m.scoring.client_tier) | {"none"}
    services = m.team.firm.services
    for i, rule in enumerate(m.routing.rules):
        if rule.name in names:  # workflows.yml and the audit log name rules: a name must mean one rule
            problems.append(at(f, ("rules", i, "name"),
                               f"rule name {rule.name!r} is used twice; give each rule its own name"))
        names.add(rule.name)
        for tier in rule.when.client_tier or []:
            if tier not in tiers:
                problems.append(at(f, ("rules", i, "when", "client_tier"),
                                   f"unknown tier {tier!r}; scoring.yml client_tier has {', '.join(sorted(tiers))}"))
        if rule.assign and rule.assign.role and rule.assign.role not in m.team.roles:
            problems.append(at(f, ("rules", i, "assign", "role"), f"no one in team.yml has role {rule.assign.role!r}"))
        if rule.assign and rule.assign.person and rule.assign.person not in ids:
            problems.append(at(f, ("rules", i, "assign", "person"), f"unknown person {rule.assign.person!r}"))
        for j, kind in enumerate(rule.when.task_kind or []):
            if kind not in m.tasks.kinds:
                problems.append(at(f, ("rules", i, "when", "task_kind", j),
                                   f"unknown task kind {kind!r}; tasks.yml has {', '.join(sorted(m.tasks.kinds))}"))
        for svc in rule.when.service or []:
            if svc not in services:
                problems.append(at(f, ("rules", i, "when", "service"),
                                   f"unknown service {svc!r}; team.yml firm.services has "
                                   f"{', '.join(sorted(services))}"))
    return problems


def _clients(m: SystemMap) -> list[ConfigProblem]:
    ids = {p.id for p in m.team.people}
    problems: list[ConfigProblem] = []
    for i, c in enumerate(m.clients.clients):
        if c.account_manager and c.account_manager not in ids:
            problems.append(m.lines.problem("clients.yml", ("clients", i, "account_manager"),
                                            f"unknown person {c.account_manager!r}"))
        if c.tier not in m.scoring.client_tier:
            problems.append(m.lines.problem("clients.yml", ("clients", i, "tier"),
                                            f"tier {c.tier!r} has no points in scoring.yml client_tier"))
    return problems


def _pipeline(m: SystemMap) -> list[ConfigProblem]:
    ids = {p.id for p in m.team.people}
    # a typo would silently drop that person's CRM load from the dashboard
    return [m.lines.problem("pipeline.yml", ("owners", alias),
                            f"unknown person {pid!r}; team.yml has {', '.join(sorted(ids))}")
            for alias, pid in m.pipeline.owners.items() if pid not in ids]


def _workflows(m: SystemMap) -> list[ConfigProblem]:
    """Workflows name systems of tools.yml and rules that must exist (SOP ids are checked by `opsys check`)."""
    problems: list[ConfigProblem] = []
    systems = set(m.tools.tools) | {"opsys"}
    known = {"routing": {r.name for r in m.routing.rules},
             "scoring": set(type(m.scoring).model_fields),
             "sequences": set(getattr(getattr(m, "sequences", None), "sequences", None) or [])}
    for i, w in enumerate(m.workflows.workflows):
        for j, s in enumerate(w.systems):
            if s not in systems:
                problems.append(m.lines.problem("workflows.yml", ("workflows", i, "systems", j),
                                                f"unknown system {s!r}; tools.yml has {', '.join(sorted(systems))}"))
        for j, ref in enumerate(w.rules):
            source, _, name = ref.partition(":")
            if name not in known[source]:
                problems.append(m.lines.problem("workflows.yml", ("workflows", i, "rules", j),
                                                f"no {source} rule or signal named {name!r}"))
    return problems
