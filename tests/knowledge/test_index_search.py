"""The index and hybrid search on real parts: the bundled MiniLM model, a persistent Chroma store, real files, git."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from opsys.cli.main import app

REPO = Path(__file__).resolve().parents[2]
QUERIES = REPO / "bench" / "search_queries.yml"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder():
    from opsys.ai.embeddings import load_embedder

    return load_embedder()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, embedder):
    """A workspace made by `opsys init`, indexed once for the read-only tests of this module."""
    from opsys.knowledge.index import build_index

    target = tmp_path_factory.mktemp("kn") / "ws"
    assert CliRunner().invoke(app, ["init", str(target)]).exit_code == 0
    report = build_index(target / "sops", target / "var", embedder=embedder)
    return target, report


@pytest.fixture(scope="module")
def searcher(indexed, embedder):
    from opsys.knowledge.search import Searcher

    return Searcher(indexed[0] / "var", embedder=embedder)


def test_index_holds_every_page_in_heading_chunks(indexed):
    root, report = indexed
    pages = sorted(p.name for p in (root / "sops").glob("*.md"))
    assert report.pages == len(pages) and sorted(report.added) == pages
    chunks = json.loads((root / "var" / "knowledge" / "chunks.json").read_text())
    assert report.chunks_total == len(chunks) == report.chunks_embedded
    invoicing = [c for c in chunks if c["rel"] == "invoicing.md"]
    assert {c["section"] for c in invoicing} == {"Purpose", "Steps", "Done when"}
    assert all(c["url"].startswith("invoicing/#") for c in invoicing)


def test_natural_question_finds_the_procedure_with_section_snippet_and_url(searcher):
    hits = searcher.search("checkout on a customer's shop stopped working", k=3)
    top = hits[0]
    assert top.sop_id == "urgent-client-issue"
    assert top.title == "Handling an urgent client issue (escalation)"
    assert top.url.startswith("urgent-client-issue/#") and top.section and top.snippet
    assert len({h.sop_id for h in hits}) == 3  # one result per procedure


def test_scores_are_calibrated_not_relative_to_the_top_hit(searcher):
    """The top hit is not 1.00 whatever it is: a clear answer scores high, a vague one low."""
    clear = searcher.search("scope creep", k=3)
    vague = searcher.search("our office printer is jammed", k=3)
    assert all(0 < h.score < 1 for h in clear + vague)
    assert clear[0].score > 0.3 > vague[0].score


def test_says_plainly_when_nothing_covers_the_question(searcher):
    for question in ("what's the weather in Lisbon tomorrow", "our office printer is jammed"):
        ans = searcher.answer(question, k=3)
        assert not ans.answered and "nothing in the library covers this" in ans.reason, (question, ans)
        assert ans.hits  # the closest pages are still shown, marked as a poor match
    assert searcher.answer("what are our payment terms", k=3).answered


def test_keyword_hits_outside_the_vectors_top_ranks_are_kept(searcher):
    """The README's own examples (issue 12): BM25 alone ranked them right, the gated hybrid lost them."""
    top3 = [h.sop_id for h in searcher.search("client wants extra pages", k=3)]
    assert "change-requests" in top3, top3
    top5 = [h.sop_id for h in searcher.search("I took a phone call from a potential client, where do I log it", k=5)]
    assert "lead-intake" in top5, top5


def _quality(searcher, mode: str, path: Path = QUERIES) -> tuple[float, float]:
    """recall@5 and MRR over the answerable questions (`sops: []` marks one nothing covers)."""
    queries = [q for q in yaml.safe_load(path.read_text()) if q["sops"]]
    r5 = rr = 0.0
    for item in queries:
        got = [h.sop_id for h in searcher.search(item["q"], k=10, mode=mode)]
        r5 += bool(set(item["sops"]) & set(got[:5]))
        rank = next((i for i, s in enumerate(got, 1) if s in item["sops"]), None)
        rr += 1 / rank if rank else 0
    return r5 / len(queries), rr / len(queries)


def test_hybrid_beats_bm25_and_vectors(searcher):
    bm25, vector, hybrid = (_quality(searcher, m) for m in ("bm25", "vector", "hybrid"))
    assert hybrid[0] > bm25[0] and hybrid[1] > bm25[1]
    assert hybrid[0] >= vector[0] and hybrid[1] > vector[1]
    assert hybrid[0] >= 0.9 and hybrid[1] >= 0.75


