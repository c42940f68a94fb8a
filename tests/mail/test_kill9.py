"""kill -9 in the middle of `opsys mail fetch` (a real process, the real models), then a restart:
every message of the mailbox is stored exactly once — nothing missing, nothing doubled."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from tests.mail.conftest import PASSWORD_ENV, add_mailbox, lead_mail

N = 120


def _count(db_path, sql: str) -> int:
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return 0
    try:
        return con.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # not migrated yet
        return 0
    finally:
        con.close()


def test_kill_9_mid_fetch_then_restart_nothing_missing_nothing_doubled(workspace, dovecot):
    dovecot.append_many([lead_mail(i) for i in range(N)])
    add_mailbox(workspace, dovecot, sent_folder=None)
    cls = workspace.system_map / "classifier.yml"
    cls.write_text(cls.read_text().replace("enabled: true", "enabled: false"))  # LLM off: speed, not meaning
    env = {**os.environ, PASSWORD_ENV: dovecot.password, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "opsys", "-w", str(workspace.root), "mail", "fetch"]
    db = workspace.db_path
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            done = _count(db, "SELECT COUNT(*) FROM mail_messages")
            if done >= 1 or proc.poll() is not None:
                break
            time.sleep(0.02)
        assert proc.poll() is None, f"fetch ended before it could be killed: {proc.stderr.read().decode()[-2000:]}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    at_kill = _count(db, "SELECT COUNT(*) FROM mail_messages")
    assert 0 < at_kill < N, at_kill
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert _count(db, "SELECT COUNT(*) FROM mail_messages") == N
    assert _count(db, "SELECT COUNT(DISTINCT uid) FROM mail_messages") == N
    assert _count(db, "SELECT COUNT(*) FROM inquiries") == N
    assert _count(db, "SELECT COUNT(DISTINCT json_extract(fields_json, '$.message_id')) FROM inquiries") in (N, 1)
    assert _count(db, "SELECT COUNT(*) FROM source_files WHERE status = 'processed'") == N
    assert [p.name for p in workspace.inbox.iterdir()] == []  # no file left behind, no temp file either
    third = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert third.returncode == 0 and "nothing new" in third.stdout
