"""Search quality on the labeled query set: recall@3 and MRR for BM25 alone, vectors alone, hybrid.

    python bench/search_quality.py [--grid] [--misses] [--skip-handbook]

Indexes into a temporary var/ with the real model and Chroma, then asks every labeled query:
the firm's SOPs with bench/search_queries.yml, and the real CivicActions handbook (149 pages, no
SOP frontmatter, read in place from ../shared/realdata) with bench/search_queries_civicactions.yml.
--grid also prints the fusion weights / title boost sweep the
shipped defaults in opsys/knowledge/search.py were chosen from.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def evaluate(searcher, queries: list[dict], mode: str, k: int = 10) -> dict:
    recall3, rr = 0, 0.0
    misses = []
    for item in queries:
        want = set(item["sops"])
        got = [h.sop_id for h in searcher.search(item["q"], k=k, mode=mode)]
        if want & set(got[:3]):
            recall3 += 1
        else:
            misses.append((item["q"], got[:3]))
        rank = next((i + 1 for i, s in enumerate(got) if s in want), None)
        rr += 1 / rank if rank else 0
    n = len(queries)
    return {"recall@3": recall3 / n, "mrr": rr / n, "misses": misses}


CIVIC = REPO.parent / "shared" / "realdata" / "handbooks" / "civicactions"


def run(sops: Path, queries_file: Path, embedder, grid: bool = False, show_misses: bool = False) -> None:
    from opsys.knowledge.index import build_index
    from opsys.knowledge.search import Searcher

    queries = yaml.safe_load(queries_file.read_text())
    with tempfile.TemporaryDirectory() as var:
        t = time.perf_counter()
        report = build_index(sops, Path(var), embedder=embedder)
        print(f"\n{sops}: {report.pages} pages, {report.chunks_total} chunks indexed in "
              f"{time.perf_counter() - t:.1f}s; {len(queries)} labeled queries ({queries_file.name})")
        s = Searcher(Path(var), embedder=embedder)
        print(f"{'ranking':<36}{'recall@3':>9}{'MRR':>8}")
        for mode in ("bm25", "vector", "hybrid"):
            r = evaluate(s, queries, mode)
            label = {"bm25": "BM25 alone (chunks, stemmed)", "vector": "vectors alone (MiniLM, chunks)",
                     "hybrid": f"hybrid RRF (b={s.bm25_weight}, gate={s.gate})"}[mode]
            print(f"{label:<36}{r['recall@3']:>9.3f}{r['mrr']:>8.3f}")
            if mode == "hybrid" and show_misses:
                for q, got in r["misses"]:
                    print(f"   miss: {q!r} -> {got}")
        if grid:
            print("sweep (hybrid):  title_boost  bm25_weight  rrf_k  gate  recall@3  MRR")
            for boost in (1, 2):
                g = Searcher(Path(var), embedder=embedder, title_boost=boost)
                for w in (0.2, 0.35, 0.5, 0.75, 1.0):
                    for k in (30, 60):
                        for gate in (None, 20):
                            g.bm25_weight, g.rrf_k, g.gate = w, k, gate
                            r = evaluate(g, queries, "hybrid")
                            print(f"{'':17}{boost:>11}  {w:>11}  {k:>5}  {str(gate):>4}  {r['recall@3']:>8.3f}  "
                                  f"{r['mrr']:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", action="store_true", help="sweep fusion weights and title boost")
    ap.add_argument("--misses", action="store_true", help="list the queries hybrid misses")
    ap.add_argument("--skip-handbook", action="store_true", help="only the firm's own SOPs")
    args = ap.parse_args()

    from opsys.ai.embeddings import load_embedder

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores")
    embedder = load_embedder()
    run(REPO / "sops", REPO / "bench" / "search_queries.yml", embedder, args.grid, args.misses)
    if CIVIC.is_dir() and not args.skip_handbook:
        run(CIVIC, REPO / "bench" / "search_queries_civicactions.yml", embedder, args.grid, args.misses)
    elif not args.skip_handbook:
        print(f"\n{CIVIC} is absent: the real-handbook set is skipped")


if __name__ == "__main__":
    main()
