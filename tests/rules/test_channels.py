from datetime import UTC, datetime

from opsys.records import Lead
from opsys.rules.channels import DECIDED_BY, channel_label


def _lead(channel: str) -> Lead:
    return Lead(channel=channel, source_name="x", position=0, name="Dana", email="dana@ridgeway.example", phone=None,
                company="Ridgeway", subject="", body="Stopped by the booth", received_at=datetime(2026, 12, 1, tzinfo=UTC),
                attachments=[], fields={}, warnings=[])


def test_a_lead_list_row_is_a_lead_by_the_channel_rule():
    label = channel_label(_lead("csv"))
    assert label is not None and label.is_lead and label.decided_by == DECIDED_BY == "rule:channels#lead-list-rows-are-leads"


def test_every_other_channel_goes_to_the_classifier():
    assert all(channel_label(_lead(ch)) is None for ch in ("email", "web_form", "phone", "referral"))
