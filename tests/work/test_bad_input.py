"""Bad input in the map's task and routing parts: `opsys check` names the file, the line and the field,
and exits non-zero (nothing runs on a map that fails). Each case edits the real sample file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from opsys.cli.main import app as cli
from tests.config.test_loader import _break

CASES = [
    ("routing.yml", "    assign: {role: marketing}\n", "    assign: {role: marketer}\n",
     "rules[4].assign.role", "no one in team.yml has role 'marketer'", "marketer"),
    ("routing.yml", "    assign: {person: maya}\n", "    assign: {person: mia}\n",
     "rules[2].assign.person", "unknown person 'mia'", "mia"),
    ("routing.yml", "when: {task_kind: [onboarding_step]}", "when: {task_kind: [onboarding]}",
     "when.task_kind[0]", "unknown task kind 'onboarding'", "onboarding]"),
    ("tasks.yml", "    effort: 2h\n", "    effort: two hours\n",
     "kinds.handle_urgent_issue.effort", "not a duration", "two hours"),
    ("workflows.yml", "        effort: 1h\n", "        effort: an hour\n",
     "workflows[2].steps[0].effort", "not a duration", "an hour"),
    ("team.yml", "    backup: leo\n", "    backup: leo\n    away:\n      - {from: 2026-12-01, until: 2026-12-05}\n"
     "      - {from: 2026-12-05, until: 2026-12-09}\n", "people[1].away[1]", "overlaps away[0]", "2026-12-09"),
    ("team.yml", "    backup: sam\n", "    backup: sam\n    timezone: Europe/Lisbn\n",
     "people[2].timezone", "did you mean 'Europe/Lisbon'?", "Europe/Lisbn"),
    ("team.yml", "    backup: sam\n", "    backup: sam\n    working_hours: 17:00-09:00\n",
     "people[2].working_hours", "is not after start", "working_hours"),
]


@pytest.mark.parametrize(("file", "old", "new", "field", "says", "on_line"), CASES,
                         ids=[f"{c[0]}:{c[3]}" for c in CASES])
def test_opsys_check_names_file_line_and_field(workspace, file, old, new, field, says, on_line):
    _break(workspace.root, file, old, new)
    r = CliRunner().invoke(cli, ["-w", str(workspace.root), "check", "--json"])
    assert r.exit_code != 0
    errors = json.loads(r.output)["errors"]
    (e,) = [x for x in errors if x["file"].endswith(file) and field in x["field"]]
    assert says in e["message"]
    assert on_line in (workspace.system_map / file).read_text().splitlines()[e["line"] - 1]
