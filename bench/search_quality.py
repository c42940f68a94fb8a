"""Search quality on the labeled query sets: recall@1/3/5 and MRR for BM25 alone, vectors alone
(best chunk per page) and the shipped hybrid, plus how often "nothing covers this" is said.

    python bench/search_quality.py [--misses] [--skip-handbook] [--baseline REV | --no-baseline]
    python bench/search_quality.py --fit-calibration   # refit search.py's CAL_* and ANSWER_AT after a ranking change

Indexes into a temporary var/ with the real model, then asks every labeled query of four sets: this
firm's SOPs (bench/search_queries.yml, tuned on; bench/search_queries_heldout.yml, never tuned on) and
the real CivicActions handbook (149 pages, read in place from ../shared/realdata; the same pair of
files with `_civicactions`). `sops: []` marks a question nothing covers: it counts only for refusals.
The baseline row is the hybrid search as shipped at git REV (default HEAD), extracted with
`git archive` and run in a child process in the same run, so before and after share the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("OPSYS_BASELINE_TREE") or str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
CIVIC = REPO.parent / "shared" / "realdata" / "handbooks" / "civicactions"
SETS = [("sops", "search_queries.yml", "tuned"), ("sops", "search_queries_heldout.yml", "held-out"),
        ("civic", "search_queries_civicactions.yml", "tuned"),
        ("civic", "search_queries_civicactions_heldout.yml", "held-out")]


def evaluate(searcher, queries: list[dict], mode: str, k: int = 10) -> dict:
    """recall@1/3/5 and MRR over the answerable queries; refusals (`answered: false`) on both kinds."""
    hit = {1: 0, 3: 0, 5: 0}
    rr, misses, lat = 0.0, [], []
    refused_none = refused_some = none = 0
    for item in queries:
        want = set(item["sops"])
        t = time.perf_counter()
        if hasattr(searcher, "answer"):
            ans = searcher.answer(item["q"], k=k, mode=mode)
            hits, answered = ans.hits, ans.answered
        else:  # the baseline's API: it always answers
            hits, answered = searcher.search(item["q"], k=k, mode=mode), True
        lat.append((time.perf_counter() - t) * 1000)
        got = [h.sop_id for h in hits]
        if not want:
            none += 1
            refused_none += not answered
            continue
        refused_some += not answered
        rank = next((i + 1 for i, s in enumerate(got) if s in want), None)
        for n in hit:
            hit[n] += bool(rank and rank <= n)
        rr += 1 / rank if rank else 0
        if rank != 1:
            misses.append((item["q"], rank, got[:3]))
    n = len(queries) - none
    return {"n": n, "none": none, "r1": hit[1] / n, "r3": hit[3] / n, "r5": hit[5] / n, "mrr": rr / n,
            "refused_none": refused_none, "refused_answerable": refused_some, "misses": misses,
            "p50_ms": statistics.median(lat) if lat else 0.0}


def root_of(corpus: str) -> Path:
    return REPO / "sops" if corpus == "sops" else CIVIC


def measure(modes: list[str], embedder, sets=SETS) -> dict:
    """Index each corpus once and evaluate every (set, mode): {set file: {mode: figures}}."""
    from opsys.knowledge.index import build_index
    from opsys.knowledge.search import Searcher

    out: dict = {}
    for corpus in dict.fromkeys(c for c, _, _ in sets):
        if not root_of(corpus).is_dir():
            continue
        with tempfile.TemporaryDirectory() as var:
            t = time.perf_counter()
            report = build_index(root_of(corpus), Path(var), embedder=embedder)
            out[f"index:{corpus}"] = {"pages": report.pages, "chunks": report.chunks_total,
                                      "seconds": time.perf_counter() - t}
            s = Searcher(Path(var), embedder=embedder)
            for c, name, _ in sets:
                if c == corpus:
                    queries = yaml.safe_load((REPO / "bench" / name).read_text())
                    out[name] = {m: evaluate(s, queries, m) for m in modes}
    return out


def fit_calibration(embedder) -> None:
    """Fit P(page answers) = logistic(a·relevance + b·coverage + c) on the tuned sets' top-5 candidates
    (a candidate is positive when it is a labeled answer; every candidate of an uncovered question is
    negative), then show what each `ANSWER_AT` would refuse. Held-out sets are not read."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from opsys.knowledge.index import build_index
    from opsys.knowledge.search import Searcher

    X, y, best = [], [], []  # best: per question, (the row of its top hit in X, is it answerable?)
    for corpus in dict.fromkeys(c for c, _, _ in SETS):
        if not root_of(corpus).is_dir():
            print(f"{root_of(corpus)} is absent: fitting without it")
            continue
        with tempfile.TemporaryDirectory() as var:
            build_index(root_of(corpus), Path(var), embedder=embedder)
            s = Searcher(Path(var), embedder=embedder)
            for c, name, kind in SETS:
                if c != corpus or kind != "tuned":
                    continue
                for item in yaml.safe_load((REPO / "bench" / name).read_text()):
                    tokens = s._tokens(item["q"])
                    hits = s.answer(item["q"], k=5).hits
                    best.append((len(X), bool(item["sops"])))
                    for h in hits:
                        X.append([h.relevance, s._coverage(tokens, s.pages.index(h.rel))])
                        y.append(h.sop_id in item["sops"])
    model = LogisticRegression(C=100.0).fit(np.array(X), np.array(y))
    (a, b), c = model.coef_[0], model.intercept_[0]
    print(f"CAL_RELEVANCE, CAL_COVERAGE, CAL_BIAS = {a:.2f}, {b:.2f}, {c:.2f}   "
          f"({len(X)} candidates, {sum(y)} right, tuned sets only)")
    top = model.predict_proba(np.array([X[i] for i, _ in best]))[:, 1]
    answerable = np.array([ok for _, ok in best])
    print("ANSWER_AT  refused: uncovered (of {}), answerable (of {})".format((~answerable).sum(), answerable.sum()))
    for at in (0.03, 0.05, 0.07, 0.09, 0.11, 0.13, 0.15, 0.2):
        print(f"  {at:<8} {int(((top < at) & ~answerable).sum()):>4} {int(((top < at) & answerable).sum()):>12}")


