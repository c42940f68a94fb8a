"""What `opsys check` says about founder.yml and examples/judgment.yml: names that must exist
elsewhere in the system map (errors), and a judgment classifier too thin to trust (warnings)."""

from __future__ import annotations

from collections import Counter

from opsys.config.models import SystemMap
from opsys.knowledge.checks import Finding

MIN_EXAMPLES = 15  # per judgment label: fewer and the label's confidence means little


def founder_findings(m: SystemMap) -> list[Finding]:
    f = m.founder
    out: list[Finding] = []
    people = {p.id for p in m.team.people}
    for j, pid in enumerate(f.digest.to):
        if pid not in people:
            out.append(Finding(m.lines.path("founder.yml"), m.lines.line("founder.yml", "digest", "to", j), "error",
                               f"digest.to[{j}]: {pid!r} is not a person of team.yml; known: {', '.join(sorted(people))}"))
    for name in ("urgent_kinds", "hot_lead_kinds"):
        for j, kind in enumerate(getattr(f.escalations, name)):
            if kind not in m.tasks.kinds:
                out.append(Finding(m.lines.path("founder.yml"), m.lines.line("founder.yml", "escalations", name, j),
                                   "error", f"escalations.{name}[{j}]: {kind!r} is not a task kind of tasks.yml; "
                                            f"known: {', '.join(sorted(m.tasks.kinds))}"))
    examples = m.lines.path("examples/judgment.yml")
    if not m.judgment_examples:
        out.append(Finding(examples, None, "warning", "no judgment examples: messages asking for a discount, a scope "
                                                      "change, a cancellation or a refund never reach the founder's page"))
        return out
    counts = Counter(e.label for e in m.judgment_examples)
    for label in [*f.decisions.labels, "none"]:
        if counts[label] < MIN_EXAMPLES:
            out.append(Finding(examples, None, "warning", f"label {label!r} has {counts[label]} examples; give it at "
                                                          f"least {MIN_EXAMPLES} so its confidence means something"))
    return out
