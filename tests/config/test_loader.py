from pathlib import Path

import pytest

from opsys.config.loader import ConfigError, load_system_map


def _break(ws: Path, file: str, old: str, new: str) -> None:
    p = ws / "system_map" / file
    text = p.read_text()
    assert old in text, f"fixture text {old!r} not in {file}"
    p.write_text(text.replace(old, new, 1))


def test_sample_map_loads(workspace):
    m = load_system_map(workspace.system_map)
    assert {p.id for p in m.team.people} == {"maya", "jordan", "priya", "leo", "sam"}
    assert m.routing.rules[0].action == "spam"
    assert len(m.examples) >= 100
    # bands are sorted best-first whatever the YAML order
    assert [b.min for b in m.scoring.budget] == sorted((b.min for b in m.scoring.budget), reverse=True)


def test_bad_value_names_file_line_field_and_value(workspace):
    _break(workspace.root, "team.yml", "capacity: 10", "capacity: lots")
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    (problem,) = e.value.problems
    assert problem.file.name == "team.yml"
    assert problem.field == "people[1].capacity"
    assert "'lots'" in problem.message
    lines = (workspace.system_map / "team.yml").read_text().splitlines()
    assert "capacity: lots" in lines[problem.line - 1]


def test_unknown_key_is_refused(workspace):
    _break(workspace.root, "scoring.yml", "\nhot_threshold:", "\nhot_treshold:")
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    fields = {p.field for p in e.value.problems}
    assert "hot_treshold" in fields and "hot_threshold" in fields


def test_cross_reference_to_unknown_role(workspace):
    _break(workspace.root, "routing.yml", "assign: {role: marketing}", "assign: {role: marketer}")
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    (problem,) = e.value.problems
    assert problem.file.name == "routing.yml" and "marketer" in problem.message
    assert "marketer" in (workspace.system_map / "routing.yml").read_text().splitlines()[problem.line - 1]


def test_yaml_syntax_error_has_line(workspace):
    p = workspace.system_map / "clients.yml"
    p.write_text("clients:\n  - name: [unclosed\n")
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    assert e.value.problems[0].file == p and e.value.problems[0].line is not None


def test_bad_example_label(workspace):
    p = workspace.system_map / "examples" / "zz-extra.yml"
    p.write_text("- text: hello there, how are you\n  category: smalltalk\n  is_lead: false\n")
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    (problem,) = e.value.problems
    assert problem.field == "[0].category" and "smalltalk" in problem.message and problem.line == 2


def test_routing_tiers_and_rule_names_are_checked(workspace):
    _break(workspace.root, "routing.yml", "client_tier: [gold]", "client_tier: [golde]")
    _break(workspace.root, "routing.yml", "- name: other-leads-queue", "- name: hot-lead-notifies-sales")
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    found = {p.field: p for p in e.value.problems}
    assert "unknown tier 'golde'" in found["rules[2].when.client_tier"].message
    dup = next(p for f, p in found.items() if f.endswith(".name"))
    assert "used twice" in dup.message
    lines = (workspace.system_map / "routing.yml").read_text().splitlines()
    assert "golde" in lines[found["rules[2].when.client_tier"].line - 1]
    assert "hot-lead-notifies-sales" in lines[dup.line - 1]


def test_a_key_written_twice_is_refused_with_its_line(workspace):
    _break(workspace.root, "team.yml", "capacity: 10", "capacity: 10\n    capacity: -5")
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    (problem,) = e.value.problems
    assert "'capacity' is written twice" in problem.message
    assert "capacity: -5" in (workspace.system_map / "team.yml").read_text().splitlines()[problem.line - 1]


def test_capitalised_data_keys_stay_in_the_error_path(workspace):
    _break(workspace.root, "team.yml", "    seo:\n", "    SEO:\n")
    _break(workspace.root, "team.yml", "keywords: [seo, search engine", "keywords: 12 #[seo, search engine")
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    fields = [p.field for p in e.value.problems]
    assert "firm.services.SEO.keywords" in fields, fields


def _only_problem(ws):
    with pytest.raises(ConfigError) as e:
        load_system_map(ws.system_map)
    (problem,) = e.value.problems
    return problem


def _line(ws: Path, file: str, n: int | None) -> str:
    assert n is not None
    return (ws / "system_map" / file).read_text().splitlines()[n - 1]


