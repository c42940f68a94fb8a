"""tasks.yml and the routing/team fields for tasks, through the real loader: file, line and field."""

from __future__ import annotations

import pytest

from opsys.config.loader import ConfigError, load_system_map
from tests.config.test_loader import _break


def _problem(workspace, file, old, new):
    _break(workspace.root, file, old, new)
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    (p,) = e.value.problems
    line = (workspace.system_map / p.file.name).read_text().splitlines()[p.line - 1]
    return p, line


def test_sample_tasks_load_with_efforts_in_hours(workspace):
    m = load_system_map(workspace.system_map)
    assert m.tasks.kinds["reply_to_hot_lead"].effort_hours == 0.75
    assert str(m.tasks.kinds["handle_urgent_issue"].respond_within) == "30 business minutes"
    assert m.team.person("jordan").backup == "leo" and m.team.person("leo").skills == ["seo", "ppc"]


def test_effort_that_is_not_a_duration(workspace):
    p, line = _problem(workspace, "tasks.yml", "effort: 45 minutes", "effort: a while")
    assert (p.file.name, p.field) == ("tasks.yml", "kinds.reply_to_hot_lead.effort")
    assert "not a duration" in p.message and "effort: a while" in line


def test_effort_in_days_is_refused(workspace):
    p, _ = _problem(workspace, "tasks.yml", "effort: 45 minutes", "effort: 2 days")
    assert "write the hours of work" in p.message


def test_unknown_role_and_person_in_the_ladder(workspace):
    p, line = _problem(workspace, "tasks.yml", "escalation: [remind_owner]", "escalation: [remind_owner, role:finance]")
    assert p.field == "kinds.follow_up_call.escalation[1]" and "no one in team.yml has role 'finance'" in p.message
    assert "role:finance" in line


def test_unknown_ladder_step(workspace):
    p, _ = _problem(workspace, "tasks.yml", "escalation: [remind_owner]", "escalation: [shout]")
    assert p.field == "kinds.follow_up_call.escalation[0]" and "unknown escalation step 'shout'" in p.message


def test_routing_rule_naming_an_unknown_task_kind(workspace):
    p, line = _problem(workspace, "routing.yml", "task_kind: [approve_draft, check_anomaly]",
                       "task_kind: [approve_draft, chek_anomaly]")
    assert p.field == "rules[10].when.task_kind[1]" and "unknown task kind 'chek_anomaly'" in p.message


def test_strategy_is_checked(workspace):
    p, _ = _problem(workspace, "routing.yml", "strategy: round_robin", "strategy: random")
    assert p.field == "rules[9].assign.strategy" and "round_robin" in p.message


def test_overlapping_away_periods_name_the_period(workspace):
    p, line = _problem(workspace, "team.yml", "    backup: leo\n",
                       "    backup: leo\n    away:\n      - {from: 2026-12-01, until: 2026-12-05}\n"
                       "      - {from: 2026-12-04, until: 2026-12-08}\n")
    assert p.field == "people[1].away[1]" and "overlaps away[0]" in p.message and "2026-12-04" in line


def test_unknown_skill_and_backup(workspace):
    p, _ = _problem(workspace, "team.yml", "skills: [seo, ppc]", "skills: [seo, tiktok]")
    assert p.field == "people[3].skills[1]" and "unknown service 'tiktok'" in p.message


def test_unknown_backup(workspace):
    p, _ = _problem(workspace, "team.yml", "backup: leo", "backup: leonard")
    assert p.field == "people[1].backup"


def test_missing_intake_kind(workspace):
    text = (workspace.system_map / "tasks.yml").read_text()
    start = text.index("  answer_client:")
    (workspace.system_map / "tasks.yml").write_text(text[:start] + text[text.index("  onboarding_step:"):])
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    assert any("answer_client" in p.message and p.file.name == "tasks.yml" for p in e.value.problems)


def test_check_names_an_unknown_sop_section(workspace):
    from opsys.check import check_workspace

    _break(workspace.root, "tasks.yml", "sop: discovery-call", "sop: discovery-call#no-such-part")
    report = check_workspace(workspace)
    (err,) = [f for f in report.errors if "tasks.yml" in str(f.file)]
    assert "no heading with anchor #no-such-part" in err.message and err.line
