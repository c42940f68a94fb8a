"""`mkdocs build` with the opsys plugin on a workspace made by `opsys init`: pages, history, audience, escaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from opsys.views.site_server import build_site

FOUNDER_PAGE = "---\ntitle: Margins by client\naudience: founder\ngenerated: true\n---\n# Margins by client\n\nSECRET-MARGIN-TABLE\n"
TEAM_PAGE = "---\ntitle: Lead queue\naudience: team\ngenerated: true\n---\n# Lead queue\n\nTEAM-QUEUE-TABLE\n"
UNMARKED_PAGE = "# Pipeline value\n\nUNMARKED-GENERATED-PAGE\n"


def commit_all(root: Path, author: str = "Priya Natarajan") -> str:
    import git

    repo = git.Repo.init(root)
    with repo.config_writer() as cw:
        cw.set_value("user", "name", author)
        cw.set_value("user", "email", "priya@brightside.example")
    repo.git.add("sops", "system_map", "mkdocs.yml")
    return repo.index.commit("handbook").hexsha


@pytest.fixture
def site_ws(workspace):
    commit_all(workspace.root)
    workspace.pages.mkdir(parents=True, exist_ok=True)
    (workspace.pages / "founder-margins.md").write_text(FOUNDER_PAGE)
    (workspace.pages / "leads.md").write_text(TEAM_PAGE)
    (workspace.pages / "pipeline.md").write_text(UNMARKED_PAGE)
    return workspace


def read(site: Path, uri: str) -> str:
    return (site / uri).read_text(encoding="utf-8")


def test_team_site_holds_sops_system_map_and_team_pages_only(site_ws, tmp_path):
    site = build_site(site_ws, "team", tmp_path / "team")
    for sop in site_ws.sops.glob("*.md"):
        if sop.name != "index.md":
            assert (site / sop.stem / "index.html").is_file()
    for page in ("system-map/index.html", "system-map/workflows/index.html", "system-map/routing/index.html"):
        assert (site / page).is_file()
    assert "TEAM-QUEUE-TABLE" in read(site, "generated/leads/index.html")
    notebook = read(site, "notebooks/lead-flow/index.html")  # notebooks/*.ipynb, code shown, no outputs
    assert "Lead flow, from the store" in notebook and "list_inquiries" in notebook
    assert not (site / "generated" / "founder-margins").exists()
    assert not (site / "generated" / "pipeline").exists()  # no audience said: founder-only
    everything = "".join(p.read_text(errors="ignore") for p in site.rglob("*.html")) + read(site, "search/search_index.json")
    assert "SECRET-MARGIN-TABLE" not in everything and "UNMARKED-GENERATED-PAGE" not in everything

    founder = build_site(site_ws, "founder", tmp_path / "founder")
    assert "SECRET-MARGIN-TABLE" in read(founder, "generated/founder-margins/index.html")
    assert "UNMARKED-GENERATED-PAGE" in read(founder, "generated/pipeline/index.html")


def test_sop_page_shows_owner_git_change_and_history(site_ws, tmp_path):
    (site_ws.root / "mkdocs.yml").write_text(
        (site_ws.root / "mkdocs.yml").read_text().replace("site_name:", "repo_url: https://git.example/brightside/ops\nsite_name:", 1))
    site = build_site(site_ws, "team", tmp_path / "site")
    html = read(site, "invoicing/index.html")
    card = html[html.index('class="opsys-card"'):html.index('id="purpose"')]
    text = re.sub(r"<[^>]+>", "", card)
    assert "Owner: founder (Maya Okafor)" in text
    assert re.search(r"Last change: \d{4}-\d\d-\d\d by Priya Natarajan", text)
    assert 'href="https://git.example/brightside/ops/commits/HEAD/sops/invoicing.md"' in card
    # frontmatter related ids become links even without a search index
    related = html[html.index('id="related-procedures"'):]
    assert 'href="../invoice-check/"' in related


def test_without_a_git_host_each_sop_gets_a_history_page(site_ws, tmp_path):
    import git

    repo = git.Repo(site_ws.root)
    page = site_ws.sops / "invoicing.md"
    page.write_text(page.read_text() + "\nOne more check before sending.\n")
    repo.git.add(str(page))
    repo.git.commit("-m", "Invoicing: add <b>final</b> check", "--author", "Sam Lee <sam@brightside.example>")
    site = build_site(site_ws, "team", tmp_path / "site")
    html = read(site, "invoicing/index.html")
    card = html[html.index('class="opsys-card"'):html.index('id="purpose"')]
    assert "by Sam Lee" in card and 'href="../history/invoicing/"' in card
    history = read(site, "history/invoicing/index.html")
    rows = re.sub(r"<[^>]+>", " ", history[history.index("<table"):history.index("</table>")])
    assert rows.index("Sam Lee") < rows.index("Priya Natarajan")  # newest first
    assert "<b>final</b>" not in history and "final" in history  # commit subjects are text, never HTML
    nav = read(site, "index.html")
    assert "history/invoicing" not in nav  # history pages stay out of the navigation


def test_workflow_pages_link_sops_and_rules_with_diagrams(site_ws, tmp_path):
    site = build_site(site_ws, "team", tmp_path / "site")
    wf = read(site, "system-map/workflows/index.html")
    assert wf.count('class="mermaid"') == 8  # the overview plus one per workflow
    assert 'href="../../urgent-client-issue/"' in wf
    assert 'href="../routing/#urgent-client-escalates"' in wf
    assert 'id="urgent-client-escalates"' in read(site, "system-map/routing/index.html")
    assert (site / "assets" / "opsys" / "mermaid.min.js").stat().st_size > 1_000_000
    head = wf[:wf.index("</head>")]
    assert '<script src="../../assets/opsys/mermaid.min.js"></script>' in head
    assert "mermaid.min.js" not in read(site, "invoicing/index.html")  # only pages with diagrams pay for it


def test_untrusted_text_in_the_system_map_is_inert(site_ws, tmp_path):
    tools = site_ws.system_map / "tools.yml"
    tools.write_text(tools.read_text().replace("name: HubSpot", "name: 'HubSpot <script>alert(1)</script> \"x\" [a](http://evil.example)'", 1))
    site = build_site(site_ws, "team", tmp_path / "site")
    html = read(site, "system-map/index.html")
    assert "<script>alert(1)" not in html and 'href="http://evil.example"' not in html
    assert "alert(1)" in re.sub(r"&#?\w+;", "", html)  # shown as text, not dropped


def test_without_vendored_mermaid_no_page_asks_material_for_the_cdn_copy(site_ws, tmp_path, monkeypatch):
    import opsys.views.mkdocs_plugin as plugin

    monkeypatch.setattr(plugin, "find_mermaid", lambda root: None)
    site = build_site(site_ws, "team", tmp_path / "site")
    wf = read(site, "system-map/workflows/index.html")
    assert 'class="mermaid"' not in wf and "mermaid.min.js" not in wf  # Material only loads it for .mermaid
    assert wf.count('class="opsys-diagram-source"') == 8 and "flowchart" in wf  # the source stays readable


def test_the_site_title_is_the_firms_own_from_team_yml(site_ws, tmp_path):
    team = site_ws.system_map / "team.yml"
    sample = team.read_text(encoding="utf-8")
    name = re.search(r"^  name: (.+)$", sample, re.M).group(1)
    team.write_text(sample.replace(f"  name: {name}\n", "  name: Kestrel & Pine Studio\n", 1), encoding="utf-8")
    site = build_site(site_ws, "team", tmp_path / "team")
    title = re.search(r"<title>(.*?)</title>", read(site, "index.html")).group(1)
    assert title.endswith("Kestrel & Pine Studio — operations") and name not in title
