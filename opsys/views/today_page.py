"""`var/pages/today.md`: the founder's morning page, only what needs them, rebuilt by every jobs run.

Founder audience (frontmatter `audience: founder`): the team site never holds it. Sections in the
order they are read: escalations, decisions, anomalies, then one line of what was handled without
the founder. Each item says why, since when, why it is ranked where it is, where its evidence is and
the command that resolves it. Everything from outside (names, subjects, file names) goes through
`md_cell`; commands and paths are shown as code with backticks removed.
"""

from __future__ import annotations

import re

from opsys.config.models import SystemMap
from opsys.founder.page import SECTIONS, Ranked, Today, resolve_command
from opsys.records.founder import Section
from opsys.views.escape import md_cell
from opsys.views.times import shown

TITLES = {Section.ESCALATION: "Escalations", Section.DECISION: "Decisions needing judgment",
          Section.ANOMALY: "Anomalies"}
EMPTY = {Section.ESCALATION: "Nothing late has reached you.", Section.DECISION: "Nothing waits for your decision.",
         Section.ANOMALY: "Nothing looks wrong."}
NOUNS = {Section.ESCALATION: ("escalation", "escalations"), Section.DECISION: ("decision", "decisions"),
         Section.ANOMALY: ("anomaly", "anomalies")}
PAGES = {"leads.md": "lead queue", "pipeline.md": "pipeline"}  # generated pages an item can link to
_CODE_UNSAFE = re.compile("[`\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def code(text: str) -> str:
    """An inline code span that cannot be broken out of (no backticks, no line breaks, no controls)."""
    return f"`{_CODE_UNSAFE.sub('', text)[:200]}`"


def handled_line(today: Today) -> str:
    return ", ".join(f"{n} {label}" for label, n in today.handled.items())


def _evidence(e: str) -> str:
    if e in PAGES:
        return f"[{PAGES[e]}]({e})"
    if e.startswith("inquiry "):
        return f"[{md_cell(e)}](leads.md)"
    return code(e)


def _item(r: Ranked, m: SystemMap, n: int) -> str:
    i = r.item
    tz = m.team.firm.timezone
    lines = [f"{n}. **{md_cell(i.title, 200)}**  ",
             f"    {md_cell(i.why, 500)}  ",
             f"    <small>since {shown(i.since, tz)} · {md_cell(r.reason)} · id {code(r.id)}</small>",
             "",
             "    - Evidence: " + (" · ".join(_evidence(e) for e in i.evidence) or "—"),
             f"    - Resolve: {code(resolve_command(r))}"
             + (f" · or {code('opsys ack ' + r.id)}" if "opsys ack" not in i.resolve else ""),
             ""]
    return "\n".join(lines)


def render_today_page(today: Today, m: SystemMap, limit: int | None = None) -> str:
    """The page as Markdown; at most `limit` items a section (the rest are counted)."""
    tz = m.team.firm.timezone
    limit = limit or m.founder.page_limit
    counts = {s: len(today.section(s)) for s in SECTIONS}
    total = sum(counts.values())
    out = ["---\ntitle: Today\naudience: founder\ngenerated: true\n---\n", "# Today\n",
           f"Rebuilt by opsys on every jobs run, last at {shown(today.now, tz, zone=True)}: do not edit. "
           f"**{total} item{'s' * (total != 1)} need{'s' * (total == 1)} you**: "
           + ", ".join(f"{counts[s]} {NOUNS[s][counts[s] != 1]}" for s in SECTIONS)
           + (f"; {today.acknowledged} acknowledged item{'s' * (today.acknowledged != 1)} hidden until they change"
              if today.acknowledged else "") + ". Ranked by severity, money at stake, then age.\n",
           f"**Handled without you since yesterday:** {handled_line(today)}.\n"]
    for name, err in today.failed.items():
        out.append(f"!!! warning \"A source of items failed\"\n    {md_cell(name)}: {md_cell(err, 300)} "
                   "(the rest of the page is complete; see the watcher's log)\n")
    for s in SECTIONS:
        items = today.section(s)
        out.append(f"## {TITLES[s]} ({len(items)}) {{#{s.value}}}\n")
        if not items:
            out.append(EMPTY[s] + "\n")
            continue
        out.extend(_item(r, m, n) for n, r in enumerate(items[:limit], 1))
        if len(items) > limit:
            out.append(f"…and {len(items) - limit} more (`opsys today --json` lists every one).\n")
    return "\n".join(out) + "\n"


def render_today_text(today: Today, m: SystemMap) -> list[str]:
    """The same page for the terminal (`opsys today`) and the digest: plain lines, no Markdown."""
    tz = m.team.firm.timezone
    lines = []
    for s in SECTIONS:
        items = today.section(s)
        lines.append(f"{TITLES[s]} ({len(items)})")
        for r in items:
            i = r.item
            lines.append(f"  [{r.id}] {i.title}")
            lines.append(f"      why: {i.why}")
            lines.append(f"      since {shown(i.since, tz)} · {r.reason}")
            if i.evidence:
                lines.append(f"      evidence: {' · '.join(i.evidence)}")
            lines.append(f"      resolve: {resolve_command(r)}")
    lines.append(f"Handled without you since yesterday: {handled_line(today)}"
                 + (f" ({today.acknowledged} acknowledged hidden)" if today.acknowledged else ""))
    for name, err in today.failed.items():
        lines.append(f"warning: provider {name} failed: {err}")
    return lines