def test_cli_search_json(indexed):
    root, _ = indexed
    result = CliRunner().invoke(app, ["--workspace", str(root), "search", "a customer is 20 days late paying us",
                                      "--json", "-k", "2"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["answered"] is True and out["query"] == "a customer is 20 days late paying us"
    hits = out["results"]
    assert len(hits) == 2 and hits[0]["sop_id"] == "invoicing"
    assert set(hits[0]) >= {"title", "section", "snippet", "score", "url"}
    assert hits[0]["url"].startswith("http://127.0.0.1:8000/invoicing/#")


def test_cli_search_says_when_nothing_covers_it(indexed):
    root, _ = indexed
    result = CliRunner().invoke(app, ["--workspace", str(root), "search", "what's the weather in Lisbon tomorrow"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Nothing in the library covers this")
    assert "likely to answer" in result.stdout and "(1.00)" not in result.stdout
    answered = CliRunner().invoke(app, ["--workspace", str(root), "search", "what are our payment terms", "--json"])
    assert json.loads(answered.stdout)["answered"] is True


def test_an_index_of_an_older_format_must_be_rebuilt(tmp_path, embedder):
    """An index from before chunk vectors (state version 2), or with its vectors file gone, asks for `opsys index`;
    `opsys index` then rebuilds it whole."""
    from opsys.knowledge.index import IndexPaths, build_index
    from opsys.knowledge.search import IndexMissing, Searcher

    sops, var = tmp_path / "sops", tmp_path / "var"
    shutil.copytree(REPO / "sops", sops)
    build_index(sops, var, embedder=embedder)
    paths = IndexPaths(var)
    state = json.loads(paths.state.read_text())
    paths.state.write_text(json.dumps({**state, "version": 2}))
    with pytest.raises(IndexMissing, match="run `opsys index`"):
        Searcher(var, embedder=embedder)
    r = build_index(sops, var, embedder=embedder)
    assert r.chunks_embedded == r.chunks_total and Searcher(var, embedder=embedder).search("scope creep", k=1)
    paths.chunk_vectors.unlink()
    with pytest.raises(IndexMissing, match="run `opsys index`"):
        Searcher(var, embedder=embedder)
    assert build_index(sops, var, embedder=embedder).chunks_embedded == r.chunks_total


def test_incremental_reindex_changes_deletes_and_plain_pages(tmp_path, embedder):
    from opsys.knowledge.index import build_index
    from opsys.knowledge.search import Searcher

    sops, var = tmp_path / "sops", tmp_path / "var"
    shutil.copytree(REPO / "sops", sops)
    first = build_index(sops, var, embedder=embedder)
    again = build_index(sops, var, embedder=embedder)
    assert not again.changed and again.chunks_embedded == 0 and again.unchanged == first.pages

    (sops / "invoicing.md").write_text((sops / "invoicing.md").read_text()
                                       + "\n## Refunds\n\nRefunds are paid back through the payment processor "
                                         "within five business days, approved by the founder.\n")
    (sops / "client-offboarding.md").unlink()
    (sops / "parking.md").write_text("# Parking\n\nVisitors park in the two spaces marked for guests "
                                     "behind the building; staff use the garage on Elm Street.\n")
    r = build_index(sops, var, embedder=embedder)
    assert r.updated == ["invoicing.md"] and r.removed == ["client-offboarding.md"] and r.added == ["parking.md"]
    assert r.chunks_embedded == 4 + 1  # invoicing's sections + the plain page, nothing else
    s = Searcher(var, embedder=embedder)
    assert len(s.vectors) == len(s.chunks) == r.chunks_total and len(s.summaries) == len(s.pages) == r.pages
    # the new section is found and shown as invoicing's best section (one new section among the page's
    # others: the page as a whole still reads "invoicing", so two pages about money edge it out of first)
    assert ("invoicing", "Refunds") in [(h.sop_id, h.section) for h in s.search("how do we give money back to a customer", k=3)]
    assert s.search("where can a visitor leave their car", k=1)[0].rel == "parking.md"
    assert "client-offboarding" not in {h.sop_id for h in s.search("customer cancelled their retainer", k=19)}
    assert s.collection.count() == r.chunks_total

    from opsys.knowledge.index import related_pages

    related = related_pages(var)
    assert "parking.md" in related and "client-offboarding.md" not in related
    assert all(rel != "client-offboarding.md" for pairs in related.values() for rel, _ in pairs)


def test_git_commits_are_followed(tmp_path, embedder):
    """After a commit, the index records it; a later committed change is found through git."""
    import git

    from opsys.knowledge.index import build_index, load_state, IndexPaths

    repo = git.Repo.init(tmp_path)
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "Priya Natarajan")
        cw.set_value("user", "email", "priya@brightside.example")
    sops = tmp_path / "sops"
    shutil.copytree(REPO / "sops", sops)
    repo.index.add([str(p) for p in sops.glob("*.md")])
    c1 = repo.index.commit("handbook")
    build_index(sops, tmp_path / "var", embedder=embedder)
    assert load_state(IndexPaths(tmp_path / "var"))["commit"] == c1.hexsha
    page = sops / "weekly-status-update.md"
    page.write_text(page.read_text().replace("Thursday", "Friday"))
    repo.index.add([str(page)])
    c2 = repo.index.commit("status day moves to Friday")
    r = build_index(sops, tmp_path / "var", embedder=embedder)
    assert r.updated == ["weekly-status-update.md"] and not r.added and not r.removed
    assert load_state(IndexPaths(tmp_path / "var"))["commit"] == c2.hexsha

    from opsys.knowledge.history import last_changes

    changes = last_changes(sops)
    assert changes["weekly-status-update.md"].commit == c2.hexsha
    assert changes["invoicing.md"].commit == c1.hexsha and changes["invoicing.md"].author == "Priya Natarajan"


def test_related_pages_come_from_embeddings(indexed):
    from opsys.knowledge.index import related_pages

    rel = related_pages(indexed[0] / "var", top=3)
    assert "invoice-check.md" in [r for r, _ in rel["invoicing.md"]]
    assert all(r != "invoicing.md" for r, _ in rel["invoicing.md"])


def test_real_handbook_without_frontmatter_is_indexed_and_searchable(realdata, tmp_path, embedder):
    from opsys.knowledge.index import build_index
    from opsys.knowledge.search import Searcher

    # one section of the handbook (the whole of it is indexed by bench/search_scale.py): 20-odd pages
    root = realdata / "handbooks" / "civicactions" / "company-policies"
    r = build_index(root, tmp_path / "var", embedder=embedder)
    assert r.pages == len(list(root.rglob("*.md"))) > 15 and r.chunks_total > r.pages
    s = Searcher(tmp_path / "var", embedder=embedder)
    top = [h.rel for h in s.search("how do I record my hours worked each week", k=3)]
    assert any("timesheet" in t or "timekeeping" in t for t in top), top


def test_on_the_whole_real_handbook_hybrid_beats_plain_vectors(realdata, tmp_path, embedder):
    """The issue's bar on the CivicActions handbook (149 pages), on the set the ranking was tuned on and
    on the one written before it and never tuned on: recall@5 at least that of the best chunk's
    vector alone, a higher MRR, and MRR ≥ 0.80."""
    from opsys.knowledge.index import build_index
    from opsys.knowledge.search import Searcher

    build_index(realdata / "handbooks" / "civicactions", tmp_path / "var", embedder=embedder)
    s = Searcher(tmp_path / "var", embedder=embedder)
    for name in ("search_queries_civicactions.yml", "search_queries_civicactions_heldout.yml"):
        vector, hybrid = (_quality(s, mode, REPO / "bench" / name) for mode in ("vector", "hybrid"))
        assert hybrid[0] >= vector[0] and hybrid[1] > vector[1] and hybrid[1] >= 0.80, (name, vector, hybrid)


def test_founder_only_pages_stay_out_of_team_searches(tmp_path, embedder):
    from opsys.knowledge.index import build_index
    from opsys.knowledge.search import Searcher

    sops, var = tmp_path / "sops", tmp_path / "var"
    shutil.copytree(REPO / "sops", sops)
    (sops / "partner-margins.md").write_text(
        "---\ntitle: Partner margins\naudience: founder\n---\n# Partner margins\n\n"
        "What we pay the white-label hosting partner and the margin we keep on each care plan.\n")
    build_index(sops, var, embedder=embedder)
    s = Searcher(var, embedder=embedder)
    question = "margin we keep on the hosting partner's care plans"
    assert s.search(question, k=1)[0].rel == "partner-margins.md"
    assert "partner-margins.md" not in {h.rel for h in s.search(question, k=19, audience="team")}


def test_an_index_built_with_another_model_must_be_rebuilt(indexed):
    from opsys.knowledge.search import IndexMissing, Searcher

    with pytest.raises(IndexMissing, match="run `opsys index`"):
        Searcher(indexed[0] / "var", "/models/paraphrase-multilingual")


def test_each_section_is_embedded_with_its_page_title_heading_trail_and_trigger(tmp_path):
    from opsys.knowledge.chunking import chunk_sop, page_summary
    from opsys.knowledge.sop import parse_sop

    page = tmp_path / "refunds.md"
    page.write_text("---\nid: refunds\ntitle: Refunds\nowner: founder\ntrigger: A client asks for money back\n"
                    "systems: [invoicing]\nlast_reviewed: 2026-01-05\nreview_every: 1 year\ntags: [billing]\n---\n"
                    "# Refunds\n\n## Steps\n\nCheck the invoice and the contract terms first.\n\n"
                    "### Card payments\n\nCard payments are refunded through the payment processor.\n")
    sop = parse_sop(page, tmp_path)
    card = next(c for c in chunk_sop(sop) if c.section == "Card payments")
    assert card.path == "Steps › Card payments"
    assert card.embed_text().splitlines()[:2] == ["Refunds — Steps › Card payments",
                                                  "A client asks for money back Tags: billing"]
    assert page_summary(sop) == "A client asks for money back"
    plain = tmp_path / "plain.md"
    plain.write_text("# Parking\n\nVisitors park behind the building.\n")
    assert page_summary(parse_sop(plain, tmp_path)) == ""  # no summary: the page is judged by its sections