def baseline(rev: str) -> dict | None:
    """The hybrid as shipped at `rev`, measured by this script in a child process on that code."""
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", rev, "opsys"],
                                 capture_output=True, check=False)
        if archive.returncode:
            print(f"baseline {rev}: git archive failed: {archive.stderr.decode().strip()}")
            return None
        with tarfile.open(fileobj=__import__("io").BytesIO(archive.stdout)) as tar:
            tar.extractall(tree, filter="data")
        child = subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True,
                               env={**os.environ, "OPSYS_BASELINE_TREE": tree})
        if child.returncode:
            print(f"baseline {rev} failed:\n{child.stderr[-2000:]}")
            return None
        return json.loads(child.stdout.strip().splitlines()[-1])


LABELS = {"bm25": "BM25 alone (chunks, stemmed)", "vector": "vectors alone (best chunk/page)",
          "hybrid": "hybrid as shipped now"}


def row(label: str, r: dict, refusals: bool = True) -> str:
    ref = f"{r['refused_none']}/{r['none']:<3} {r['refused_answerable']:>3}" if refusals and r["none"] else ""
    return (f"  {label:<34}{r['r1']:>6.3f}{r['r3']:>7.3f}{r['r5']:>7.3f}{r['mrr']:>7.3f}{r['p50_ms']:>8.1f}"
            f"   {ref}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--misses", action="store_true", help="list the queries hybrid does not rank first")
    ap.add_argument("--skip-handbook", action="store_true", help="only the firm's own SOPs")
    ap.add_argument("--baseline", default="HEAD", help="git revision whose shipped hybrid is the 'before' row")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--fit-calibration", action="store_true", help="refit the calibrated score on the tuned sets")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    from opsys.ai.embeddings import load_embedder

    if args.fit_calibration:
        fit_calibration(load_embedder())
        return

    sets = [x for x in SETS if not (args.skip_handbook and x[0] == "civic")]
    if args.child:  # the baseline tree: its hybrid only, as JSON
        res = measure(["hybrid"], load_embedder(), sets)
        print(json.dumps({k: v.get("hybrid", v) for k, v in res.items()}))
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    before = None
    if not args.no_baseline:
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", args.baseline],
                             capture_output=True, text=True).stdout.strip() or args.baseline
        before = baseline(args.baseline)
        LABELS["before"] = f"before: hybrid shipped at {rev}"
    res = measure(["bm25", "vector", "hybrid"], load_embedder(), sets)
    for corpus, name, kind in sets:
        if name not in res:
            print(f"\n{root_of(corpus)} is absent: {name} is skipped")
            continue
        ix = res[f"index:{corpus}"]
        r = res[name]
        print(f"\n{name} ({kind}): {r['hybrid']['n']} answerable + {r['hybrid']['none']} uncovered questions; "
              f"{ix['pages']} pages, {ix['chunks']} chunks indexed in {ix['seconds']:.1f}s")
        print(f"  {'ranking':<34}{'R@1':>6}{'R@3':>7}{'R@5':>7}{'MRR':>7}{'p50 ms':>8}   refused: uncovered, answerable")
        if before and name in before:
            print(row(LABELS["before"], before[name], refusals=False) + ("   (always answers)" if before[name]["none"] else ""))
        for mode in ("bm25", "vector", "hybrid"):
            print(row(LABELS[mode], r[mode], refusals=mode == "hybrid"))
        if args.misses:
            for q, rank, got in r["hybrid"]["misses"]:
                print(f"     rank {rank}: {q!r} -> {got}")


if __name__ == "__main__":
    main()
