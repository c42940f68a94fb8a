"""notebooks/: the shipped notebook runs against a real workspace, and renders as a site page."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from opsys.views.notebook_page import NotebookError, notebook_markdown
from tests.conftest import REPO

NOTEBOOK = REPO / "notebooks" / "lead-flow.ipynb"


def test_notebook_page_shows_text_and_code_but_no_outputs(tmp_path):
    nb = json.loads(NOTEBOOK.read_text())
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["CLIENT-DATA-OUTPUT\n"]}]
    path = tmp_path / "with-outputs.ipynb"
    path.write_text(json.dumps(nb))
    page = notebook_markdown(path)
    assert page.startswith("# Lead flow, from the store")
    assert "```python\nfrom collections import Counter" in page
    assert "CLIENT-DATA-OUTPUT" not in page


def test_broken_notebook_is_named(tmp_path):
    bad = tmp_path / "half-saved.ipynb"
    bad.write_text('{"cells": [')
    with pytest.raises(NotebookError, match="half-saved.ipynb"):
        notebook_markdown(bad)


def test_shipped_notebook_runs_on_a_workspace_with_leads(runtime, monkeypatch):
    from opsys.workspace import SAMPLE_INBOX

    picks = ["2026-11-16_lakeshore-ccu-website-redesign.eml", "form-2026-11-18-pinecrest-senior-living.json",
             "call-2026-11-17-summit-ridge-vet.txt", "2026-11-16_guest-post-offer.eml"]
    runtime.intake.consume([SAMPLE_INBOX / p for p in picks])
    monkeypatch.setenv("OPSYS_WORKSPACE", str(runtime.ws.root))
    ns: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for cell in json.loads(NOTEBOOK.read_text())["cells"]:
            if cell["cell_type"] == "code":
                exec(compile("".join(cell["source"]), str(NOTEBOOK), "exec"), ns)
    stored = runtime.db.execute("SELECT channel, COUNT(*) FROM inquiries GROUP BY channel").fetchall()
    assert dict(ns["by_channel"]) == {r[0]: r[1] for r in stored}
    assert sum(ns["decided_by"].values()) == sum(r[1] for r in stored) == 4
    assert {k: ns["event_kinds"][k] for k in ("classified", "scored", "routed")} == {
        "classified": 4, "scored": 4, "routed": 4}
    assert f"4 inquiries in {runtime.ws.db_path}" in out.getvalue()
    ns["db"].close()
