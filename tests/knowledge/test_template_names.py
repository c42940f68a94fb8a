"""After `opsys init`, `opsys check` says what still speaks for the template firm; the repo itself stays quiet."""

from __future__ import annotations

import re

from opsys.check import check_workspace
from opsys.workspace import REPO_ROOT, Workspace


def _template_name() -> str:
    return re.search(r"^  name: (.+)$", (REPO_ROOT / "system_map" / "team.yml").read_text(), re.M).group(1)


def _warnings(ws) -> list[str]:
    return [str(f) for f in check_workspace(ws).warnings if "template" in f.message]


def test_a_fresh_copy_is_told_to_describe_its_own_firm(workspace):
    found = _warnings(workspace)
    assert len(found) == 1 and "team.yml" in found[0] and "describe your own firm" in found[0]


def test_after_renaming_the_firm_each_file_still_naming_the_template_is_listed(workspace):
    template = _template_name()
    team = workspace.system_map / "team.yml"
    team.write_text(team.read_text().replace(f"  name: {template}\n", "  name: Kestrel Pine\n", 1))
    index = workspace.sops / "index.md"
    first = next(i for i, line in enumerate(index.read_text().splitlines(), 1) if template.split()[0] in line)
    found = _warnings(workspace)
    assert any(f.startswith(f"{index}:{first}: warning: still names the template firm") for f in found), found
    assert any("examples" in f for f in found)
    # the renamed team.yml is still listed, for the people's addresses at the template's domain
    assert any(f.startswith(f"{team}:") and "Kestrel Pine" in f for f in found)
    index.write_text(re.sub(template.split()[0], "Kestrel", index.read_text()))
    assert not any(str(index) in f for f in _warnings(workspace))


def test_the_template_repo_itself_is_not_warned():
    assert _warnings(Workspace(REPO_ROOT)) == []
