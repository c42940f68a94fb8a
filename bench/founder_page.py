"""The founder's page build, measured: the `founder_page` job (every provider, acknowledgements,
ranking, handled counts, render, atomic write) on a store with 50,000 audit events and 5,000 open
tasks (a tenth of them late, some parked, some at the founder's step of the ladder). Target ≤ 2 s.

Run: python bench/founder_page.py [--events N] [--tasks N] [--runs N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import fresh_workspace, machine  # noqa: E402
from opsys.app import open_app  # noqa: E402
from opsys.records.events import Decider, EventKind  # noqa: E402
from opsys.records.tasks import ContextPack  # noqa: E402
from opsys.store.db import write_transaction  # noqa: E402
from opsys.store.events import record_event  # noqa: E402
from opsys.store.tasks import NewTask, insert_task, set_escalation  # noqa: E402

KINDS = ["reply_to_lead", "answer_client", "reply_to_hot_lead", "handle_urgent_issue", "follow_up_call",
         "onboarding_step"]
EVENT_KINDS = [EventKind.ROUTED, EventKind.TASK_DONE, EventKind.FILE_PROCESSED, EventKind.NOTIFICATION_SENT,
               EventKind.CLASSIFIED, EventKind.SCORED, EventKind.TASK_CLOSED_BY_EVIDENCE, EventKind.JOBS_RUN,
               EventKind.CRM_SNAPSHOT_IMPORTED, EventKind.DEAL_STAGE_CHANGED]


def fill(app, n_events: int, n_tasks: int, now: datetime) -> None:
    rng = random.Random(0)
    people = [p.id for p in app.map.team.people]
    with write_transaction(app.db):
        for i in range(n_tasks):
            kind = rng.choice(KINDS)
            created = now - timedelta(hours=rng.randint(1, 24 * 30))
            late = rng.random() < 0.1
            parked = rng.random() < 0.02
            owner = None if rng.random() < 0.005 else rng.choice(people)
            tid = insert_task(app.db, NewTask(
                kind=kind, title=f"Task {i}: website redesign for client {i % 700}", subject_type="inquiry",
                subject_id=str(i), contact_id=None, owner_id=owner, priority=rng.randint(1, 3), created_at=created,
                due_at=(now - timedelta(hours=rng.randint(1, 48))) if late else now + timedelta(days=2),
                effort_hours=None, rule="bench", reason="generated", role=None, parked=parked,
                context=ContextPack("do it"), routing_inputs={}, explanation={}))
            if late and rng.random() < 0.3:
                set_escalation(app.db, tid, 3)
        for i in range(n_events):
            record_event(app.db, rng.choice(EVENT_KINDS), decided_by=Decider.JOBS, subject_type="task",
                         subject_id=rng.randint(1, n_tasks), inputs={"i": i}, message=f"event {i}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--tasks", type=int, default=5_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from opsys.jobs import founder_page

    ws = fresh_workspace(llm=False)
    cfg = ws.system_map / "founder.yml"  # the digest's delivery is the outbox's time, not the page's
    cfg.write_text(cfg.read_text().replace("  enabled: true", "  enabled: false", 1))
    app = open_app(ws)
    now = datetime(2026, 11, 16, 14, 5, tzinfo=UTC)
    t0 = time.perf_counter()
    fill(app, args.events, args.tasks, now)
    print(f"store: {args.events:,} events, {args.tasks:,} open tasks in {time.perf_counter() - t0:.1f}s ({machine()})")
    times = []
    for i in range(args.runs):
        t0 = time.perf_counter()
        r = founder_page(app, now + timedelta(minutes=5 * i))
        times.append(time.perf_counter() - t0)
    print(f"founder_page: first {times[0]:.3f}s, median {statistics.median(times):.3f}s, max {max(times):.3f}s "
          f"over {args.runs} runs (the first parses the SOPs and builds the holiday tables); {r.items} items "
          "on the page (target ≤ 2 s)")
    app.close()


if __name__ == "__main__":
    main()
