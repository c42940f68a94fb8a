"""The "My work" pages and the team board, built by the real jobs step, escaped, and on the site."""

from __future__ import annotations

from datetime import timedelta

from opsys.store.db import write_transaction
from opsys.work import close_task
from tests.work.conftest import NOW, add_inquiry, lead_task


def test_my_work_lists_open_tasks_by_due_time_with_their_context(app):
    calm = lead_task(app, email="ann@acme.example", subject="New website")
    hot = lead_task(app, email="bo@x.example", subject="Checkout <script>alert(1)</script> [x](javascript:1)",
                    hot=True, n=1)
    done = lead_task(app, email="cy@x.example", subject="Done already", n=2)
    close_task(app.db, done.id, NOW, "jordan")
    later = NOW + timedelta(hours=3)  # the hot lead (due in 1 business hour) is overdue by then
    report = app.jobs.run(later)
    assert "work_pages" not in report.failed and report.get("work_pages").summary() == "work pages 6"
    page = (app.ws.pages / "work" / "jordan.md").read_text()
    assert "audience: team" in page and "# My work: Jordan Reyes" in page
    assert "**2 of 10 open tasks, 1.25 of 30 h a week**, **1 overdue**" in page
    assert page.index(f"### #{hot.id} ") < page.index(f"### #{calm.id} ") and "Done already" not in page
    assert f"### #{hot.id} · due 2026-11-24 11:00 · **OVERDUE** · Reply to a hot lead (priority 1)" in page
    assert "- **What to do:** Qualify and answer Ann Lee (Acme) about \"New website\"." in page
    assert "- **SOP:** [lead-follow-up § steps](../../lead-follow-up.md#steps)" in page
    assert "- **Contact:** Ann Lee (Acme) · ann@acme.example" in page
    assert f"`opsys task done {calm.id}`" in page
    assert "<script>" not in page and "&lt;script>" in page and "\\[x\\](javascript:1)" in page
    assert "Nothing open." in (app.ws.pages / "work" / "leo.md").read_text()


def test_the_board_counts_against_capacity_overdue_first_and_lists_parked_work(app):
    tasks = [lead_task(app, email=f"p{i}@x.example", n=i) for i in range(11)]  # the 11th parks on maya
    hot = lead_task(app, email="late@x.example", hot=True, n=30)  # parked too: jordan is full
    with write_transaction(app.db):
        add_inquiry(app.db, email="z@x.example", subject="x", n=99)
    app.jobs.run(NOW + timedelta(hours=3))
    board = (app.ws.pages / "work.md").read_text()
    assert "**12 open tasks, 1 overdue, 2 parked or unassigned.**" in board
    rows = [line for line in board.splitlines() if line.startswith("| ") and "My work" in line]
    assert rows[0].startswith("| Maya Okafor | 1 | 2 | 4 |")  # overdue first
    assert rows[1].startswith("| Jordan Reyes |  | 10 | 10 | 5 | 30 |") and "(full)" in rows[1]
    assert "[My work](work/jordan.md)" in rows[1]
    parked = board[board.index("## Parked or unassigned"):]
    assert f"| #{tasks[-1].id} |" in parked and f"| #{hot.id} |" in parked


def test_the_site_publishes_the_work_pages(app):
    from opsys.views.mkdocs_plugin import OpsysPlugin

    lead_task(app, email="ann@acme.example")
    app.jobs.run(NOW)
    plugin = OpsysPlugin()
    plugin.root, plugin.audience = app.ws.root, "team"
    uris = [uri for uri, _ in plugin._workspace_pages()]
    assert "generated/work.md" in uris and "generated/work/jordan.md" in uris
