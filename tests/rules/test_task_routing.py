"""The one assignment algorithm: strategies, capacity in hours, availability, explanations."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from opsys.config.calendar_models import AwayPeriod
from opsys.records.tasks import TaskSpec
from opsys.rules.task_routing import Load, RoutingState, away_today, route_inputs, route_task

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday, 09:00 in Chicago


def team_of(system_map, **changes):
    """The sample map with some people changed, e.g. jordan={"weekly_hours": 2}."""
    people = [p.model_copy(update=changes.get(p.id, {})) for p in system_map.team.people]
    return system_map.model_copy(update={"team": system_map.team.model_copy(update={"people": people})})


def with_rules(system_map, *rules):
    from opsys.config.models import Routing

    routing = Routing.model_validate({"overflow_owner": "maya", "rules": list(rules)})
    return system_map.model_copy(update={"routing": routing})


ONBOARDING = TaskSpec(kind="onboarding_step", title="Kick-off call", subject_type="deal", subject_id="hubspot:1")


def test_a_task_kind_rule_routes_producer_tasks_round_robin(system_map):
    d = route_task(ONBOARDING, system_map, RoutingState())
    assert (d.rule, d.owner_id) == ("onboarding-in-turns", "priya")
    assert d.explanation["strategy"] == "round_robin" and d.explanation["cursor"] == "priya"
    d2 = route_task(ONBOARDING, system_map, RoutingState(cursors={"onboarding-in-turns": "priya"}))
    assert d2.owner_id == "sam" and "next in turn among account_manager after priya" in d2.reason


def test_round_robin_is_fair_under_a_burst(system_map):
    m = with_rules(team_of(system_map, priya={"capacity": 1000}, sam={"capacity": 1000}),
                   {"name": "rr", "action": "queue", "assign": {"role": "account_manager", "strategy": "round_robin"}})
    cursor: dict[str, str] = {}
    loads: Counter[str] = Counter()
    for _ in range(501):
        d = route_task(ONBOARDING, m, RoutingState(loads={k: Load(v) for k, v in loads.items()}, cursors=cursor))
        loads[d.owner_id] += 1
        cursor = {"rr": d.explanation["cursor"]}
    assert max(loads.values()) - min(loads.values()) <= 1 and sum(loads.values()) == 501


def test_nobody_away_gets_new_work_and_the_reason_says_so(system_map):
    d = route_task(ONBOARDING, system_map, RoutingState(away={"priya": "away until 2026-11-28"}))
    assert d.owner_id == "sam" and "skipping priya" in d.reason
    (priya,) = [c for c in d.explanation["candidates"] if c["person"] == "priya"]
    assert priya["available"] is False and priya["why_not"] == "away until 2026-11-28"


def test_everyone_away_parks_on_overflow_and_overflow_away_leaves_it_unassigned(system_map):
    away = {"priya": "away until x", "sam": "away until y"}
    d = route_task(ONBOARDING, system_map, RoutingState(away=away))
    assert d.owner_id == "maya" and d.explanation["parked"] is True
    assert "all account_manager at capacity or away (priya away, sam away)" in d.reason
    d = route_task(ONBOARDING, system_map, RoutingState(away={**away, "maya": "away until z"}))
    assert d.owner_id is None and "waits unassigned" in d.reason


def test_away_today_reads_team_yml_and_store_periods_in_firm_time(system_map):
    m = team_of(system_map, leo={"away": [AwayPeriod(start=date(2026, 11, 24), until=date(2026, 11, 26))]})
    extra = {"sam": [AwayPeriod(start=date(2026, 11, 20), until=date(2026, 11, 24), note="course")]}
    assert away_today(m, NOW, extra) == {"leo": "away until 2026-11-26", "sam": "away until 2026-11-24 (course)"}
    # 03:00 UTC on the 24th is still the 23rd in Chicago: nobody is away yet
    assert away_today(m, datetime(2026, 11, 24, 3, 0, tzinfo=UTC), extra) == {"sam": "away until 2026-11-24 (course)"}


def test_weekly_hours_bound_capacity_in_hours(system_map):
    m = team_of(system_map, priya={"weekly_hours": 2.0})
    state = RoutingState(loads={"priya": Load(1, 1.5), "sam": Load(3, 3.0)}, effort_hours=2.0)
    d = route_task(ONBOARDING, m, state)
    assert d.owner_id == "sam"
    (priya,) = [c for c in d.explanation["candidates"] if c["person"] == "priya"]
    assert priya["why_not"] == "out of hours (1.5 h open + 2 h > 2 h a week)"


def test_least_loaded_counts_share_of_hours_and_names_the_tie_break(system_map):
    spec = TaskSpec(kind="answer_client", title="Q", subject_type="contact", subject_id="1", is_lead=False,
                    category="routine")
    d = route_task(spec, system_map, RoutingState())
    assert d.owner_id == "priya" and d.explanation["tie_break"] == "tie with sam: team.yml order"
    # priya 30 h a week with 6 h open (20 %) vs sam 15 h with 1.5 h (10 %): sam, though he has more tasks
    d = route_task(spec, system_map, RoutingState(loads={"priya": Load(2, 6.0), "sam": Load(3, 1.5)}))
    assert d.owner_id == "sam" and d.explanation["tie_break"] is None


def test_sticky_goes_to_the_last_handler_then_the_account_manager(system_map):
    m = with_rules(system_map, {"name": "sticky", "action": "queue",
                                "assign": {"role": "account_manager", "strategy": "sticky"}})
    spec = TaskSpec(kind="answer_client", title="Q", subject_type="contact", subject_id="1",
                    client="Northfield Physio")
    d = route_task(spec, m, RoutingState(previous_owners=("sam", "priya")))
    assert d.owner_id == "sam" and "who handled this contact last" in d.reason
    d = route_task(spec, m, RoutingState(previous_owners=("sam",), loads={"sam": Load(6)}))
    assert d.owner_id == "priya" and "Sam Whitfield is at capacity (6/6) (handled this contact last)" in d.reason
    manager = next(c for c in system_map.clients.clients if c.name == "Northfield Physio").account_manager
    d = route_task(spec, m, RoutingState())
    assert d.owner_id == manager and "nobody handled this contact before" in d.reason


def test_skills_strategy_picks_people_doing_the_service(system_map):
    m = with_rules(system_map, {"name": "by-skill", "action": "queue", "assign": {"strategy": "skills"}})
    d = route_inputs({"service": "seo"}, m, RoutingState())
    assert d.owner_id == "leo" and "least-loaded the team doing seo" in d.reason
    d = route_inputs({"service": "maintenance"}, m, RoutingState(loads={"priya": Load(1, 0.5)}))
    assert d.owner_id == "sam"
    d = route_inputs({"service": None}, m, RoutingState())
    assert "lists the service in skills" in d.reason


def test_no_rule_for_a_task_kind_parks_it_on_overflow(system_map):
    m = with_rules(system_map, {"name": "only-spam", "when": {"category": ["spam"]}, "action": "spam"})
    d = route_task(ONBOARDING, m, RoutingState())
    assert (d.rule, d.owner_id) == ("no-rule-matched", "maya") and d.explanation["parked"] is True
    assert "task kind onboarding_step" in d.reason
