"""What still names the template firm after `opsys init`: a forked site should speak for its own firm.

The template's firm name is read from the repo's own `system_map/team.yml` (the package never names
it), so the check follows whatever sample the repo ships.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from opsys.knowledge.checks import Finding

SCANNED = ("sops/**/*.md", "system_map/**/*.yml", "mkdocs.yml", "notebooks/**/*.ipynb")


def firm_name_of(root: Path) -> str | None:
    """`firm.name` of the team.yml under `root`, or None when it cannot be read (the map check says why)."""
    try:
        data = yaml.safe_load((root / "system_map" / "team.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    name = (data.get("firm") or {}).get("name")
    return name if isinstance(name, str) and name.strip() else None


def template_name_findings(ws_root: Path, template_root: Path, firm_name: str) -> list[Finding]:
    """One warning per file that still names the template firm; none in the template repo itself."""
    template = firm_name_of(template_root)
    if template is None or ws_root.resolve() == template_root.resolve():
        return []
    if firm_name.strip().casefold() == template.casefold():
        return [Finding(ws_root / "system_map" / "team.yml", None, "warning",
                        f"firm.name is still the template's ({template}): describe your own firm in "
                        "system_map/team.yml (the site title and the pages take it from there)")]
    words = [template] + [w for w in template.split()[:1] if len(w) >= 5]
    pattern = re.compile("|".join(re.escape(w) for w in words), re.I)
    out = []
    for glob in SCANNED:
        for path in sorted(ws_root.glob(glob)):
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            hits = [i for i, line in enumerate(lines, 1) if pattern.search(line)]
            if hits:
                out.append(Finding(path, hits[0], "warning",
                                   f"still names the template firm {template!r} on {len(hits)} line(s) "
                                   f"(first here): replace it with {firm_name}'s own words"))
    return out
