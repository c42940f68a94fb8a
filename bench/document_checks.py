"""Document check over the fixture pairs: recall and precision of the mismatches found, against the manifest.

Reads every invoice and sheet under tests/fixtures/documents/ (34 pairs in QuickBooks Online, Xero,
FreshBooks, Harvest and PDF invoice layouts; Harvest, Toggl Track, Clockify and take-off sheets),
checks them all together as intake would (matching is part of what is measured), and compares the
mismatches found with the planted ones. A found mismatch is right when its kind and its task/item
(where one was planted) are a planted one of that invoice; anything else is a false alarm.
Target: recall 1.0, precision 1.0. Run: python bench/document_checks.py [--verbose]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from opsys.records.documents import DocumentMismatch  # noqa: E402
from opsys.rules.document_checks import DocumentTolerance, check_documents  # noqa: E402
from opsys.sources.documents import read_document  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "documents"


def _same_subject(found: str | None, planted: str | None) -> bool:
    return planted is None or (found is not None and planted.casefold() in found.casefold())


def score(manifest: dict, mismatches: list[DocumentMismatch]) -> dict[str, object]:
    """Recall over the planted mismatches, precision over the ones found; with the misses and false alarms."""
    by_number = {p["invoice_number"]: p for p in manifest["pairs"]}
    planted = [(p["invoice_number"], x) for p in manifest["pairs"] for x in p["planted"]]
    hit: set[int] = set()
    false_alarms: list[DocumentMismatch] = []
    for m in mismatches:
        number = m.documents[0].ref
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verbose", action="store_true", help="print every mismatch and note")
    args = ap.parse_args()
    manifest = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
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
    s = score(manifest, mismatches)
    kinds = sorted({x["kind"] for p in manifest["pairs"] for x in p["planted"]})
    print(f"machine: {platform.machine()}, {platform.python_version()}")
    print(f"pairs: {len(manifest['pairs'])} ({sum(1 for p in manifest['pairs'] if p['planted'])} with planted "
          f"mismatches; kinds: {', '.join(kinds)})")
    print(f"read: {len(invoices)} invoices, {len(entries)} time entries, {len(measurements)} measured items "
          f"in {t1 - t0:.2f} s; checked in {(t2 - t1) * 1000:.0f} ms")
    print(f"planted {s['planted']}, found {s['found']}, right {s['right']}")
    print(f"recall {s['recall']:.3f}  precision {s['precision']:.3f}  (target 1.000 / 1.000)")
    for number, x in s["missed"]:
        print(f"  MISSED  invoice {number}: {x['kind']} {x['subject'] or ''}")
    for m in s["false_alarms"]:
        print(f"  FALSE   {m.kind}: {m.explanation}")
    if args.verbose:
        for m in mismatches:
            print(f"  [{m.severity}] {m.kind}: {m.explanation}  <- {' / '.join(map(str, m.documents))}")
        for n in notes:
            print(f"  note: {n}")


if __name__ == "__main__":
    main()
