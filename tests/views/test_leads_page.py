"""The lead queue page: one card per lead, hot and newest first, grouped by owner, legible raw Markdown,
rendered with the site's own Markdown extensions (mkdocs.yml), times in the firm's timezone."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime

import markdown
import pytest
import yaml

from opsys.config.loader import load_system_map
from opsys.store.inquiries import InquiryView
from opsys.views.leads_page import render_leads_page
from tests.conftest import REPO

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
LONG_REASON = "budget \"$30k-$35k\" read as 30,000 USD (band from 20,000), " + "and more words " * 30 + "END."


@pytest.fixture(scope="module")
def m():
    return load_system_map(REPO / "system_map")


def lead(**kw) -> InquiryView:
    base = dict(
        id=1, received_at="2026-11-20T16:00:00+00:00", channel="web_form", source_name="form-1.json",
        subject="New website for our clinic", name="Dana Whitaker", email="dana@lakeshore.example",
        phone="+13125550147", company="Lakeshore CU", tier=None, category="routine", category_confidence=0.9,
        is_lead=True, lead_confidence=0.9, classified_by="embedding:all-MiniLM-L6-v2", score=40, hot=False,
        explanation="budget +20 (…)", service="web_design", budget=30000.0, route_action="queue",
        route_rule="queue-the-rest", route_reason="no rule before it fired", owner_id="jordan", status="queued",
        contact_id=1, warnings=[], signals=[{"name": "budget", "points": 20, "reason": LONG_REASON},
                                            {"name": "referral", "points": 0, "reason": "not a referral"}])
    return InquiryView(**{**base, **kw})


def site_html(page: str) -> str:
    """The page through the Markdown extensions the site itself declares in mkdocs.yml."""
    cfg = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=yaml.Loader)  # it holds !!python/name tags
    exts, configs = [], {}
    for e in cfg["markdown_extensions"]:
        name, conf = next(iter(e.items())) if isinstance(e, dict) else (e, {})
        exts.append(name)
        configs[name] = conf or {}
    body = page.split("---\n", 2)[2]  # front matter is MkDocs', not Markdown's
    return markdown.markdown(body, extensions=exts, extension_configs=configs)


def cards(out: str) -> list[str]:
    return re.findall(r"<details.*?</details>", out, flags=re.S)


def test_one_card_per_lead_with_the_full_explanation_folded_beneath(m):
    older = lead(id=2, name="Eve Ames", received_at="2026-11-19T16:00:00+00:00")
    out = site_html(render_leads_page([lead(id=1), older], m, NOW))
    found = cards(out)
    assert len(found) == 2 and "<table>" in out  # the cards, and the owner index above them
    summary = html.unescape(re.sub(r"<[^>]+>", "", found[0].split("</summary>")[0]))
    for part in ("40", "Dana Whitaker (Lakeshore CU)", "New website for our clinic", "30,000 USD", "queued",
                 "Jordan Reyes", "2 d ago"):
        assert part in summary, (part, summary)
    body = html.unescape(re.sub(r"<[^>]+>", "", found[0].split("</summary>")[1]))
    assert LONG_REASON in body  # whole, not cut mid-sentence
    assert "dana@lakeshore.example" in body and "+13125550147" in body
    assert "not a referral" not in body  # signals that scored nothing are noise


def test_hot_is_text_and_css_not_an_emoji(m):
    page = render_leads_page([lead(id=1, hot=True, score=72), lead(id=2)], m, NOW)
    assert "🔥" not in page
    hot, cold = cards(site_html(page))
    assert 'class="danger"' in hot and "HOT 72" in hot
    assert 'class="danger"' not in cold and "HOT" not in cold


def test_hot_first_then_newest_grouped_by_owner_behind_an_index(m):
    leads = [lead(id=1, received_at="2026-11-16T10:00:00+00:00", score=90),
             lead(id=2, received_at="2026-11-22T10:00:00+00:00", score=10),
             lead(id=3, received_at="2026-11-18T10:00:00+00:00", hot=True, score=61),
             lead(id=4, received_at="2026-11-19T10:00:00+00:00", hot=True, score=95),
             lead(id=5, owner_id="leo", status="assigned"),
             lead(id=6, owner_id=None, hot=True, score=70)]
    page = render_leads_page(leads, m, NOW)
    out = site_html(page)
    ids = [int(x) for x in re.findall(r"· #(\d+)</small>", out)]
    # sections with hot leads first (Jordan, then the unassigned in team.yml order's tail), Leo last
    assert ids == [4, 3, 2, 1, 6, 5]
    for anchor, title in (("owner-jordan", "Jordan Reyes: 4 leads, 2 hot"), ("unassigned", "Unassigned: 1 lead, 1 hot"),
                          ("owner-leo", "Leo Brandt: 1 lead, 0 hot")):
        assert f'<h2 id="{anchor}">{title}' in out
        assert f'href="#{anchor}"' in out  # the index links to it
    index = out.split("<table>")[1].split("</table>")[0]
    assert re.search(r"<th[^>]*>Queued</th>", index) and re.search(r"<th[^>]*>Assigned</th>", index)
    (tr,) = [r for r in index.split("<tr>") if 'href="#owner-jordan"' in r]
    row = re.sub(r"<[^>]+>", "|", tr)
    assert [c for c in row.split("|") if c.strip()][:4] == ["Jordan Reyes", "4", "2", "4"]


def test_raw_markdown_is_legible_and_times_are_the_firms(m):
    x = lead(subject="Re: launch 2026-12-01, 10:00 - budget: ~$30k (firm)", name="Jo_Ann O'Neil",
             email="jo_ann@example.com")
    page = render_leads_page([x], m, NOW)
    assert "&#" not in page  # nothing to escape here: dashes, colons, quotes and dots stay as typed
    assert "Re: launch 2026-12-01, 10:00 - budget: ~$30k (firm)" in page and "jo_ann@example.com" in page
    # 16:00 UTC is 10:00 in team.yml's America/Chicago; the page says so
    assert "2026-11-20 10:00" in page and "Times in America/Chicago" in page
    assert "last at 2026-11-23 08:00 CST" in page


def test_inbound_text_cannot_inject_into_a_card(m):
    nasty = lead(name="<script>alert(1)</script>", company="**ACME** {: onclick='x' }",
                 subject="[click](http://evil.example) ![x](http://evil.example/i.png) <img src=x onerror=alert(1)>",
                 route_reason="</details><details open>", source_name="# Owned",
                 signals=[{"name": "budget", "points": 5, "reason": "| a | b |\n# Heading\n1. list"}])
    out = site_html(render_leads_page([nasty, replace(nasty, id=2)], m, NOW))
    assert "<script" not in out and "<img" not in out and "evil.example\"" not in out and "<a href=\"http" not in out
    assert 'onclick="x"' not in out and "<strong>ACME" not in out and out.count("<h1") == 1
    assert len(cards(out)) == 2 and out.count("<details") == 2  # a reason cannot close or open a card
    shown = html.unescape(re.sub(r"<[^>]+>", "", out))
    assert "<script>alert(1)</script>" in shown and "[click](http://evil.example)" in shown


def test_no_leads_says_where_to_drop_them(m):
    page = render_leads_page([], m, NOW)
    assert "No leads yet" in page and "<details" not in page
