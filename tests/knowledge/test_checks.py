"""`opsys check` over the SOP library and system map together, on real workspaces made by `opsys init`."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opsys.cli.main import app
from opsys.knowledge.checks import check_library
from opsys.knowledge.sop import load_library

REPO = Path(__file__).resolve().parents[2]
REQUIRED_TOPICS = ["lead-intake", "discovery-call", "proposal-and-pricing", "contract-and-deposit",
                   "client-onboarding", "project-kickoff", "weekly-status-update", "change-requests",
                   "invoicing", "invoice-check", "urgent-client-issue", "job-close-out",
                   "satisfaction-check", "client-offboarding", "changing-an-sop"]


def run_check(ws, *args: str):
    return CliRunner().invoke(app, ["--workspace", str(ws.root), "check", *args])


def test_shipped_library_has_the_required_sops_and_passes(workspace):
    sops = [s for s in load_library(workspace.sops) if s.meta]
    assert len(sops) >= 15
    assert set(REQUIRED_TOPICS) <= {s.sop_id for s in sops}
    described_by_opsys = [s for s in sops if "opsys" in s.meta.systems]
    assert len(described_by_opsys) >= 4
    result = run_check(workspace, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["ok"] is True and out["sop_pages"] == len(list(workspace.sops.glob("*.md")))
    assert out["workflows"] >= 5


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_each_kind_of_error_is_reported_with_file_and_line(workspace):
    sops = workspace.sops
    _edit(sops / "invoicing.md", "owner: founder", "owner: bookkeeper")
    _edit(sops / "invoicing.md", "systems: [invoicing, project, crm]", "systems: [invoicing, xero]")
    (sops / "invoicing-copy.md").write_text((sops / "invoice-check.md").read_text())
    _edit(sops / "discovery-call.md", "[lead queue page](lead-intake.md#steps)", "[lead queue page](lead-intake.md#no-such)")
    _edit(sops / "contract-and-deposit.md", "[Invoicing](invoicing.md#steps)", "[Invoicing](billing.md)")
    _edit(sops / "project-kickoff.md", "## Steps", "## What to do")
    _edit(sops / "lead-intake.md", "last_reviewed: 2026-11-24", "last_reviewed: 2020-01-01")
    _edit(sops / "job-close-out.md", "related: [invoicing,", "related: [billing-basics,")

    result = run_check(workspace)
    assert result.exit_code == 1
    err = result.stderr
    expect = [
        (sops / "invoicing.md", _line_of(sops / "invoicing.md", "owner:"), "owner 'bookkeeper' is not a role"),
        (sops / "invoicing.md", _line_of(sops / "invoicing.md", "systems:"), "system 'xero' is not in"),
        (sops / "invoicing-copy.md", 2, "duplicate id 'invoice-check'"),
        (sops / "discovery-call.md", _line_of(sops / "discovery-call.md", "lead-intake.md#no-such"),
         "broken anchor 'lead-intake.md#no-such'"),
        (sops / "contract-and-deposit.md", _line_of(sops / "contract-and-deposit.md", "billing.md"),
         "broken link 'billing.md'"),
        (sops / "project-kickoff.md", None, "steps missing"),
        (sops / "job-close-out.md", _line_of(sops / "job-close-out.md", "related:"), "no SOP has id 'billing-basics'"),
    ]
    for path, line, message in expect:
        pattern = re.escape(f"{path}:{line}: " if line else f"{path}:") + r".*" + re.escape(message)
        assert re.search(pattern, err), f"missing {path.name}:{line} {message!r} in:\n{err}"
    # an overdue review is a warning, not an error
    assert re.search(re.escape(f"{sops / 'lead-intake.md'}:") + r"\d+: warning: review overdue", err)

    data = json.loads(run_check(workspace, "--json").stdout)
    assert data["ok"] is False
    assert {e["message"].split(":")[0] for e in data["errors"]} >= {"steps missing", "related"}
    assert all(set(e) >= {"file", "line", "field", "message"} for e in data["errors"])
    assert any("review overdue" in w["message"] for w in data["warnings"])


def test_a_warning_alone_does_not_fail_and_plain_pages_say_what_they_lack(workspace):
    (workspace.sops / "handbook-note.md").write_text("# Parking\n\nPark behind the building.\n")
    result = run_check(workspace)
    assert result.exit_code == 0, result.output
    assert re.search(r"handbook-note\.md:1: warning: no SOP frontmatter: lacks id, title, owner", result.stderr)


def test_invalid_frontmatter_and_system_map_errors_are_reported_together(workspace):
    _edit(workspace.sops / "invoicing.md", "review_every: 6 months", "review_every: sometimes")
    _edit(workspace.system_map / "workflows.yml", "sops: [invoicing, invoice-check]", "sops: [invoicing, invoice-audit]")
    _edit(workspace.system_map / "workflows.yml", "- routing:client-messages", "- routing:client-mesages")
    result = run_check(workspace)
    assert result.exit_code == 1
    wf = workspace.system_map / "workflows.yml"
    assert f"{wf}:{_line_of(wf, 'routing:client-mesages')}: workflows[3].rules[1]: no routing rule" in result.stderr
    assert re.search(re.escape(str(workspace.sops / "invoicing.md")) + r":\d+: review_every: .*6 months",
                     result.stderr)

    # fix the map: now the SOP reference of workflows.yml is checked against the library
    _edit(wf, "- routing:client-mesages", "- routing:client-messages")
    result = run_check(workspace)
    assert f"{wf}:{_line_of(wf, 'invoice-audit')}: workflow names SOP 'invoice-audit'" in result.stderr


def test_real_handbook_without_frontmatter_is_checked_without_errors(realdata):
    root = realdata / "handbooks" / "civicactions"
    findings = check_library(root, today=date(2026, 11, 24))
    pages = list(root.rglob("*.md"))
    lacking = [f for f in findings if "no SOP frontmatter" in f.message]
    # every page that is not a folder index is reported as lacking SOP fields
    assert len(lacking) == len([p for p in pages if p.name.lower() not in ("readme.md", "index.md")])
    assert all(f.severity == "warning" for f in lacking)


def test_anchors_follow_what_mkdocs_writes():
    import markdown

    from opsys.knowledge.sop import parse_headings

    body = "## The `due_date` field\n\n## Steps {#steps-short}\n\n## Use <kbd>Ctrl</kbd> and *bold* words\n"
    ours = [h.anchor for h in parse_headings(body, 1)]
    md = markdown.Markdown(extensions=["toc", "attr_list", "md_in_html"])
    md.convert(body)
    theirs = [t["id"] for t in md.toc_tokens]
    assert ours == theirs == ["the-due_date-field", "steps-short", "use-ctrl-and-bold-words"]


def test_unclosed_frontmatter_is_an_error_not_a_plain_page(workspace):
    page = workspace.sops / "invoicing.md"
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    closing = lines.index("---\n", 1)
    page.write_text("".join(lines[:closing] + lines[closing + 1:]), encoding="utf-8")  # the closing --- lost
    result = run_check(workspace)
    assert result.exit_code == 1
    assert "invoicing.md:1: frontmatter opened with `---` is never closed" in result.output


def test_all_frontmatter_problems_of_a_page_at_once_without_a_traceback(workspace):
    page = workspace.sops / "invoicing.md"
    page.write_text(re.sub(r"last_reviewed: \S+", "last_reviewed: 2026-13-01", page.read_text(), count=1))
    _edit(page, "review_every: 6 months", "review_every: sometimes")
    _edit(page, "owner: founder", "owner: bookkeeper")
    result = run_check(workspace)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # not PyYAML's ValueError
    err = result.stderr
    assert f"{page}:{_line_of(page, '2026-13-01')}: last_reviewed: " in err
    assert "write it as YYYY-MM-DD (got '2026-13-01')" in err
    assert f"{page}:{_line_of(page, 'review_every:')}: review_every: must look like" in err
    assert f"{page}:{_line_of(page, 'owner:')}: owner 'bookkeeper' is not a role" in err
    assert "Value error" not in err


def test_a_page_nothing_links_to_is_a_warning(workspace):
    lonely = workspace.sops / "parking.md"
    lonely.write_text((workspace.sops / "invoice-check.md").read_text().replace("id: invoice-check", "id: parking"))
    result = run_check(workspace)
    assert result.exit_code == 0, result.output
    assert f"{lonely}:1: warning: no page links here" in result.stderr
    # linked from another page: no longer alone
    _edit(workspace.sops / "invoicing.md", "## Steps", "See [parking](parking.md).\n\n## Steps")
    assert "parking.md:1: warning: no page links here" not in run_check(workspace).stderr


def test_workflow_sop_lines_come_from_the_loaded_map(workspace):
    from opsys.config.loader import load_system_map
    from opsys.knowledge.checks import check_workspace_library

    wf = workspace.system_map / "workflows.yml"
    _edit(wf, "sops: [invoicing, invoice-check]", "sops: [invoicing, invoice-audit]")
    line = _line_of(wf, "invoice-audit")
    m = load_system_map(workspace.system_map)
    wf.unlink()  # the check must not read workflows.yml again
    found = [f for f in check_workspace_library(workspace.sops, workspace.system_map, m) if "invoice-audit" in f.message]
    assert [(f.file, f.line) for f in found] == [(wf, line)]
