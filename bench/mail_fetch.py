"""Mailbox intake throughput: N messages fetched from Dovecot on 127.0.0.1 and ingested, against the same
N messages dropped as plain .eml files, in the same run, with the same loaded classifier.

Both paths: embedding classifier, LLM off, batches of 50 (the watcher's batch), model load excluded,
interleaved in rounds of 500 messages so a shared machine's load hits both alike.
Fetch = IMAP SELECT/SEARCH/FETCH + stamp + atomic write into var/inbox/ + intake + ledger rows.
Target (issue 9): fetch >= 70 % of the drop rate.
Run: python bench/mail_fetch.py [N]   (needs dovecot-imapd: `make mail-deps`)
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from _common import fresh_workspace, generated_mail, machine  # noqa: E402

from opsys.app import open_app  # noqa: E402
from opsys.intake.mail_fetch import BATCH, MailFetcher  # noqa: E402
from tests.mail.conftest import PASSWORD_ENV, add_mailbox, make_dovecot  # noqa: E402


def main(n: int = 2000) -> None:
    rng = random.Random(7)
    mails = [generated_mail(i, rng) for i in range(n)]
    server = make_dovecot()
    try:
        t = time.perf_counter()
        server.append_many(mails)
        append_s = time.perf_counter() - t

        drop_ws, fetch_ws = fresh_workspace(llm=False), fresh_workspace(llm=False)
        add_mailbox(fetch_ws, server, sent_folder=None)
        t0 = time.perf_counter()
        drop_app = open_app(drop_ws)
        drop_app.classifier.classify_many(["warm-up"])  # load + fit, excluded
        load_s = time.perf_counter() - t0
        fetch_app = open_app(fetch_ws, classifier=drop_app.classifier)  # the same loaded model for both

        for i, raw in enumerate(mails):
            (drop_ws.inbox / f"mail-{i:05}.eml").write_bytes(raw)
        paths = sorted(drop_ws.inbox.iterdir())
        fetcher = MailFetcher(fetch_ws, fetch_app.map, fetch_app.db, fetch_app.intake, fetch_app.clock,
                              environ={PASSWORD_ENV: server.password})
        # interleaved in rounds of 10 batches, so a shared machine's changing load hits both alike
        drop_s = fetch_s = 0.0
        rounds = 10
        for start in range(0, len(paths), BATCH * rounds):
            t1 = time.perf_counter()
            for b in range(start, min(start + BATCH * rounds, len(paths)), BATCH):
                drop_app.intake.consume(paths[b:b + BATCH])
            drop_s += time.perf_counter() - t1
            t2 = time.perf_counter()
            report = fetcher.fetch(max_batches=rounds)
            fetch_s += time.perf_counter() - t2
            assert not report.problems, report.problems
        dropped = drop_app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0]
        fetched = fetch_app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0]
        t3 = time.perf_counter()
        again = fetcher.fetch()
        again_s = time.perf_counter() - t3

        drop_rate, fetch_rate = dropped / drop_s, fetched / fetch_s
        print(f"machine: {machine()}")
        print(f"classifier: embedding (bundled all-MiniLM-L6-v2), LLM off for both; load + fit {load_s:.1f} s "
              "(excluded)")
        print(f"APPEND {n} messages to Dovecot: {append_s:.1f} s (setup, excluded)")
        print(f".eml drops:   {dropped} inquiries in {drop_s:.2f} s -> {drop_rate:.1f} messages/s")
        print(f"IMAP fetch:   {fetched} inquiries in {fetch_s:.2f} s -> {fetch_rate:.1f} messages/s "
              f"({100 * fetch_rate / drop_rate:.0f} % of the drop rate; target >= 70 %)")
        print(f"second fetch (nothing new): {again.stored} stored in {again_s:.2f} s")
    finally:
        server.stop()
        import shutil

        shutil.rmtree(server.base, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
