"""The loaded map answers "which line is this field on?" from the YAML it read once."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsys.config.lines import SourceLines, read_yaml
from opsys.config.loader import ConfigError, load_system_map


def _line_with(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_lines_come_from_the_load_not_a_second_read(workspace):
    m = load_system_map(workspace.system_map)
    routing = workspace.system_map / "routing.yml"
    want = _line_with(routing, f"name: {m.routing.rules[2].name}")
    wf = workspace.system_map / "workflows.yml"
    sop_line = _line_with(wf, "sops:")
    routing.unlink()  # gone from disk: the answers must come from what was loaded
    wf.write_text("workflows: []\n")
    assert m.lines.line("routing.yml", "rules", 2, "name") == want
    assert m.lines.line("workflows.yml", "workflows", 0, "sops", 0) == sop_line
    assert m.lines.path("routing.yml") == routing


def test_an_absent_field_answers_with_its_nearest_parent(workspace):
    m = load_system_map(workspace.system_map)
    assert m.lines.line("routing.yml", "rules", 0, "no_such_key") == m.lines.line("routing.yml", "rules", 0)
    assert m.lines.line("no-such.yml", "x") is None
    assert SourceLines().line("team.yml", "firm") is None


def test_problem_names_file_line_and_field(workspace):
    m = load_system_map(workspace.system_map)
    p = m.lines.problem("team.yml", ("people", 1, "capacity"), "too many")
    assert str(p) == f"{workspace.system_map / 'team.yml'}:{p.line}: people[1].capacity: too many"
    assert "capacity:" in (workspace.system_map / "team.yml").read_text().splitlines()[p.line - 1]


def test_read_yaml_parses_once_and_keeps_the_tree(tmp_path):
    f = tmp_path / "x.yml"
    f.write_text("a:\n  b: [1, 2]\n")
    data, node = read_yaml(f)
    assert data == {"a": {"b": [1, 2]}} and node.start_mark.line == 0
    f.write_text("a: 1\na: 2\n")
    with pytest.raises(ConfigError, match="'a' is written twice"):
        read_yaml(f)
