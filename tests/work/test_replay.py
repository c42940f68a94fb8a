"""`opsys replay --routing PATH`: the stored history routed again with a proposed routing.yml."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from opsys.cli.main import app as cli
from opsys.store.db import write_transaction
from opsys.work import close_task
from opsys.work.replay import load_proposed, replay
from tests.work.conftest import NOW, add_inquiry, lead_task

TO_MARKETING = ("    description: Every other lead enters the tracked queue with a sales owner.\n"
                "    when: {is_lead: true}\n    action: queue\n    assign: {role: sales}\n",
                "    description: Every other lead enters the tracked queue with a sales owner.\n"
                "    when: {is_lead: true}\n    action: queue\n    assign: {role: marketing}\n")


def _proposed(workspace, tmp_path, old, new):
    text = (workspace.system_map / "routing.yml").read_text()
    assert old in text
    path = tmp_path / "proposed-routing.yml"
    path.write_text(text.replace(old, new))
    return path


def test_replay_lists_every_task_that_would_go_elsewhere_with_both_reasons(app, workspace, tmp_path):
    tasks = [lead_task(app, email=f"p{i}@x.example", n=i, now=NOW + timedelta(minutes=i)) for i in range(3)]
    hot = lead_task(app, email="hot@x.example", hot=True, n=9, now=NOW + timedelta(minutes=9))
    assert [t.owner_id for t in tasks] == ["jordan"] * 3 and hot.owner_id == "jordan"
    path = _proposed(workspace, tmp_path, *TO_MARKETING)
    proposed = load_proposed(workspace.system_map, path)
    r = replay(app.db, app.map, proposed, path)
    assert r.replayed == r.history == r.agrees == 4  # the routing in force, replayed, gives what was stored
    assert [d.ref for d in r.differences] == [f"task {t.id}" for t in tasks]  # the hot lead's rule is unchanged
    d = r.differences[0]
    assert d.what == "owner jordan → leo"
    assert "Rule 'other-leads-queue' fired" in d.current.reason and "least-loaded sales" in d.current.reason
    assert "least-loaded marketing" in d.proposed.reason
    assert (r.owners_now["jordan"], r.owners_proposed["leo"]) == (4, 3)
    # --since: only decisions from that day on are reported (the earlier ones still load the world)
    assert replay(app.db, app.map, proposed, path, since=(NOW + timedelta(days=1)).date()).replayed == 0


def test_replay_keeps_loads_as_they_were_closing_frees_capacity(app, workspace, tmp_path):
    """Marketing (leo) holds 6 open tasks: the 7th lead would park on the overflow owner, unless
    one of them was closed before it arrived."""
    tasks = [lead_task(app, email=f"p{i}@x.example", n=i, now=NOW + timedelta(minutes=i)) for i in range(7)]
    path = _proposed(workspace, tmp_path, *TO_MARKETING)
    proposed = load_proposed(workspace.system_map, path)
    r = replay(app.db, app.map, proposed, path)
    assert [d.proposed.owner for d in r.differences] == ["leo"] * 6 + ["maya"]
    assert "all marketing at capacity" in r.differences[-1].proposed.reason
    close_task(app.db, tasks[0].id, NOW + timedelta(minutes=3), "jordan")
    r = replay(app.db, app.map, proposed, path)
    assert [d.proposed.owner for d in r.differences] == ["leo"] * 7


def test_inquiries_without_a_task_are_replayed_too(app, workspace, tmp_path):
    with write_transaction(app.db):
        add_inquiry(app.db, email="spam@x.example", subject="Cheap backlinks")  # stored without a task
    path = _proposed(workspace, tmp_path, "    when: {is_lead: true}\n    action: queue\n    assign: {role: sales}\n",
                     "    when: {}\n    action: queue\n    assign: {role: sales}\n")
    r = replay(app.db, app.map, load_proposed(workspace.system_map, path), path)
    assert r.history == 1 and r.differences == []  # a lead inquiry: other-leads-queue either way


def test_cli_writes_markdown_and_refuses_an_invalid_proposal(app, workspace, tmp_path):
    lead_task(app, email="ann@x.example")
    path = _proposed(workspace, tmp_path, *TO_MARKETING)
    out = tmp_path / "comment.md"
    r = CliRunner().invoke(cli, ["-w", str(workspace.root), "replay", "--routing", str(path), "--markdown", str(out)])
    assert r.exit_code == 0, r.output
    assert "1 would change" in r.output and "owner jordan → leo" in r.output and "proposed: Rule" in r.output
    md = out.read_text()
    assert md.startswith("### Routing replay: `proposed-routing.yml`")
    assert "| person | now | proposed |" in md and "| leo | 0 | 1 |" in md and "least-loaded marketing" in md
    bad = _proposed(workspace, tmp_path, "strategy: round_robin", "strategy: random")
    r = CliRunner().invoke(cli, ["-w", str(workspace.root), "replay", "--routing", str(bad)])
    assert r.exit_code == 2
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "strategy: random" in t)
    assert f"{bad}:{line}: rules[" in r.output and ".assign.strategy" in r.output
    assert "nothing was replayed" in r.output
