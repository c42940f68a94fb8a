"""sequences.yml is validated like the rest of the map: every problem as file:line: field: message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def map_copy(tmp_path):
    shutil.copytree(REPO / "system_map", tmp_path / "system_map")
    return tmp_path / "system_map"


def _problems(root: Path, old: str, new: str) -> list[str]:
    from opsys.config.loader import load_system_map
    from opsys.config.problems import ConfigError

    p = root / "sequences.yml"
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1))
    try:
        with pytest.raises(ConfigError) as e:
            load_system_map(root)
    finally:
        p.write_text(text)
    return [str(x) for x in e.value.problems]


def test_the_sample_loads():
    from opsys.config.loader import load_system_map

    m = load_system_map(REPO / "system_map")
    assert set(m.sequences.sequences) == {"quiet-lead", "proposal-follow-up", "close-out"}
    assert m.team.firm.review_link and [s.key for s in m.pipeline.stages if s.delivered] == ["delivered"]
    counts = {c: sum(e.sentiment == c for e in m.sentiment_examples) for c in ("positive", "neutral", "negative")}
    assert min(counts.values()) >= 20


def test_a_template_field_that_does_not_exist(map_copy):
    [p] = _problems(map_copy, "I wanted to check that my last message", "I wanted to check {lastmessage}")
    assert p.startswith(f"{map_copy / 'sequences.yml'}:") and "templates.quiet-lead-nudge.body" in p
    assert "unknown field {lastmessage}" in p


def test_a_field_the_trigger_cannot_fill(map_copy):
    [p] = _problems(map_copy, "I wanted to check that my last message", "About {deal}: I wanted to check that my last message")
    assert "sequences.quiet-lead.steps[0].mail" in p and "a lead_quiet sequence does not know" in p


def test_references_to_other_files(map_copy):
    problems = _problems(map_copy, "task: {kind: follow_up_call, title: \"Call the quiet lead\"}",
                         "task: {kind: phone_them}")
    [p] = problems
    line = next(i for i, t in enumerate((map_copy / "sequences.yml").read_text().splitlines(), 1)
                if "kind: follow_up_call, title: \"Call the quiet lead\"" in t)
    assert f"sequences.yml:{line}: sequences.quiet-lead.steps[4].task.kind: unknown task kind 'phone_them'" in p
    [p] = _problems(map_copy, "deal_quiet: {stage: proposal,", "deal_quiet: {stage: proposals,")
    assert "unknown stage 'proposals'" in p


def test_a_step_is_one_thing_and_waits_are_durations(map_copy):
    [p] = _problems(map_copy, "      - wait: 4 business days", "      - wait: 4 fortnights")
    assert "sequences.quiet-lead.steps[1].wait" in p and "is not a duration" in p
    [p] = _problems(map_copy, "      - wait: 2 business days\n", "      - wait: 2 business days\n        mail: review-request\n")
    assert "exactly one of wait, mail, task, notify" in p
