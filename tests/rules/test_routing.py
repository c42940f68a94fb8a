import pytest

from opsys.config.models import Routing
from opsys.records import Classification, Score

NOT_HOT = Score(value=30, hot=False, signals=())
HOT = Score(value=72, hot=True, signals=())


def cls(category: str = "routine", is_lead: bool = True) -> Classification:
    return Classification(category, 0.9, is_lead, 0.9, "test")


def client(system_map, name: str):
    return next(c for c in system_map.clients.clients if c.name == name)


def route(system_map, make_lead, c=None, score=NOT_HOT, client_=None, loads=None, channel="email", m=None):
    from opsys.rules.routing import route as do_route
    return do_route(make_lead("hello", channel=channel), c or cls(), score, client_, loads or {}, m or system_map)


def test_spam_is_kept_not_routed(system_map, make_lead) -> None:
    d = route(system_map, make_lead, cls("spam", False), score=HOT)
    assert (d.rule, d.action, d.owner_id) == ("spam-kept-not-routed", "spam", None)
    assert "nobody assigned" in d.reason


def test_urgent_client_escalates_to_their_account_manager(system_map, make_lead) -> None:
    d = route(system_map, make_lead, cls("urgent", False), client_=client(system_map, "Copperline Brewing"),
              loads={"priya": 0, "sam": 5})
    assert (d.rule, d.action, d.owner_id) == ("urgent-client-escalates", "escalate", "sam")
    assert "Copperline Brewing's account manager Sam Whitfield" in d.reason
    assert d.inputs["loads"] == {"sam": {"open": 5, "capacity": 6}}


def test_account_manager_at_capacity_falls_to_least_loaded(system_map, make_lead) -> None:
    d = route(system_map, make_lead, cls("urgent", False), client_=client(system_map, "Copperline Brewing"),
              loads={"priya": 3, "sam": 6})
    assert d.owner_id == "priya"
    assert "Sam Whitfield is at capacity (6/6)" in d.reason


def test_urgent_without_client_goes_to_least_loaded_account_manager(system_map, make_lead) -> None:
    assert route(system_map, make_lead, cls("urgent", False)).owner_id == "priya"  # tie: team.yml order
    d = route(system_map, make_lead, cls("urgent", False), loads={"priya": 3, "sam": 1})
    assert d.owner_id == "sam"
    assert d.inputs["loads"] == {"priya": {"open": 3, "capacity": 10}, "sam": {"open": 1, "capacity": 6}}


def test_gold_client_new_work_goes_to_founder(system_map, make_lead) -> None:
    d = route(system_map, make_lead, cls("routine", True), client_=client(system_map, "Harbor Dental Group"),
              loads={"maya": 1})
    assert (d.rule, d.action, d.owner_id) == ("gold-client-new-work", "notify", "maya")
    assert "Harbor Dental Group is a gold client" in d.reason
    assert d.inputs["client_tier"] == "gold"


def test_silver_client_lead_is_not_gold_rule(system_map, make_lead) -> None:
    d = route(system_map, make_lead, cls("routine", True), client_=client(system_map, "Copperline Brewing"))
    assert d.rule == "other-leads-queue"


def test_person_at_capacity_falls_to_overflow_and_says_so(system_map, make_lead) -> None:
    m = system_map.model_copy(update={"routing": system_map.routing.model_copy(update={"overflow_owner": "jordan"})})
    d = route(system_map, make_lead, cls("routine", True), client_=client(system_map, "Harbor Dental Group"),
              loads={"maya": 4, "jordan": 2}, m=m)
    assert d.owner_id == "jordan"
    assert "Maya Okafor is at capacity (4/4)" in d.reason and "overflow owner Jordan Reyes" in d.reason


def test_hot_lead_notifies_sales(system_map, make_lead) -> None:
    d = route(system_map, make_lead, score=HOT, loads={"jordan": 1})
    assert (d.rule, d.action, d.owner_id) == ("hot-lead-notifies-sales", "notify", "jordan")
    assert "least-loaded sales" in d.reason


def test_least_loaded_and_tie_order_within_a_role(system_map, make_lead) -> None:
    # account_manager has two people (priya, sam): the lower load wins, a tie goes by team.yml order
    d = route(system_map, make_lead, cls("routine", False), loads={"priya": 5, "sam": 1})
    assert (d.rule, d.owner_id) == ("client-messages", "sam")
    assert route(system_map, make_lead, cls("routine", False)).owner_id == "priya"


