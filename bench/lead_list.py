"""Lead-list throughput: one 10,000-row CSV (a trade-show export) through the whole pipeline, LLM off.

Target (issue 14): >= 1,000 rows/s, peak memory reported. Model load excluded and reported apart.
Run: python bench/lead_list.py [ROWS]
"""

from __future__ import annotations

import csv
import io
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import COMPANIES, NEEDS, fresh_workspace, machine  # noqa: E402

from opsys.app import open_app  # noqa: E402


def lead_list(rows: int, rng: random.Random) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["First Name", "Last Name", "Email Address", "Company", "Phone", "Notes"])
    firsts = ["Dana", "Tom", "Priya", "Marco", "Elena", "Sam", "Gary", "Lena", "Omar", "Jo"]
    for i in range(rows):
        company = rng.choice(COMPANIES)
        need = rng.choice(NEEDS).format(n=rng.randint(2, 40))
        w.writerow([rng.choice(firsts), f"Visitor{i}", f"visitor{i}@{company.lower().replace(' ', '')}.example",
                    company, f"+1312555{i % 10000:04d}", f"Stopped by the booth: wants {need}."])
    return buf.getvalue().encode()


def main(rows: int = 10_000) -> None:
    ws = fresh_workspace(llm=False)
    (ws.inbox / "trade-show-leads.csv").write_bytes(lead_list(rows, random.Random(11)))
    t0 = time.perf_counter()
    app = open_app(ws)
    app.classifier.classify_many(["warm-up"])
    intake = app.intake  # the intake modules' import, once per process like the models
    load = time.perf_counter() - t0
    t1 = time.perf_counter()
    report = intake.consume(sorted(ws.inbox.iterdir()))
    took = time.perf_counter() - t1
    stored = app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {machine()}")
    print(f"model load + classifier fit + imports: {load:.2f} s (excluded)")
    print(f"{report.count('processed')} file, {stored} rows stored in {took:.2f} s -> {stored / took:.0f} rows/s "
          f"(target >= 1,000); peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
