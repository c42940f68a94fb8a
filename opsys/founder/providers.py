"""The registry of founder-page providers: each is `(app, now) -> Iterable[FounderItem]`.

A provider reads the store (through opsys/store/ functions) and yields the items that need the
founder as of `now`; an item that no longer holds (the task closed, the file left quarantine) is
simply not yielded any more, which is how evidence resolves it. A producer adds its items by
writing its provider in its own module and registering it here with a one-line edit, e.g.
`register(followup_items)`; built-ins register the same way at the end of this file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from opsys.founder.items import FounderApp
from opsys.records.founder import FounderItem


Provider = Callable[[FounderApp, datetime], Iterable[FounderItem]]
PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Add a provider once (usable as a decorator); the page asks each in registration order."""
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    return provider


# -- the built-in providers, in page order; other producers add theirs below with one line each --
from opsys.founder import anomalies, decisions, escalations, trends  # noqa: E402

register(escalations.task_escalations)
register(decisions.judgment_decisions)
register(decisions.big_lead_decisions)
register(anomalies.failing_notifications)
register(anomalies.failing_mail)
register(anomalies.quarantined_files)
register(anomalies.stale_crm_export)
register(trends.intake_silence)
register(trends.over_capacity)
register(trends.pipeline_drop)
register(anomalies.overdue_sops)
from opsys.founder import mail_gaps  # noqa: E402  (the mailbox component's reconciliation gaps)
register(mail_gaps.founder_items)
from opsys.followup import founder_items as followup_items  # noqa: E402  (unhappy clients after a close-out)
register(followup_items.negative_reply_items)
from opsys.work import draft_items  # noqa: E402  (drafts waiting in `opsys drafts`)
register(draft_items.waiting_draft_items)
from opsys.founder import document_items  # noqa: E402  (documents that disagree, LLM readings to check)
register(document_items.founder_items)
