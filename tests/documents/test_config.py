"""system_map/documents.yml: typed, loaded with the rest, and a bad value named by file, line and field."""

from __future__ import annotations

import pytest

from opsys.config.loader import ConfigError, load_system_map
from opsys.intake.documents import tolerance_of


def test_the_template_loads_into_the_rules_tolerance(workspace):
    t = tolerance_of(load_system_map(workspace.system_map))
    assert (t.hours, t.name_match, t.high_money) == (0.25, 80.0, 500.0) and "travel" in t.not_compared


def test_a_bad_value_names_file_line_and_field(workspace):
    path = workspace.system_map / "documents.yml"
    path.write_text(path.read_text().replace("min_confidence: 0.8", "min_confidence: 1.5"))
    with pytest.raises(ConfigError) as err:
        load_system_map(workspace.system_map)
    text = str(err.value)
    line = next(i for i, s in enumerate(path.read_text().splitlines(), 1) if "min_confidence" in s)
    assert f"documents.yml:{line}: extraction.min_confidence" in text


def test_an_unknown_key_is_refused(workspace):
    path = workspace.system_map / "documents.yml"
    path.write_text(path.read_text().replace("  hours: 0.25", "  hourz: 0.25"))
    with pytest.raises(ConfigError, match="tolerances.hourz"):
        load_system_map(workspace.system_map)
