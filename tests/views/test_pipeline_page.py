"""The pipeline page: figures, freshness and stale warning, safe CRM text, offline SVG charts."""

from __future__ import annotations

from datetime import UTC, datetime

import markdown

from opsys.views.pipeline_page import build_pipeline_page

D1 = "hubspot-crm-exports-all-deals-2026-11-16.csv"
D2 = "hubspot-crm-exports-all-deals-2026-11-23.csv"


def _import(rt, names):
    from opsys.intake.crm_import import CrmImporter
    from tests.crm.conftest import FIXTURES

    out = CrmImporter(rt.ws, rt.map, rt.db).import_files([FIXTURES / n for n in names])
    assert all(o.status == "imported" for o in out), [o.detail for o in out]


def _rt(workspace):
    from opsys.app import open_app

    return open_app(workspace)


def test_page_figures_and_freshness(workspace):
    rt = _rt(workspace)
    _import(rt, [D1, D2])
    page = build_pipeline_page(rt.db, rt.ws.pages, rt.map, datetime(2026, 11, 24, 12, tzinfo=UTC))
    text = page.read_text()
    assert "Data as of 2026-11-23 23:59 UTC (12 h old)." in text and "Stale data" not in text
    assert "**5 open deals** worth **62,300 USD**; weighted forecast **11,975 USD**" in text
    assert "Win rate 33% (1 won, 2 lost)" in text
    assert "| Discovery call | 3 | 38,300 USD | 25% | 9,575 USD | 21 |" in text
    assert "### No owner (1)" in text and "Pinecrest Senior Living site" in text
    html = markdown.markdown(text, extensions=["tables", "admonition"])
    assert "<table>" in html
    for svg in ("stages.svg", "owners.svg"):
        body = (rt.ws.pages / "pipeline" / svg).read_text()
        assert body.startswith("<?xml") and "<svg" in body
        # nothing is fetched from the internet: no linked images, fonts, styles or scripts
        assert 'href="http' not in body and "url(http" not in body and "<script" not in body
    # the charts are embedded in the page, so the site (which publishes var/pages/*.md) shows them
    import base64
    import re

    embedded = re.findall(r"\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", text)
    assert [base64.b64decode(x) for x in embedded] == [(rt.ws.pages / "pipeline" / n).read_bytes()
                                                        for n in ("stages.svg", "owners.svg")]
    rt.db.close()


def test_stale_export_warns(workspace):
    rt = _rt(workspace)
    _import(rt, [D1])
    text = build_pipeline_page(rt.db, rt.ws.pages, rt.map, datetime(2026, 11, 24, 12, tzinfo=UTC),
                               charts=False).read_text()
    assert '!!! warning "Stale data"' in text and "older than 48 hours" in text and "(8 days old)" in text
    rt.db.close()


def test_empty_store_says_so(workspace):
    rt = _rt(workspace)
    text = build_pipeline_page(rt.db, rt.ws.pages, rt.map, charts=False).read_text()
    assert "No CRM export imported yet" in text and "Stale data" in text
    rt.db.close()


def test_crm_text_is_inert(workspace):
    rt = _rt(workspace)
    _import(rt, [D1])
    text = build_pipeline_page(rt.db, rt.ws.pages, rt.map, datetime(2026, 11, 17, tzinfo=UTC),
                               charts=False).read_text()
    html = markdown.markdown(text, extensions=["tables"])
    assert "HYPERLINK" in html and "<a " not in html
    assert "Discovery Workshop" in text  # an unmapped stage is shown and named
    assert "Stages not in `system_map/pipeline.yml`" in text
    rt.db.close()


def test_a_lead_and_its_deal_are_one_record(workspace):
    from opsys.intake.crm_import import CrmImporter
    from tests.crm.conftest import add_lead

    rt = _rt(workspace)
    add_lead(rt.db, name="Dana Harbor", email="dana@harbordental.example", company="Harbor Dental", score=81)
    _import(rt, [D1])
    CrmImporter(rt.ws, rt.map, rt.db).link()
    text = build_pipeline_page(rt.db, rt.ws.pages, rt.map, datetime(2026, 11, 17, tzinfo=UTC), charts=False).read_text()
    section = text.split("## Leads and their deals")[1].split("##")[0]
    assert "Dana Harbor" in section and "Harbor Dental" in section and "| 81 |" in section
    assert "company&#45;fuzzy" in section
    rt.db.close()
