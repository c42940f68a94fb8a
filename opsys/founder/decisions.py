"""Decisions needing judgment: messages that ask for a discount, a scope change, a cancellation, a
refund or dispute an invoice (the judgment label, `judgment.py`, with its confidence), and leads
worth more than `founder.yml decisions.big_lead_value`.

A decision stays until the founder acknowledges it (`opsys ack ID --note "what was decided"`) or it
falls out of `decisions.window_days`; nobody else's work closes a decision that is the founder's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from opsys.founder.items import FounderApp, short
from opsys.records.founder import FounderItem, Section
from opsys.store.founder import big_leads, judged_messages


ASKS = {"discount": "asks for a discount", "scope_change": "asks to change the scope",
        "cancellation": "wants to cancel", "invoice_dispute": "disputes an invoice", "refund": "asks for a refund"}


def judgment_decisions(app: FounderApp, now: datetime) -> Iterator[FounderItem]:
    """Messages labeled as asking the founder to decide, confident enough to show."""
    d = app.map.founder.decisions
    names = {p.id: p.name for p in app.map.team.people}
    for x in judged_messages(app.db, now - timedelta(days=d.window_days), d.labels, d.min_confidence):
        owner = names.get(x.owner_id or "", x.owner_id or "nobody")
        evidence = (f"inquiry {x.inquiry_id}",) if x.inquiry_id else ()
        yield FounderItem(
            key=f"judgment:{x.key}", section=Section.DECISION,
            title=f"{short(x.who, 40) or 'someone'} {ASKS.get(x.label or '', x.label)}: {short(x.subject, 70)}",
            why=f"judgment label {x.label} at confidence {x.confidence:.2f} (examples/judgment.yml); "
                f"{owner} has the message",
            since=x.received_at, fingerprint=str(x.label), severity=1 if x.label == "cancellation" else 2,
            evidence=(*evidence, "opsys log --kind judgment_classified"),
            resolve="opsys ack {id} --note 'what you decided'")


def big_lead_decisions(app: FounderApp, now: datetime) -> Iterator[FounderItem]:
    """A lead whose budget or CRM deal is worth more than the configured value."""
    d = app.map.founder.decisions
    if d.big_lead_value is None:
        return
    cur = app.map.pipeline.currency
    names = {p.id: p.name for p in app.map.team.people}
    for x in big_leads(app.db, now - timedelta(days=d.window_days), d.big_lead_value):
        yield FounderItem(
            key=f"big_lead:{x.inquiry_id}", section=Section.DECISION,
            title=f"{short(x.who, 40) or 'a lead'} worth {x.value:,.0f} {cur}: {short(x.subject, 60)}",
            why=f"{x.source} over {d.big_lead_value:,.0f} {cur} (founder.yml decisions.big_lead_value); "
                f"owner {names.get(x.owner_id or '', x.owner_id or 'nobody')}",
            since=x.received_at, fingerprint=f"{x.value:.0f}", severity=2, money=x.value,
            evidence=(f"inquiry {x.inquiry_id}",), resolve="opsys ack {id} --note 'what you decided'")
