"""`opsys replay`, measured: 10,000 stored inquiries (each with its intake task, most of them closed a
few hours later) routed again against a changed routing.yml, on the 50-person team of
bench/task_routing.py. Target: <= 10 s for the replay (both simulated runs, the comparison).

Run: python bench/replay.py [--inquiries 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import fresh_workspace, machine  # noqa: E402
from bench.task_routing import ROUTING, SERVICES, team_yml  # noqa: E402

# The change under review: other leads by least load instead of in turns, SEO/PPC leads to sales.
CHANGES = [("assign: {role: sales, strategy: round_robin}", "assign: {role: sales}"),
           ("assign: {role: marketing, strategy: skills}", "assign: {role: sales, strategy: skills}")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inquiries", type=int, default=10_000)
    args = ap.parse_args()
    rng = random.Random(11)
    start = datetime(2026, 9, 1, 14, 0, tzinfo=timezone.utc)
    ws = fresh_workspace(llm=False)
    team = ws.system_map / "team.yml"
    team.write_text(team_yml(team.read_text(), 50, rng, start))
    (ws.system_map / "routing.yml").write_text(ROUTING)

    from opsys.app import open_app
    from opsys.records import Classification, Lead, RouteDecision, Score
    from opsys.records.tasks import TaskSpec
    from opsys.store.contacts import upsert_contact
    from opsys.store.db import write_transaction
    from opsys.store.inquiries import insert_inquiry
    from opsys.store.tasks import set_status
    from opsys.work import open_task
    from opsys.work.replay import load_proposed, replay

    app = open_app(ws, clock=lambda: start)
    m = app.map
    t0 = time.perf_counter()
    closes: list[tuple[datetime, int]] = []  # a heap: work is closed as time passes, as it was
    closed = 0
    for batch in range(0, args.inquiries, 200):
        with write_transaction(app.db):
            for i in range(batch, min(batch + 200, args.inquiries)):
                at = start + timedelta(minutes=13 * i)
                while closes and closes[0][0] <= at:
                    when, tid = heapq.heappop(closes)
                    set_status(app.db, tid, "done", at=when, by="person:bench")
                    closed += 1
                hot = rng.random() < 0.2
                service = rng.choice(SERVICES)
                email = f"c{rng.randrange(3000)}@x.example"
                lead = Lead(channel="email", source_name="b.eml", position=i, name="C", email=email, phone=None,
                            company=None, subject=f"Enquiry {i}", body="We need help.", received_at=at,
                            attachments=[], fields={}, warnings=[])
                c = upsert_contact(app.db, name="C", email=email, phone=None, company=None, client_account=None,
                                   tier=None)
                iid = insert_inquiry(app.db, contact_id=c.contact_id, sha256=hashlib.sha256(b"%d" % i).hexdigest(),
                                     lead=lead, cls=Classification("routine", 0.9, True, 0.9, "bench"),
                                     score=Score(80 if hot else 40, hot, (), None, service),
                                     route=RouteDecision("r", "queue", None, "r"))
                t = open_task(app.db, m, at, TaskSpec(
                    kind="reply_to_hot_lead" if hot else "reply_to_lead", title=f"Enquiry {i}",
                    subject_type="inquiry", subject_id=str(iid), contact_id=c.contact_id, service=service,
                    channel="email", category="routine", is_lead=True, score=80 if hot else 40, hot=hot))
                if rng.random() < 0.9:
                    heapq.heappush(closes, (at + timedelta(seconds=rng.randint(3600, 30 * 3600)), t.id))  # stored to the second
    print(f"machine: {machine()}; stored {args.inquiries} inquiries with their tasks ({closed} closed) "
          f"in {time.perf_counter() - t0:.1f} s")

    text = (ws.system_map / "routing.yml").read_text()
    for old, new in CHANGES:
        text = text.replace(old, new)
    proposed_path = ws.root / "proposed-routing.yml"
    proposed_path.write_text(text)
    t1 = time.perf_counter()
    proposed = load_proposed(ws.system_map, proposed_path)
    loaded = time.perf_counter() - t1
    r = replay(app.db, m, proposed, proposed_path)
    total = time.perf_counter() - t1
    print(f"replay of {r.history} decisions: {r.seconds:.2f} s routing both ways, {total:.2f} s with loading and "
          f"validating the proposed map ({loaded:.2f} s) (target <= 10 s); {len(r.differences)} would change; "
          f"the routing in force, replayed, gives the stored owner {r.agrees} of {r.replayed} times")
    app.db.close()


if __name__ == "__main__":
    main()
