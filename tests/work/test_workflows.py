"""Executable workflows through the real CRM import and the real jobs: a won deal opens the onboarding
tasks of `onboard-and-deliver` once, a done task starts the next step, every reference is checked."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from opsys.cli.main import app as cli
from opsys.config.loader import ConfigError, load_system_map
from opsys.store.db import write_transaction
from opsys.store.events import list_events, record_event
from opsys.store.tasks import list_tasks
from opsys.work import close_task
from opsys.work.workflows import run_workflows
from tests.config.test_loader import _break
from tests.work.conftest import NOW

SAMPLE_CRM = Path(__file__).resolve().parents[2] / "opsys" / "sample" / "crm"
CHICAGO = ZoneInfo("America/Chicago")


def _import_sample(app):
    return app.crm.import_files(sorted(SAMPLE_CRM.glob("*.csv")))


def _onboarding(app):
    return [t for t in list_tasks(app.db, statuses=None) if t.kind == "onboarding_step"]


def test_a_won_deal_opens_its_onboarding_task_once_due_in_business_time(app):
    _import_sample(app)  # the second deals export shows 'Lakeshore CCU website' won
    report = app.jobs.run(NOW)
    assert "run_workflows" not in report.failed and report.get("run_workflows").opened
    (t,) = _onboarding(app)
    assert (t.subject_type, t.subject_id, t.owner_id) == ("deal", "hubspot:103", "priya")
    assert t.title.startswith("Client added to clients.yml") and "Lakeshore CCU website" in t.title
    # `due: 1 business day` from Tue 10:00 Chicago, `effort: 1h`, the step's SOP, the deal in the context
    assert t.due_at.astimezone(CHICAGO).strftime("%a %H:%M") == "Wed 10:00" and t.effort_hours == 1.0
    assert (t.context.sop, t.context.sop_section) == ("client-onboarding", "steps")
    assert t.context.deal.name == "Lakeshore CCU website" and t.context.deal.value == 30000
    (ev,) = list_events(app.db, kind="workflow_step_opened")
    assert ev.decided_by == "rule:workflows.yml#onboard-and-deliver.onboard-client"
    assert ev.inputs["when"] == "deal_won" and ev.decision["owner"] == "priya"
    why = CliRunner().invoke(cli, ["-w", str(app.ws.root), "tasks", "--why", str(t.id)])
    assert "workflow    onboard-and-deliver, step onboard-client (workflows.yml), for deal hubspot:103" in why.output
    # the assignment alert went through the outbox like every task's
    assert app.db.execute("SELECT COUNT(*) FROM notifications WHERE task_id = ?", (t.id,)).fetchone()[0] == 1
    # a re-import, another run, and the same deal won once more: nothing new
    _import_sample(app)
    app.jobs.run(NOW + timedelta(minutes=5))
    with write_transaction(app.db):
        record_event(app.db, "deal_won", decided_by="rule:pipeline.yml", subject_type="deal",
                     subject_id="hubspot:103", decision={"status": "won"}, message="won again")
    again = run_workflows(app.db, app.map, NOW + timedelta(minutes=10))
    assert again.opened == () and again.already == 1
    assert len(_onboarding(app)) == 1


def test_a_done_step_starts_the_next_one(app):
    _import_sample(app)
    app.jobs.run(NOW)
    (first,) = _onboarding(app)
    close_task(app.db, first.id, NOW + timedelta(hours=1), "priya", "client set up")
    r = run_workflows(app.db, app.map, NOW + timedelta(hours=1))
    (kickoff,) = [t for t in _onboarding(app) if t.id != first.id]
    assert r.opened == (kickoff.id,)
    assert kickoff.title.startswith("Kickoff meeting") and kickoff.subject_id == "hubspot:103"
    assert (kickoff.context.sop, kickoff.effort_hours) == ("project-kickoff", 2.0)
    # 3 business days from Tue 11:00: Wed, Thu (Thanksgiving is a US holiday), Fri, Mon -> Mon 11:00
    assert kickoff.due_at.astimezone(CHICAGO).strftime("%a %d %H:%M") == "Mon 30 11:00"
    assert run_workflows(app.db, app.map, NOW + timedelta(hours=2)).opened == ()


def test_stage_entered_opens_a_follow_up_for_sales(app):
    with write_transaction(app.db):
        record_event(app.db, "deal_stage_changed", decided_by="rule:pipeline.yml", subject_type="deal",
                     subject_id="hubspot:900", decision={"from_key": "discovery", "to_key": "proposal"},
                     message="moved")
        record_event(app.db, "deal_stage_changed", decided_by="rule:pipeline.yml", subject_type="deal",
                     subject_id="hubspot:901", decision={"from_key": "new", "to_key": "discovery"},
                     message="moved")
    r = run_workflows(app.db, app.map, NOW)
    (t,) = list_tasks(app.db)
    assert r.opened == (t.id,) and (t.kind, t.subject_id, t.owner_id) == ("follow_up_call", "hubspot:900", "jordan")
    assert "sales" in t.reason and t.routing_inputs["role"] == "sales"


def test_a_client_added_to_clients_yml_starts_client_added_steps(workspace):
    from opsys.app import open_app

    wf = workspace.system_map / "workflows.yml"
    wf.write_text(wf.read_text().replace(
        "      - Weekly status update every Thursday\n",
        "      - id: welcome-pack\n        text: Send the welcome pack\n        when: client_added\n"
        "        task_kind: onboarding_step\n        role: account_manager\n"
        "      - Weekly status update every Thursday\n"))
    app = open_app(workspace, clock=lambda: NOW)
    assert run_workflows(app.db, app.map, NOW).opened == ()  # the clients already there are not new
    app.db.close()
    clients = workspace.system_map / "clients.yml"
    clients.write_text(clients.read_text() + "  - name: Prairie Bakery\n    domains: [prairiebakery.example]\n"
                       "    tier: silver\n    account_manager: sam\n")
    app = open_app(workspace, clock=lambda: NOW)
    r = run_workflows(app.db, app.map, NOW)
    (t,) = list_tasks(app.db)
    assert r.opened == (t.id,) and (t.subject_type, t.subject_id) == ("client", "Prairie Bakery")
    assert t.title == "Send the welcome pack: Prairie Bakery"
    (ev,) = list_events(app.db, kind="client_added")
    assert ev.subject_id == "Prairie Bakery"
    assert run_workflows(app.db, app.map, NOW).opened == ()
    app.db.close()


def _problem(workspace, old, new):
    _break(workspace.root, "workflows.yml", old, new)
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    (p,) = e.value.problems
    line = (workspace.system_map / "workflows.yml").read_text().splitlines()[p.line - 1]
    return p, line


@pytest.mark.parametrize(("old", "new", "field", "says", "on_line"), [
    ("        role: sales\n", "        role: closer\n", "workflows[1].steps[2].role",
     "no one in team.yml has role 'closer'", "closer"),
    ("        task_kind: follow_up_call\n", "        task_kind: chase_call\n", "workflows[1].steps[2].task_kind",
     "unknown task kind 'chase_call'", "chase_call"),
    ("when: stage_entered:proposal", "when: stage_entered:proposals", "workflows[1].steps[2].when",
     "unknown stage 'proposals'", "proposals"),
    ("when: task_done:onboard-client", "when: task_done:onboard", "workflows[2].steps[1].when",
     "no step has id 'onboard'", "task_done:onboard"),
    ("        effort: 30 minutes\n", "        effort: a little\n", "workflows[1].steps[2].effort",
     "not a duration", "a little"),
    ("        due: 3 business days\n", "        due: soon\n", "workflows[1].steps[2].due", "not a duration", "soon"),
    ("when: deal_won", "when: deal_closed", "workflows[2].steps[0].when", "unknown trigger 'deal_closed'",
     "deal_closed"),
    ("      - id: kickoff\n", "      - id: onboard-client\n", "workflows[2].steps[1].id",
     "step id 'onboard-client' is used twice (also workflows[2].steps[0])", "id: onboard-client"),
    ("      - Weekly status update every Thursday\n",
     "      - text: Weekly status update every Thursday\n        task_kind: answer_client\n",
     "workflows[2].steps[2].task_kind", "the step has no `when`", "task_kind: answer_client"),
])
def test_a_bad_step_is_named_with_file_line_and_field(workspace, old, new, field, says, on_line):
    p, line = _problem(workspace, old, new)
    assert (p.file.name, p.field) == ("workflows.yml", field) and says in p.message
    assert on_line in line


def test_check_names_an_unknown_step_sop(workspace):
    from opsys.check import check_workspace

    _break(workspace.root, "workflows.yml", "sop: project-kickoff#steps", "sop: project-kickof#steps")
    report = check_workspace(workspace)
    (err,) = [f for f in report.errors if "workflows.yml" in str(f.file)]
    assert "steps[1].sop: no SOP" in err.message and "project-kickof" in err.message
    assert "project-kickof#steps" in (workspace.system_map / "workflows.yml").read_text().splitlines()[err.line - 1]


def test_the_workflow_diagrams_show_which_steps_are_automated(workspace):
    from opsys.views.system_map_pages import render_system_map_pages

    m = load_system_map(workspace.system_map)
    page = render_system_map_pages(m, {"client-onboarding": ("Client onboarding", "client-onboarding.md")})[
        "system-map/workflows.md"]
    part = page[page.index("{#onboard-and-deliver}"):page.index("{#urgent-client-issue}")]
    assert 's0("auto: Client added to clients.yml; project created from the template · onboarding_step · ' \
           'account_manager · due 1 business day")' in part
    assert 't -->|"deal_won"| s0' in part and 's0 -->|"done"| s1' in part and "class s0,s1 automated" in part
    assert 's2["Weekly status update every Thursday"]' in part  # a step people do stays a plain box
    assert ("| `onboard-client` Client added to clients.yml; project created from the template | `deal_won` | "
            "onboarding_step | account_manager | 1 business day | 1 h | "
            "[Client onboarding](../client-onboarding.md#steps) |") in part


def test_triggers_read_events_as_the_map_says(workspace):
    from opsys.config.workflow_models import Workflows
    from opsys.rules.workflow_triggers import TriggerEvent, firings

    wf = Workflows.model_validate({"workflows": [{
        "id": "w", "name": "W", "trigger": "t", "systems": ["opsys"], "steps": [
            "A step people do",
            {"id": "ack", "text": "Acknowledge", "when": "inquiry_routed", "task_kind": "answer_client"},
            {"id": "next", "text": "Next", "when": "task_done:ack", "task_kind": "follow_up_call"}]}]})
    events = [TriggerEvent(1, "routed", "inquiry", "7", {"action": "queue"}),
              TriggerEvent(2, "routed", "inquiry", "8", {"action": "spam"}),  # spam starts nothing
              TriggerEvent(3, "task_done", "task", "5", step_id="ack", subject=("inquiry", "7")),
              TriggerEvent(4, "task_done", "task", "6")]  # a task no step opened
    assert [(f.step.id, f.subject_type, f.subject_id, f.event_id) for f in firings(events, wf)] == [
        ("ack", "inquiry", "7", 1), ("next", "inquiry", "7", 3)]
