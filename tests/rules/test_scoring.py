import pytest

from opsys.records import Score
from opsys.rules.clients import find_client
from opsys.rules.scoring import score_lead

from .conftest import NOW

SIGNALS = ("length", "specificity", "concrete_ask", "budget", "timeline", "company_size", "source",
           "referral", "service", "client_tier")

RICH_BODY = (
    "Hi, we are a dental group looking to redesign our website. The current site has about 60 pages "
    "and we need online booking that syncs with HubSpot. We also need to migrate our blog and launch "
    "before the summer. Could you send a proposal with pricing? Our team would love to hear your "
    "thoughts. Thanks, Ana"
)
RICH_FIELDS = {"budget": "$25,000 - $40,000", "timeline": "1-3 months", "company_size": "11-50",
               "service": "Website design & build"}


@pytest.fixture(scope="module")
def system_map(system_map):
    """The sample map with the hand-set points these tests were written for: they test how scoring
    works, not what the firm's points are (those are fitted to its labels, tests/quality)."""
    s, q = system_map.scoring, system_map.scoring.quality

    def bands(items, pts):
        return [b.model_copy(update={"points": p}) for b, p in zip(items, pts)]

    hand = s.model_copy(update={
        "hot_threshold": 60, "service_match": 5, "referral": 12,
        "quality": q.model_copy(update={
            "length": q.length.model_copy(update={"points": 6}),
            "specificity": q.specificity.model_copy(update={"points_per_hit": 3, "max_points": 12}),
            "concrete_ask": q.concrete_ask.model_copy(update={"points": 10})}),
        "budget": bands(s.budget, [25, 20, 14, 8, 3]), "timeline": bands(s.timeline, [10, 7, 3]),
        "company_size": bands(s.company_size, [10, 7, 4, 1])})
    weights = {"email": 5, "web_form": 10, "phone": 8, "referral": 12, "csv": 0}
    channels = {k: c.model_copy(update={"weight": weights.get(k, c.weight)})
                for k, c in system_map.sources.channels.items()}
    return system_map.model_copy(update={"scoring": hand,
                                         "sources": system_map.sources.model_copy(update={"channels": channels})})


def points(score: Score) -> dict[str, int]:
    return {s.name: s.points for s in score.signals}


def reasons(score: Score) -> dict[str, str]:
    return {s.name: s.reason for s in score.signals}


def test_rich_web_form_lead(system_map, make_lead) -> None:
    lead = make_lead(RICH_BODY, channel="web_form", fields=RICH_FIELDS)
    score = score_lead(lead, None, system_map, NOW)
    assert tuple(s.name for s in score.signals) == SIGNALS
    assert points(score) == {
        "length": 6, "specificity": 12, "concrete_ask": 10, "budget": 20, "timeline": 7,
        "company_size": 4, "source": 10, "referral": 0, "service": 5, "client_tier": 0,
    }
    assert score.value == 74 and score.hot
    assert score.budget == 25_000  # the low end of the range
    assert score.service == "web_design"
    r = reasons(score)
    assert r["concrete_ask"] == 'asks for a next step: "Could you send"'
    assert '"$25,000 - $40,000"' in r["budget"] and "25,000" in r["budget"]
    assert '"1-3 months"' in r["timeline"] and "89 days" in r["timeline"]
    assert r["specificity"] == "mentions pages, migrate, booking, hubspot, launch"  # config order
    assert "budget" in score.explain() and "referral" not in score.explain()


def test_thin_message_explains_every_zero(system_map, make_lead) -> None:
    score = score_lead(make_lead("Hi, what are your office hours?"), None, system_map, NOW)
    assert tuple(s.name for s in score.signals) == SIGNALS
    assert points(score) == dict.fromkeys(SIGNALS, 0) | {"source": 5}
    assert (score.value, score.hot, score.budget, score.service) == (5, False, None, None)
    r = reasons(score)
    assert r["budget"] == "no budget mentioned"
    assert r["timeline"] == "no timeline mentioned"
    assert r["company_size"] == "company size not given"
    assert r["referral"] == "no referral mentioned"
    assert r["client_tier"] == "not a known client"
    assert r["length"].startswith("6 words")
    assert all(s.reason for s in score.signals)


def test_budget_and_timeline_read_from_text(system_map, make_lead) -> None:
    lead = make_lead("Budget is around $8k and we want it live in 6 weeks. We are 120 staff.")
    p = points(score_lead(lead, None, system_map, NOW))
    assert (p["budget"], p["timeline"], p["company_size"]) == (8, 7, 7)


def test_budget_field_beats_text(system_map, make_lead) -> None:
    lead = make_lead("Our last agency charged $2k.", fields={"budget": "50,000+"})
    score = score_lead(lead, None, system_map, NOW)
    assert score.budget == 50_000 and points(score)["budget"] == 25


def test_distant_timeline_scores_zero_with_reason(system_map, make_lead) -> None:
    score = score_lead(make_lead("We'd like this by Q3 2027."), None, system_map, NOW)
    assert points(score)["timeline"] == 0
    assert "beyond 366 days" in reasons(score)["timeline"]


def test_referral_three_ways(system_map, make_lead) -> None:
    by_channel = score_lead(make_lead("note", channel="referral"), None, system_map, NOW)
    by_field = score_lead(make_lead("hello", fields={"referred_by": "Dana Lee"}), None, system_map, NOW)
    by_text = score_lead(make_lead("Dana Lee referred me to you."), None, system_map, NOW)
    assert points(by_channel)["referral"] == 12 and points(by_channel)["source"] == 12
    assert points(by_field)["referral"] == 12 and "Dana Lee" in reasons(by_field)["referral"]
    assert points(by_text)["referral"] == 12 and "referred me" in reasons(by_text)["referral"]


def test_client_tier_points(system_map, make_lead) -> None:
    lead = make_lead("Quick question", email="ana@harbordental.example")
    client = find_client(lead, system_map.clients).client
    score = score_lead(lead, client, system_map, NOW)
    assert points(score)["client_tier"] == 15
    assert reasons(score)["client_tier"] == "Harbor Dental Group is a gold client"


def test_clamped_to_100(system_map, make_lead) -> None:
    lead = make_lead(RICH_BODY + " Sam Ortiz referred me. We need it ASAP.", channel="referral",
                     fields=RICH_FIELDS | {"budget": "six figures", "company_size": "200+"})
    client = system_map.clients.clients[0]
    score = score_lead(lead, client, system_map, NOW)
    assert sum(points(score).values()) > 100
    assert score.value == 100 and score.hot


def test_spam_is_still_scored_and_deterministic(system_map, make_lead) -> None:
    lead = make_lead("CHEAP SEO!!! Rank on Google in 7 days, only $99. Reply for pricing.")
    first = score_lead(lead, None, system_map, NOW)
    assert first == score_lead(lead, None, system_map, NOW)
    assert first.service == "seo" and first.budget == 99
    assert first.value == 5 + 10 + 3 + 10 + 5  # source, ask, budget, timeline, service


def test_hot_threshold_boundary(system_map, make_lead) -> None:
    lead = make_lead(RICH_BODY, channel="web_form", fields=RICH_FIELDS)
    score = score_lead(lead, None, system_map.model_copy(
        update={"scoring": system_map.scoring.model_copy(update={"hot_threshold": 75})}), NOW)
    assert score.value == 74 and not score.hot
