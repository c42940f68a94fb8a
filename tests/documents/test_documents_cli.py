"""`opsys ingest` of a document pair, then `opsys documents`, `show`, `resolve`: the commands a founder uses."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from opsys.cli.main import app
from tests.documents.layouts import harvest_time, xero_invoice

CLIENT, PROJECT = "Casa Marisol Catering", "Website refresh"


def run(ws, *args):
    r = CliRunner().invoke(app, ["-w", str(ws.root), *args], terminal_width=200)
    return r


def test_ingest_list_show_and_resolve(workspace, tmp_path):
    inv = tmp_path / "Export.csv"
    inv.write_bytes(xero_invoice("INV-1043", CLIENT, PROJECT, [("Menu update", 14, 75.0)]))
    sheet = tmp_path / "harvest.csv"
    sheet.write_bytes(harvest_time(CLIENT, PROJECT, [("Menu update", [5, 3])]))
    r = run(workspace, "ingest", str(inv), str(sheet))
    assert r.exit_code == 0, r.output
    assert "2 processed" in r.output and "Xero invoice export" in r.output
    r = run(workspace, "documents", "--json")
    [m] = json.loads(r.output)["mismatches"]
    assert m["explanation"].startswith("invoice INV-1043 bills 14 h for *Menu update*; the timesheet logs 8 h")
    r = run(workspace, "documents", "show", str(m["invoice_doc_id"]))
    assert r.exit_code == 0 and "invoice INV-1043 (Xero invoice export" in r.output and "quantity=14" in r.output
    r = run(workspace, "documents", "resolve", str(m["id"]), "--note", "agreed extra", "--by", "maya")
    assert r.exit_code == 0, r.output
    assert "0 open mismatches" in run(workspace, "documents").output
    r = run(workspace, "documents", "resolve", str(m["id"]))
    assert r.exit_code == 1 and "already resolved" in r.output
    log = run(workspace, "log", "--json").output
    assert "document_mismatch_resolved" in log and "person:maya" in log
