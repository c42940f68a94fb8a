"""`opsys check` on mkdocs.yml: object-constructing YAML tags are errors at their line (MkDocs' own
loader would run them), the `!!python/name:` tags Material's extensions need are not."""

from __future__ import annotations

from typer.testing import CliRunner

from opsys.knowledge.site_config import check_site_config

MATERIAL_EXTRAS = """
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
      emoji_generator: !!python/name:material.extensions.emoji.to_svg
  - toc:
      slugify: !!python/object/apply:pymdownx.slugs.slugify
        kwds:
          case: lower
"""


def line_of(text: str, needle: str) -> int:
    return next(i + 1 for i, line in enumerate(text.splitlines()) if needle in line)


def test_the_template_and_materials_documented_tags_pass(workspace):
    cfg = workspace.root / "mkdocs.yml"
    assert "!!python/name:pymdownx.superfences.fence_code_format" in cfg.read_text()
    assert check_site_config(cfg) == []
    cfg.write_text(cfg.read_text() + MATERIAL_EXTRAS)
    assert check_site_config(cfg) == []


def test_object_tags_are_flagged_at_their_line_and_nothing_runs(workspace, tmp_path):
    cfg = workspace.root / "mkdocs.yml"
    marker = tmp_path / "PWNED"
    cfg.write_text(cfg.read_text() + f"""extra:
  analytics: !!python/object/apply:os.system ["touch {marker}"]
  formatter: !!python/name:os.system
  spawn: !<tag:yaml.org,2002:python/object/new:subprocess.Popen> [["true"]]
  mod: !!python/module:os
  fine: !!python/tuple [1, 2]
  env: !ENV [SITE_NAME, "ops"]
""")
    text = cfg.read_text()
    findings = check_site_config(cfg)
    assert [(f.line, f.severity) for f in findings] == [
        (line_of(text, "analytics:"), "error"),
        (line_of(text, "formatter:"), "error"), (line_of(text, "spawn:"), "error"), (line_of(text, "mod:"), "error")]
    assert "os.system" in findings[0].message and "remove the tag" in findings[0].message

    from opsys.cli.main import app

    result = CliRunner().invoke(app, ["-w", str(workspace.root), "check"])
    assert result.exit_code == 1
    assert f"{cfg}:{line_of(text, 'analytics:')}: `!!python/object/apply:os.system`" in result.output
    assert not marker.exists()  # opsys check only parses

    from mkdocs.config import load_config

    try:  # what the check guards against: MkDocs' own loader runs the command
        load_config(str(cfg))
    except Exception:  # noqa: BLE001 — the other tags may fail validation after os.system ran
        pass
    assert marker.exists()


def test_a_tag_in_an_inherited_file_is_flagged_there(workspace):
    base = workspace.root / "base.yml"
    base.write_text("theme:\n  name: material\nextra:\n  x: !!python/object/apply:os.getcwd []\n")
    cfg = workspace.root / "mkdocs.yml"
    cfg.write_text("INHERIT: base.yml\n" + cfg.read_text())
    findings = check_site_config(cfg)
    assert [(f.file, f.line) for f in findings] == [(base, 4)]


def test_broken_yaml_is_one_finding_with_its_line(workspace):
    cfg = workspace.root / "mkdocs.yml"
    cfg.write_text("site_name: x\nnav: [a, b\n")
    (finding,) = check_site_config(cfg)
    assert finding.severity == "error" and finding.line == 3 and "not valid YAML" in finding.message
