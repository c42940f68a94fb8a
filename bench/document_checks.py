"""Document check over the fixture pairs, through the real intake: recall and precision of the mismatches found.

Drops every invoice and sheet under tests/fixtures/documents/ (34 pairs in QuickBooks Online, Xero,
FreshBooks, Harvest and PDF invoice layouts; Harvest, Toggl Track, Clockify and take-off sheets, CSV
and XLSX) into the inbox of a fresh workspace and runs the real intake (`App.intake.consume`: drop
core, readers, store, matching against stored counterparts, checks, mismatches stored), then compares
the open mismatches in the store with the planted ones in the manifest. A found mismatch is right
when its kind and its task/item (where one was planted) are a planted one of that invoice; anything
else is a false alarm. `--rules-only` runs the pure checks on the records instead (no store).
Target: recall 1.0, precision 1.0. Run: python bench/document_checks.py [--verbose] [--rules-only] [--scale N]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from opsys.records.documents import DocumentMismatch  # noqa: E402
from opsys.rules.document_checks import DocumentTolerance, check_documents  # noqa: E402
from opsys.sources.documents import read_document  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "documents"


def _same_subject(found: str | None, planted: str | None) -> bool:
    return planted is None or (found is not None and planted.casefold() in found.casefold())


def score(manifest: dict, mismatches: list) -> dict[str, object]:
    """Recall over the planted mismatches, precision over the ones found; with the misses and false alarms.

    `mismatches`: DocumentMismatch (rules) or StoredMismatch (intake), both with kind and subject."""
    by_number = {p["invoice_number"]: p for p in manifest["pairs"]}
    planted = [(p["invoice_number"], x) for p in manifest["pairs"] for x in p["planted"]]
    hit: set[int] = set()
    false_alarms: list[DocumentMismatch] = []
    for m in mismatches:
        number = m.documents[0].ref if isinstance(m, DocumentMismatch) else m.invoice_number
        match = next((i for i, (n, x) in enumerate(planted) if n == number and x["kind"] == m.kind
                      and _same_subject(m.subject, x["subject"]) and i not in hit), None)
        if match is None or number not in by_number:
            false_alarms.append(m)
        else:
            hit.add(match)
    missed = [planted[i] for i in range(len(planted)) if i not in hit]
    return {"planted": len(planted), "found": len(mismatches), "right": len(hit),
            "recall": len(hit) / len(planted) if planted else 1.0,
            "precision": len(hit) / len(mismatches) if mismatches else 1.0,
            "missed": missed, "false_alarms": false_alarms}


class _NoClassifier:
    """Documents never reach the message classifier; a lead drop here would be a dispatch bug."""

    llm_status = None

    def classify_many(self, texts: list[str]) -> list:
        raise AssertionError(f"a document reached the lead classifier: {texts[:1]}")


def through_intake(manifest: dict) -> tuple[list, list[str], dict[str, float]]:
    """Every fixture file dropped into a fresh workspace's inbox and consumed by the real intake."""
    from opsys.app import open_app
    from opsys.store.documents import current_documents, open_mismatches
    from opsys.workspace import init_workspace

    with tempfile.TemporaryDirectory() as tmp:
        ws = init_workspace(Path(tmp) / "ws")
        names = [n for p in manifest["pairs"] for n in (p["invoice"], p["sheet"])]
        for name in names:
            shutil.copy2(FIXTURES / name, ws.inbox / name)
        app = open_app(ws, classifier=_NoClassifier())
        t0 = time.perf_counter()
        report = app.intake.consume(sorted(ws.inbox.iterdir()))
        t1 = time.perf_counter()
        again = [ws.inbox / n for n in names[:4]]
        for name in names[:4]:  # the same files again: duplicates, nothing new stored
            shutil.copy2(FIXTURES / name, ws.inbox / name)
        dup = app.intake.consume(again)
        found = open_mismatches(app.db)
        bad = [f"{o.path.name}: {o.status} {o.detail}" for o in report.outcomes if o.status != "processed"]
        bad += [f"{o.path.name}: second drop {o.status}" for o in dup.outcomes if o.status != "duplicate"]
        docs = len(current_documents(app.db))
        app.close()
    return found, bad, {"files": len(names), "documents": docs, "seconds": t1 - t0}


