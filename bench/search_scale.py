"""Scale: index a generated 2,000-page handbook, re-index after one edit, warm query latency, and
`mkdocs build` with vs. without the opsys plugin.

    python bench/search_scale.py [--pages 2000] [--skip-build]

The corpus is generated (seeded) from real handbook prose (../shared/realdata/handbooks/civicactions
when present, else this repo's SOPs): varied lengths, nested headings, lists, tables and links.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
REAL = REPO.parent / "shared" / "realdata" / "handbooks" / "civicactions"


def prose_pool() -> tuple[list[str], list[str]]:
    """Paragraphs and heading texts from a real handbook."""
    src = REAL if REAL.is_dir() else REPO / "sops"
    paras, heads = [], []
    for p in src.rglob("*.md"):
        text = re.sub(r"^---\n.*?\n---\n", "", p.read_text(errors="ignore"), flags=re.S)
        for block in re.split(r"\n\s*\n", text):
            block = block.strip()
            if block.startswith("#"):
                heads.append(block.lstrip("# ").splitlines()[0][:60])
            elif len(block) > 80 and not block.startswith(("|", "```", "<", "!")):
                paras.append(block)
    return paras, heads or ["Overview"]


def make_corpus(root: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    paras, heads = prose_pool()
    names = [f"area-{i // 100:02d}/page-{i:04d}.md" for i in range(n)]
    for i, name in enumerate(names):
        out = [f"# {rng.choice(heads)} {i}\n"]
        for _ in range(rng.choice([1, 2, 3, 3, 4, 6, 9])):
            out.append(f"## {rng.choice(heads)}\n")
            for _ in range(rng.randint(1, 3)):
                out.append(rng.choice(paras) + "\n")
            kind = rng.random()
            if kind < 0.3:
                out.append("\n".join(f"{k}. {rng.choice(paras)[:120]}" for k in range(1, rng.randint(3, 8))) + "\n")
            elif kind < 0.5:
                out.append("| item | owner | when |\n|---|---|---|\n" + "\n".join(
                    f"| {rng.choice(heads)} | {rng.choice(['ops', 'sales', 'pm'])} | {rng.randint(1, 30)} days |"
                    for _ in range(rng.randint(2, 6))) + "\n")
            elif kind < 0.7:
                other = names[rng.randrange(n)]
                rel = os.path.relpath(other, os.path.dirname(name))
                out.append(f"See [{rng.choice(heads)}]({rel}) and [the guide](https://example.org/guide).\n")
            if rng.random() < 0.3:
                out.append(f"### {rng.choice(heads)}\n\n- {rng.choice(paras)[:100]}\n- {rng.choice(paras)[:100]}\n")
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(out), encoding="utf-8")


def mkdocs_build(root: Path, with_plugin: bool) -> float:
    cfg = {
        "site_name": "Scale test", "docs_dir": "docs", "site_dir": str(root / ("site-opsys" if with_plugin else "site-plain")),
        "theme": {"name": "material", "font": False},
        "plugins": ["search"] + ([{"opsys": {"audience": "team"}}] if with_plugin else []),
        "markdown_extensions": ["tables", "admonition", "attr_list", "md_in_html", {"toc": {"permalink": True}}],
    }
    conf = root / ("mkdocs-opsys.yml" if with_plugin else "mkdocs-plain.yml")
    conf.write_text(yaml.safe_dump(cfg))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(conf)], check=True, cwd=root,
                   env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--keep", type=Path, help="work in (and keep) this folder; a second run reuses its corpus and index")
    args = ap.parse_args()

    from opsys.ai.embeddings import load_embedder
    from opsys.knowledge.index import build_index
    from opsys.knowledge.search import Searcher

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        docs = root / "docs"
        if not docs.is_dir():
            make_corpus(docs, args.pages)
            subprocess.run(["git", "init", "-q"], cwd=root, check=True)
            subprocess.run(["git", "add", "docs"], cwd=root, check=True)
            subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=b@example.org", "commit", "-qm",
                            "corpus"], cwd=root, check=True)
        if not (root / "system_map").is_dir():
            shutil.copytree(REPO / "system_map", root / "system_map")
        size = sum(p.stat().st_size for p in docs.rglob("*.md"))
        print(f"corpus: {args.pages} pages, {size / 1e6:.1f} MB of Markdown")

        t = time.perf_counter()
        embedder = load_embedder()
        print(f"model load: {time.perf_counter() - t:.1f}s (excluded below)")
        r = build_index(docs, root / "var", embedder=embedder, progress=True)
        if r.unchanged:
            print(f"(reusing the index in {root}: {r.unchanged} pages unchanged, full-index figures not measured)")
        print(f"full index: {r.pages} pages, {r.chunks_total} chunks in {r.seconds:.1f}s "
              f"-> {r.pages / r.seconds:.1f} pages/s, {r.chunks_total / r.seconds:.1f} chunks/s "
              f"(embedding {r.embed_seconds:.1f}s)")

        page = sorted(docs.rglob("*.md"))[args.pages // 3]
        rel = page.relative_to(docs).as_posix()
        page.write_text(page.read_text() + "\n## Late addition\n\nA paragraph added after indexing.\n")
        times = []
        for k in range(3):
            page.write_text(page.read_text() + f"\nEdit {k}.\n")
            r2 = build_index(docs, root / "var", embedder=embedder)
            assert r2.updated == [rel], r2
            times.append(r2.seconds)
        print(f"incremental re-index after one edit: median {statistics.median(times):.2f}s "
              f"({', '.join(f'{x:.2f}' for x in times)}; target <= 3 s)")
        r3 = build_index(docs, root / "var", embedder=embedder)
        print(f"no-change re-index: {r3.seconds:.2f}s")

        t = time.perf_counter()
        s = Searcher(root / "var", embedder=embedder)
        print(f"searcher load (chunks, their vectors, BM25): {time.perf_counter() - t:.2f}s")
        queries = [q["q"] for q in yaml.safe_load((REPO / "bench" / "search_queries.yml").read_text())]
        for q in queries[:5]:
            s.search(q)
        lat = []
        for q in queries * 2:
            t = time.perf_counter()
            s.search(q, k=5)
            lat.append((time.perf_counter() - t) * 1000)
        lat.sort()
        print(f"warm query latency over {len(lat)} queries: p50 {statistics.median(lat):.1f} ms, "
              f"p95 {lat[int(len(lat) * 0.95)]:.1f} ms (target p50 <= 50 ms)")

        if not args.skip_build:
            plain = mkdocs_build(root, with_plugin=False)
            with_opsys = mkdocs_build(root, with_plugin=True)
            print(f"mkdocs build: {plain:.1f}s without the plugin, {with_opsys:.1f}s with it "
                  f"-> {with_opsys / plain:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
