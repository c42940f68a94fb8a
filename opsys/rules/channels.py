"""What the channel alone decides: a row of a lead list the firm imported is a lead.

The firm exported the list itself (a trade-show scan, a webinar sign-up sheet): asking a model
whether each row is a lead only adds errors (five trade-show rows were all "not a lead") and
costs most of the import's time. Such rows are labelled by this rule, with full confidence;
everything else goes to the classifier.
"""

from __future__ import annotations

from opsys.records import Classification, Lead
from opsys.records.events import rule

DECIDED_BY = rule("channels#lead-list-rows-are-leads")


def is_list(lead: Lead) -> bool:
    """A row of a lead list (a CSV the firm exported), not a message someone wrote to the firm."""
    return lead.channel == "csv"


def channel_label(lead: Lead) -> Classification | None:
    """The label the channel decides, or None when the classifier must read the message."""
    if not is_list(lead):
        return None
    return Classification("routine", 1.0, True, 1.0, DECIDED_BY,
                          {"reason": "a row of a lead list the firm imported is a lead"})
