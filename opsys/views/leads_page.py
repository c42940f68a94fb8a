"""`var/pages/leads.md`: the lead queue as read at 8 am, rebuilt after every intake batch.

One card per lead (Material styles `<details>` like its collapsible admonitions; md_in_html lets
Markdown inside): the summary line says who, what they want, budget, score, owner, status and age;
the full explanation, route and contact details fold beneath. Leads are grouped by owner behind an
index of counts per status, hot first, then newest. The hot mark is the word HOT and the card's red
`danger` style (CSS, no emoji font needed). Everything from a message goes through `md_cell`.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from opsys.config.models import SystemMap
from opsys.store.inquiries import InquiryView
from opsys.views.escape import md_cell
from opsys.views.times import age, shown



@dataclass(frozen=True)
class LeadSummary:
    """What one lead's compact line says, in plain text (callers escape for their medium)."""

    who: str
    wants: str  # the service asked for and the subject, for the page
    wants_short: str  # the subject when it says what they want, else the service: for one terminal line
    budget: str
    owner: str
    age: str
    received: str


def summarize(x: InquiryView, m: SystemMap, now: datetime) -> LeadSummary:
    """The same words on the page and in `opsys leads`: who, what they want, budget, owner, age."""
    names = {p.id: p.name for p in m.team.people}
    person = " ".join(v for v in (x.name, f"({x.company})" if x.company and x.name else x.company) if v)
    service = m.team.firm.services.get(x.service or "")
    subject = x.subject.strip() or "(no subject)"
    generic = (x.name and x.name.lower() in subject.lower()) or (x.source_name and x.source_name in subject)
    # "Call note: Dana Whitaker", "Lead list: summit.csv" say who or where, not what
    asked = service.label if service else "not stated"
    wants_short = asked if generic else subject
    if generic or not service or service.label.lower() in subject.lower():
        wants = wants_short
    else:
        wants = f"{service.label}: {subject}"
    budget = "" if x.budget is None else f"{x.budget:,.0f} {m.pipeline.currency}"
    return LeadSummary(who=person or x.email or x.phone or f"contact {x.contact_id}", wants=wants,
                       wants_short=wants_short, budget=budget,
                       owner=names.get(x.owner_id or "", x.owner_id or "unassigned"),
                       age=age(x.received_at, now), received=shown(x.received_at, m.team.firm.timezone))


def queue_order(leads: list[InquiryView]) -> list[InquiryView]:
    """Hot first, then newest first, then the higher score: what to read first at 8 am."""
    by_score = sorted(leads, key=lambda x: (-x.score, -x.id))
    return sorted(sorted(by_score, key=lambda x: x.received_at, reverse=True), key=lambda x: not x.hot)


def render_leads_page(leads: list[InquiryView], m: SystemMap, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    tz = m.team.firm.timezone
    leads = queue_order(leads)
    hot = sum(x.hot for x in leads)
    out = [
        "---\ntitle: Lead queue\naudience: team\ngenerated: true\n---\n",
        "# Lead queue\n",
        f"Rebuilt by opsys after every intake, last at {shown(now, tz, zone=True)}: do not edit. "
        f"**{len(leads)} open leads, {hot} hot** (score {m.scoring.hot_threshold} or more). "
        f"Hot first, then newest; open a card for the full explanation. Times in {tz}.\n",
    ]
    if not leads:
        out.append("No leads yet. Drop mail, form posts, notes or lead lists into `var/inbox/`.\n")
        return "\n".join(out)
    sections = _sections(leads, m)
    out.append(_index(sections, leads))
    for key, title, group in sections:
        n_hot = sum(x.hot for x in group)
        out.append(f"## {md_cell(title)}: {_count(len(group), 'lead')}, {n_hot} hot {{#{key}}}\n")
        out.extend(_card(x, m, now) for x in group)
    return "\n".join(out)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _sections(leads: list[InquiryView], m: SystemMap) -> list[tuple[str, str, list[InquiryView]]]:
    """One section per owner (anchor = person id), those with hot leads first, then team.yml order."""
    order = {p.id: i for i, p in enumerate(m.team.people)}
    names = {p.id: p.name for p in m.team.people}
    groups: dict[str, list[InquiryView]] = {}
    for x in leads:
        groups.setdefault(x.owner_id or "", []).append(x)
    keys = sorted(groups, key=lambda k: (-sum(x.hot for x in groups[k]), order.get(k, len(order)), k))
    # person ids are [a-z0-9_-]: `owner-<id>` is a safe anchor and never `unassigned`
    return [(f"owner-{k}" if k else "unassigned", names.get(k, k) if k else "Unassigned", groups[k]) for k in keys]


def _index(sections: list[tuple[str, str, list[InquiryView]]], leads: list[InquiryView]) -> str:
    """Counts per owner and status, each owner a link to their section: the filter, without JavaScript."""
    statuses = [s for s, _ in Counter(x.status for x in leads).most_common()]
    head = "| Owner | Leads | Hot | " + " | ".join(md_cell(s.capitalize()) for s in statuses) + " |"
    rule = "|---|---:|---:|" + "---:|" * len(statuses)
    rows = [head, rule]
    for key, title, group in sections:
        by = Counter(x.status for x in group)
        rows.append(f"| [{md_cell(title)}](#{key}) | {len(group)} | {sum(x.hot for x in group) or ''} | "
                    + " | ".join(str(by[s] or "") for s in statuses) + " |")
    return "\n".join(rows) + "\n"


def _card(x: InquiryView, m: SystemMap, now: datetime) -> str:
    """A collapsed card: the summary is the compact row, the body the full explanation and details."""
    s = summarize(x, m, now)
    mark = f"**HOT {x.score}**" if x.hot else f"**{x.score}**"
    meta = " · ".join(md_cell(v) for v in (s.budget or "no budget stated", x.status, x.channel.replace("_", " "),
                                           f"{s.age} ago") if v)
    summary = (f"{mark} · **{md_cell(s.who, 80)}** — {md_cell(s.wants, 90)}<br>"
               f"<small>{meta} · {md_cell(s.owner)} · #{x.id}</small>")
    why = [f"    - {s_['points']:+d} {md_cell(s_['name'])}: {md_cell(s_['reason'], 2000)}"
           for s_ in x.signals if s_.get("points")] or ["    - no scoring signal fired"]
    reach = ", ".join(md_cell(v) for v in (x.email, x.phone) if v) or "no email or phone in the message"
    body = [
        f"- **Reach:** {reach}",
        f"- **Score {x.score}**, because:",
        *why,
        f"- **Route:** {md_cell(x.route_action)} by rule {md_cell(x.route_rule)}: {md_cell(x.route_reason, 2000)}",
        f"- **Class:** {md_cell(x.category)} {x.category_confidence:.2f}, lead {x.lead_confidence:.2f} "
        f"({md_cell(x.classified_by)})",
        f"- **Received:** {s.received} by {md_cell(x.channel.replace('_', ' '))} "
        f"({md_cell(x.source_name, 80)}); subject: {md_cell(x.subject, 300)}",
    ]
    if x.warnings:
        body.append("- **Read with warnings:** " + "; ".join(md_cell(w, 200) for w in x.warnings))
    kind = "danger" if x.hot else "note"
    return (f'<details class="{kind}" markdown="1">\n<summary markdown="span">{summary}</summary>\n\n'
            + "\n".join(body) + "\n\n</details>\n")


def write_page(path: Path, text: str) -> None:
    """Write atomically so the site never renders a half-written page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
