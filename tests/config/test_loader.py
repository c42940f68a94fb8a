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
    _break(workspace.root, "scoring.yml", "hot_threshold: 60", "hot_treshold: 60")
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
