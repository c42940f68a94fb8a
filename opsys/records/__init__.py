"""Plain records that flow one way: sources -> intake -> classify -> rules -> store -> views.

The ground floor: they carry no behaviour and no I/O and import nothing of opsys, so every layer
can build and test them in isolation.
"""

from opsys.records.crm import CrmContact, CrmDeal, DealRow, DealState, LeadDeal, Snapshot
from opsys.records.decisions import Classification, RouteDecision, Score, Signal
from opsys.records.messages import CATEGORIES, Attachment, Category, Channel, InboundMessage, Lead

__all__ = ["CATEGORIES", "Attachment", "Category", "Channel", "Classification", "CrmContact", "CrmDeal", "DealRow",
           "DealState", "InboundMessage", "Lead", "LeadDeal", "RouteDecision", "Score", "Signal", "Snapshot"]