def test_all_sales_at_capacity_goes_to_overflow(system_map, make_lead) -> None:
    d = route(system_map, make_lead, score=HOT, loads={"jordan": 10})
    assert d.owner_id == "maya"  # the overflow owner
    assert "all sales at capacity (jordan 10/10)" in d.reason
    assert d.inputs["loads"]["jordan"] == {"open": 10, "capacity": 10}


def test_marketing_leads_to_marketing(system_map, make_lead) -> None:
    d = route(system_map, make_lead, score=Score(30, False, (), service="seo"))
    assert (d.rule, d.action, d.owner_id) == ("marketing-leads-to-marketing", "queue", "leo")
    d = route(system_map, make_lead, score=Score(30, False, (), service="ppc"), loads={"leo": 6})
    assert d.owner_id == "maya" and "all marketing at capacity (leo 6/6)" in d.reason


def test_hot_beats_marketing(system_map, make_lead) -> None:
    d = route(system_map, make_lead, score=Score(80, True, (), service="seo"))
    assert d.rule == "hot-lead-notifies-sales"


def test_other_leads_queue(system_map, make_lead) -> None:
    d = route(system_map, make_lead, score=Score(30, False, (), service="web_design"), loads={"maya": 2})
    assert (d.rule, d.action, d.owner_id) == ("other-leads-queue", "queue", "jordan")


def test_client_messages(system_map, make_lead) -> None:
    d = route(system_map, make_lead, cls("faq", False), client_=client(system_map, "Northfield Physio"))
    assert (d.rule, d.action, d.owner_id) == ("client-messages", "client_queue", "priya")


def _with_rules(system_map, rules: list[dict]):
    routing = Routing.model_validate({"overflow_owner": "maya", "rules": rules})
    return system_map.model_copy(update={"routing": routing})


def test_no_rule_matched_is_queued_for_overflow(system_map, make_lead) -> None:
    m = _with_rules(system_map, [{"name": "only-spam", "when": {"category": ["spam"]}, "action": "spam"}])
    d = route(system_map, make_lead, cls("routine", True), m=m, loads={"maya": 9})
    assert (d.rule, d.action, d.owner_id) == ("no-rule-matched", "queue", "maya")
    assert d.reason.startswith("No routing rule matched")
    assert d.inputs["loads"] == {"maya": 9}


@pytest.mark.parametrize("when,score,channel,client_name,fires", [
    ({"min_score": 50}, 50, "email", None, True),
    ({"min_score": 50}, 49, "email", None, False),
    ({"max_score": 20}, 20, "email", None, True),
    ({"max_score": 20}, 21, "email", None, False),
    ({"channel": ["phone", "referral"]}, 10, "phone", None, True),
    ({"channel": ["phone", "referral"]}, 10, "email", None, False),
    ({"client_tier": ["none"]}, 10, "email", None, True),
    ({"client_tier": ["none"]}, 10, "email", "Northfield Physio", False),
    ({"client_tier": ["bronze", "silver"]}, 10, "email", "Northfield Physio", True),
])
def test_conditions(system_map, make_lead, when, score, channel, client_name, fires) -> None:
    m = _with_rules(system_map, [{"name": "probe", "when": when, "action": "queue", "assign": {"person": "leo"}}])
    c = client(system_map, client_name) if client_name else None
    d = route(system_map, make_lead, score=Score(score, False, ()), channel=channel, client_=c, m=m)
    assert (d.rule == "probe") is fires


def test_inputs_record_what_was_read(system_map, make_lead) -> None:
    d = route(system_map, make_lead, cls("routine", True), score=Score(64, True, (), service="seo"),
              channel="web_form", loads={"maya": 1, "jordan": 1})
    assert {k: d.inputs[k] for k in ("category", "is_lead", "hot", "score", "service", "channel", "client_tier")} \
        == {"category": "routine", "is_lead": True, "hot": True, "score": 64, "service": "seo",
            "channel": "web_form", "client_tier": "none"}
    assert d.reason.count(".") == 1 and d.reason.endswith(".")
