"""Reconciliation at scale: 10,000 messages in a Dovecot folder on 127.0.0.1, each with its ledger row and
stored record, proven in one `reconcile` (target issue 9: <= 10 s); then 25 planted gaps found.

The messages are written straight into the Maildir Dovecot serves (it indexes them on first SELECT)
and the ledger rows through the store's own functions, so the setup does not take an intake of
10,000 mails; what is timed is exactly what the daily job does.
Run: python bench/reconcile.py [N]   (needs dovecot-imapd: `make mail-deps`)
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from _common import fresh_workspace, generated_mail, machine  # noqa: E402

from opsys.app import open_app  # noqa: E402
from opsys.intake.mail_files import facts_of  # noqa: E402
from opsys.intake.mail_reconcile import reconcile  # noqa: E402
from opsys.store.db import write_transaction  # noqa: E402
from opsys.store.mailbox import record_message, set_uidvalidity  # noqa: E402
from opsys.store.source_files import mark_file  # noqa: E402
from tests.mail.conftest import PASSWORD_ENV, add_mailbox, make_dovecot  # noqa: E402

GAPS = 25


def main(n: int = 10_000) -> None:
    rng = random.Random(11)
    server = make_dovecot()
    try:
        t = time.perf_counter()
        new = server.maildir / server.user / "new"
        for sub in ("new", "cur", "tmp"):
            (server.maildir / server.user / sub).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            (new / f"{1764000000 + i}.M{i}P1.bench").write_bytes(generated_mail(i, rng).replace(b"\n", b"\r\n"))
        if os.geteuid() == 0:
            for p in [server.maildir, *server.maildir.rglob("*")]:
                shutil.chown(p, "dovecot", "dovecot")
        ws = fresh_workspace(llm=False)
        add_mailbox(ws, server, sent_folder=None)
        app = open_app(ws)
        env = {PASSWORD_ENV: server.password}
        with server.client() as c:
            uidvalidity = int(c.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"])
            bodies = c.fetch(c.search("ALL"), [b"BODY.PEEK[]"])
        with write_transaction(app.db):
            set_uidvalidity(app.db, "hello", "INBOX", uidvalidity)
            for uid, d in bodies.items():
                raw = bytes(d[b"BODY[]"])
                f = facts_of(raw)
                file_sha = hashlib.sha256(b"bench:" + raw).hexdigest()
                mark_file(app.db, file_sha, f"mail-{uid}.eml", len(raw), "processed", f"var/archive/{uid}.eml")
                record_message(app.db, mailbox="hello", folder="INBOX", uidvalidity=uidvalidity, uid=str(uid),
                               message_id=f.message_id, sha256=f.sha256, date=f.date, subject=f.subject,
                               outcome="dismissed", ref=f"file:{file_sha}")
        setup_s = time.perf_counter() - t
        now = datetime.now(UTC) + timedelta(hours=1)

        t1 = time.perf_counter()
        r = reconcile(app.map, app.db, ws.root, now, days=30, environ=env)
        took = time.perf_counter() - t1
        assert r.ok and r.listed == n, r.summary()

        planted = rng.sample(sorted(bodies), GAPS)
        with write_transaction(app.db):
            app.db.executemany("DELETE FROM mail_messages WHERE uid = ?", [(str(u),) for u in planted])
        t2 = time.perf_counter()
        r2 = reconcile(app.map, app.db, ws.root, now, days=30, environ=env)
        took2 = time.perf_counter() - t2
        assert {g.uid for g in r2.gaps} == {str(u) for u in planted}, r2.summary()

        print(f"machine: {machine()}")
        print(f"setup (Maildir files, ledger rows; excluded): {setup_s:.1f} s")
        print(f"reconcile {n} messages / {n} ledger rows: {took:.2f} s (target <= 10 s) -> {r.summary()}")
        print(f"with {GAPS} planted gaps: {took2:.2f} s, found {len(r2.gaps)} of {GAPS}, each with its UID, date, "
              "subject and refetch command")
    finally:
        server.stop()
        shutil.rmtree(server.base, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