@pytest.mark.parametrize("zone, hint", [("Europe/Manchester", "'Europe/London'"),
                                        ("America/Chigaco", "did you mean 'America/Chicago'?"),
                                        ("america/chicago", "did you mean 'America/Chicago'?")])
def test_a_timezone_that_is_not_an_iana_zone_is_refused(workspace, zone, hint):
    _break(workspace.root, "team.yml", "timezone: America/Chicago", f"timezone: {zone}")
    p = _only_problem(workspace)
    assert p.field == "firm.timezone" and f"timezone: {zone}" in _line(workspace.root, "team.yml", p.line)
    assert p.message.startswith("not an IANA time zone") and hint in p.message and repr(zone) in p.message


def test_a_region_that_is_not_a_phone_region_is_refused_with_the_code_to_use(workspace):
    _break(workspace.root, "team.yml", "default_region: US", "default_region: UK")
    p = _only_problem(workspace)
    assert p.field == "firm.default_region" and "default_region: UK" in _line(workspace.root, "team.yml", p.line)
    assert "not a phone region; did you mean 'GB'?" in p.message


def test_a_lower_case_region_is_read_as_its_code(workspace):
    _break(workspace.root, "team.yml", "default_region: US", "default_region: gb")
    assert load_system_map(workspace.system_map).team.firm.default_region == "GB"


def test_an_email_that_is_not_an_address_is_refused(workspace):
    _break(workspace.root, "team.yml", "email: priya@brightside.example", "email: marta at kestrelpine")
    p = _only_problem(workspace)
    assert p.field == "people[2].email" and "marta at kestrelpine" in _line(workspace.root, "team.yml", p.line)
    assert p.message.startswith("not an email address") and "@-sign" in p.message


def test_a_duplicate_person_id_points_at_the_duplicate_without_pydantic_wording(workspace):
    _break(workspace.root, "team.yml", "- id: leo", "- id: jordan")
    p = _only_problem(workspace)
    assert p.field == "people[3].id"
    assert p.message == "person id 'jordan' is used twice (also people[1]); give each person their own id"
    lines = (workspace.system_map / "team.yml").read_text().splitlines()
    assert p.line == [i for i, x in enumerate(lines, 1) if "id: jordan" in x][1]


@pytest.mark.parametrize("old, new, field, term", [
    ("portal]", "portal, Pages]", "quality.specificity.terms", "'Pages'"),
    ('"get started"]', '"get started", "Book a  call"]', "quality.concrete_ask.phrases", "'Book a  call'"),
])
def test_a_scoring_term_listed_twice_is_refused_at_its_line(workspace, old, new, field, term):
    _break(workspace.root, "scoring.yml", old, new)
    p = _only_problem(workspace)
    assert p.field.startswith(field + "[") and term in p.message and "listed twice" in p.message
    assert term.strip("'") in _line(workspace.root, "scoring.yml", p.line)


def test_no_message_carries_pydantic_value_error_prefix(workspace):
    _break(workspace.root, "routing.yml", "assign: {role: marketing}", "assign: {account_manager: true}")
    p = _only_problem(workspace)
    assert p.message.startswith("assign needs a role or a person"), p.message


def test_an_impossible_date_is_a_line_not_a_traceback(workspace):
    _break(workspace.root, "clients.yml", "tier: gold", "tier: 2026-13-01")
    p = _only_problem(workspace)
    assert "'2026-13-01' is not a real date" in p.message and "2026-13-01" in _line(workspace.root, "clients.yml", p.line)


def test_crm_settings_are_typed_on_the_map(workspace):
    from opsys.config.pipeline_models import CrmToolSettings

    m = load_system_map(workspace.system_map)
    assert isinstance(m.crm, CrmToolSettings) and m.crm.format == "auto"
    assert m.tools.tools["crm"].settings == m.crm


def test_settings_on_a_tool_that_is_not_the_crm_are_refused(workspace):
    _break(workspace.root, "tools.yml", "    kind: project\n", "    kind: project\n    settings: {format: mapped}\n")
    p = _only_problem(workspace)
    assert p.field == "tools.project.settings" and "only the CRM (kind: crm)" in p.message
    assert "settings:" in _line(workspace.root, "tools.yml", p.line)