def _renamed(data: bytes, number: str, project: str, c: int, client: str | None = None) -> bytes:
    """A CSV with the invoice number and the project (and the client, when given) renamed cell by cell."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        cells = [f"{number}-{c}" if cell == number else cell.replace(project, f"{project} {_WORDS[c]}")
                 for cell in row]
        w.writerow([cell.replace(client, f"{client} {_WORDS[c]}") for cell in cells] if client else cells)
    return out.getvalue().encode("utf-8-sig")


_WORDS = ["north", "south", "east", "west", "harbour", "hill", "meadow", "river", "forest", "lake"] * 100


def at_scale(manifest: dict, copies: int) -> None:
    """The CSV pairs copied `copies` times (invoice numbers and projects renamed), dropped one by one: recall,
    precision, and the cost per drop (each drop re-checks what it touches against the current sheets)."""
    from opsys.app import open_app
    from opsys.store.documents import open_mismatches
    from opsys.workspace import init_workspace

    pairs = [p for p in manifest["pairs"] if p["invoice"].endswith(".csv") and p["sheet"].endswith(".csv")]
    scaled = {"pairs": [{**p, "invoice_number": f"{p['invoice_number']}-{c}"} for c in range(copies) for p in pairs]}
    with tempfile.TemporaryDirectory() as tmp:
        ws = init_workspace(Path(tmp) / "ws")
        app = open_app(ws, classifier=_NoClassifier())
        times: list[float] = []
        for c in range(copies):
            for p in pairs:
                # an invoice naming no project is matched by client: five of them on one day would be
                # ambiguous for anyone, so those copies get a client of their own
                named = p["project"].encode() in (FIXTURES / p["invoice"]).read_bytes()
                for name in (p["invoice"], p["sheet"]):
                    dest = ws.inbox / f"{c:03d}-{name}"
                    dest.write_bytes(_renamed((FIXTURES / name).read_bytes(), p["invoice_number"], p["project"], c,
                                              None if named else p["client"]))
                    t0 = time.perf_counter()
                    app.intake.consume([dest])
                    times.append(time.perf_counter() - t0)
        s = score(scaled, open_mismatches(app.db))
        app.close()
    half = len(times) // 2
    print(f"scale: {len(pairs)} CSV pairs x {copies} = {len(times)} drops one by one; recall {s['recall']:.3f}, "
          f"precision {s['precision']:.3f} ({s['right']} of {s['planted']} planted, {s['found']} found); per drop "
          f"{sum(times[:half]) / half * 1000:.0f} ms (first half), {sum(times[half:]) / (len(times) - half) * 1000:.0f}"
          f" ms (second half), total {sum(times):.1f} s")
    for number, x in s["missed"][:10]:
        print(f"  MISSED  invoice {number}: {x['kind']} {x['subject'] or ''}")
    for m in s["false_alarms"][:10]:
        print(f"  FALSE   {m.kind}: {m.explanation}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verbose", action="store_true", help="print every mismatch and note")
    ap.add_argument("--rules-only", action="store_true", help="the pure checks on the records, no intake or store")
    ap.add_argument("--scale", type=int, default=0, metavar="N", help="also drop the CSV pairs N times, one by one")
    args = ap.parse_args()
    manifest = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
    kinds = sorted({x["kind"] for p in manifest["pairs"] for x in p["planted"]})
    print(f"machine: {platform.machine()}, {platform.python_version()}")
    print(f"pairs: {len(manifest['pairs'])} ({sum(1 for p in manifest['pairs'] if p['planted'])} with planted "
          f"mismatches; kinds: {', '.join(kinds)})")
    notes: list[str] = []
    if args.rules_only:
        t0 = time.perf_counter()
        invoices, entries, measurements = [], [], []
        for p in manifest["pairs"]:
            for name in (p["invoice"], p["sheet"]):
                doc = read_document((FIXTURES / name).read_bytes(), name)
                invoices += doc.invoices
                entries += doc.entries
                measurements += doc.measurements
        t1 = time.perf_counter()
        mismatches, notes = check_documents(invoices, entries, measurements, DocumentTolerance())
        t2 = time.perf_counter()
        print(f"read: {len(invoices)} invoices, {len(entries)} time entries, {len(measurements)} measured items "
              f"in {t1 - t0:.2f} s; checked in {(t2 - t1) * 1000:.0f} ms")
    else:
        mismatches, bad, figures = through_intake(manifest)
        print(f"intake: {figures['files']} files -> {figures['documents']} stored documents in "
              f"{figures['seconds']:.2f} s ({figures['files'] / figures['seconds']:.1f} files/s), "
              f"the first 4 dropped again: duplicates")
        for b in bad:
            print(f"  NOT PROCESSED  {b}")
    s = score(manifest, mismatches)
    print(f"planted {s['planted']}, found {s['found']}, right {s['right']}")
    print(f"recall {s['recall']:.3f}  precision {s['precision']:.3f}  (target 1.000 / 1.000)")
    for number, x in s["missed"]:
        print(f"  MISSED  invoice {number}: {x['kind']} {x['subject'] or ''}")
    for m in s["false_alarms"]:
        print(f"  FALSE   {m.kind}: {m.explanation}")
    if args.scale:
        at_scale(manifest, args.scale)
    if args.verbose:
        for m in mismatches:
            print(f"  [{m.severity}] {m.kind}: {m.explanation}")
        for n in notes:
            print(f"  note: {n}")


if __name__ == "__main__":
    main()
