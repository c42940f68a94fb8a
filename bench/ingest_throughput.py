"""Ingest throughput: 1,000 .eml drops through the whole pipeline, embedding classifier, LLM off.

Target (issue 2): >= 50 messages/s on the 2-core dev machine, model load excluded and reported apart.
Run: python bench/ingest_throughput.py [N]
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fresh_workspace, generated_mail, machine  # noqa: E402

from opsys.notify.listener import NotificationListener  # noqa: E402
from opsys.app import open_app  # noqa: E402


def main(n: int = 1000) -> None:
    ws = fresh_workspace(llm=False)
    rng = random.Random(7)
    for i in range(n):
        (ws.inbox / f"mail-{i:05}.eml").write_bytes(generated_mail(i, rng))
    t0 = time.perf_counter()
    rt = open_app(ws)
    _ = rt.intake
    rt.classifier.classify_many(["warm-up"])  # the model is loaded and fitted here
    load = time.perf_counter() - t0

    # Hot leads are announced for real, to the local listener the sample team.yml points at.
    with NotificationListener(port=8765) as listener:
        t1 = time.perf_counter()
        report = rt.intake.consume(sorted(ws.inbox.iterdir()))
        after = rt.jobs.after_intake()
        took = time.perf_counter() - t1
    stored = rt.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0]
    print(f"machine: {machine()}")
    print(f"model load + classifier fit: {load:.2f} s (excluded)")
    print(f"ingested {report.count('processed')} files / {stored} inquiries in {took:.2f} s "
          f"-> {stored / took:.1f} messages/s (target >= 50)")
    deciders = dict(rt.db.execute("SELECT substr(classified_by, 1, instr(classified_by, ':') - 1), COUNT(*)"
                                  " FROM inquiries GROUP BY 1").fetchall())
    print(f"decided by: {deciders}")
    print(f"notifications: {after.notifications_sent} sent, {len(listener.received)} received, "
          f"{after.notifications_failed} failed")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
