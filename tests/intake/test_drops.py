"""The drop core refuses what is not a regular file and bounds every name it writes (issue 14):
a subject-as-file-name of 250 bytes, a symlink to /etc/passwd, a FIFO or a folder named x.eml
must never stop intake, be read, or be retried forever."""

from __future__ import annotations

import os
import shutil

from opsys.intake.files import MAX_NAME_BYTES, bounded_name
from opsys.workspace import SAMPLE_INBOX

NORMAL = sorted(SAMPLE_INBOX.glob("*.eml"))[:5]


def test_bounded_name_keeps_the_suffix_and_utf8():
    long = "Re: " + "Angebot für die neue Website — " * 12 + ".eml"
    cut = bounded_name(long)
    assert len(cut.encode()) <= MAX_NAME_BYTES and cut.endswith(".eml")
    cut.encode().decode("utf-8")  # never cut inside a character
    assert bounded_name("short.eml") == "short.eml"


def test_long_names_are_archived_and_quarantined_and_the_rest_goes_on(runtime):
    ws = runtime.ws
    long_ok = ws.inbox / ("R" * 243 + ".eml")  # 247 bytes: "sha12-" + name would pass 255
    shutil.copy2(NORMAL[0], long_ok)
    long_bad = ws.inbox / ("Q" * 246 + ".json")  # broken JSON: its quarantine note would pass 255
    long_bad.write_text("{not json")
    for f in NORMAL[1:]:
        shutil.copy2(f, ws.inbox / f.name)
    report = runtime.intake.consume(sorted(ws.inbox.iterdir()))
    status = {o.path.name: o.status for o in report.outcomes}
    assert status[long_ok.name] == "processed" and status[long_bad.name] == "quarantined"
    assert all(status[f.name] == "processed" for f in NORMAL[1:])
    assert list(ws.inbox.iterdir()) == []
    for p in list(ws.archive.rglob("*")) + list(ws.quarantine.iterdir()):
        assert len(p.name.encode()) <= 255


def test_links_pipes_and_folders_are_refused_unread_once(runtime):
    ws = runtime.ws
    (ws.inbox / "passwd.txt").symlink_to("/etc/passwd")
    os.mkfifo(ws.inbox / "pipe.eml")
    (ws.inbox / "folder.eml").mkdir()
    shutil.copy2(NORMAL[0], ws.inbox / NORMAL[0].name)
    report = runtime.intake.consume(sorted(ws.inbox.iterdir()))  # a FIFO read would block forever
    status = {o.path.name: (o.status, o.detail) for o in report.outcomes}
    for name, what in (("passwd.txt", "symbolic link"), ("pipe.eml", "named pipe"), ("folder.eml", "folder")):
        assert status[name][0] == "quarantined" and what in status[name][1], status[name]
    assert status[NORMAL[0].name][0] == "processed"
    assert runtime.db.execute("SELECT COUNT(*) FROM inquiries WHERE body LIKE '%root:%'").fetchone()[0] == 0
    notes = " ".join(p.read_text() for p in ws.quarantine.glob("*.error.txt"))
    assert "root:" not in notes  # the target was never read into a note
    assert (ws.quarantine / "passwd.txt").is_symlink()  # moved as a link, not copied
    assert list(ws.inbox.iterdir()) == []  # set aside once: nothing left to retry
    again = runtime.intake.consume(sorted(ws.inbox.iterdir()))
    assert again.outcomes == []


def test_a_link_in_the_crm_drop_is_set_aside_once(rt):
    ws = rt.ws
    (ws.crm_drop / "deals.csv").symlink_to("/etc/passwd")
    (out,) = rt.crm.import_files([ws.crm_drop / "deals.csv"])
    assert out.status == "quarantined" and "symbolic link" in out.detail
    assert list(ws.crm_drop.iterdir()) == []
    assert "root:" not in (ws.quarantine / "deals.csv.error.txt").read_text()
