"""Hybrid retrieval over the index: BM25 (bm25s, chunk level, title/heading boosted) and vectors
(Chroma), fused by weighted reciprocal rank fusion, then one result per page (its best section).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from opsys.knowledge.index import IndexPaths, load_state, open_collection

Mode = Literal["hybrid", "bm25", "vector"]

# Tuned with bench/search_quality.py on two labeled sets: this firm's SOPs (51 questions) and the
# real CivicActions handbook (30 questions). Vectors carry natural questions; BM25 (titles and
# headings not repeated, weight 0.5) only re-ranks sections the vectors already found among their
# top 20, so word overlap alone never outvotes meaning. This is the one setting of the sweep that
# beats BM25 alone on both sets and is no worse than vectors alone on either.
RRF_K = 60
VECTOR_WEIGHT = 1.0
BM25_WEIGHT = 0.5
TITLE_BOOST = 1        # times title and heading words are repeated in a section's BM25 text
CANDIDATES = 50        # chunks taken from each retriever before fusion
GATE: int | None = 20  # BM25 counts only for chunks among the vectors' top GATE


class IndexMissing(Exception):
    """No index yet: run `opsys index`."""


@dataclass(frozen=True)
class Hit:
    sop_id: str
    title: str
    section: str
    snippet: str
    score: float
    url: str
    rel: str

    def as_dict(self) -> dict:
        return asdict(self)


def _stemmer():
    try:
        import Stemmer

        return Stemmer.Stemmer("english")
    except ImportError:  # PyStemmer is optional: BM25 then matches exact word forms only
        return None


class Searcher:
    """Loaded once (chunks, BM25, Chroma, model) and queried many times: warm queries take milliseconds."""

    def __init__(self, var: Path, model: str = "bundled", *, embedder=None,
                 vector_weight: float = VECTOR_WEIGHT, bm25_weight: float = BM25_WEIGHT,
                 title_boost: int = TITLE_BOOST, rrf_k: int = RRF_K, gate: int | None = GATE):
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
        self.paths = IndexPaths(var)
        if not self.paths.chunks.exists():
            raise IndexMissing(f"no search index in {self.paths.dir}: run `opsys index` first")
        from opsys.ai.embeddings import model_name

        built_with = load_state(self.paths).get("model")
        if built_with != model_name(model):  # other vectors: a dimension error, or rankings without meaning
            raise IndexMissing(f"the search index in {self.paths.dir} was built with {built_with or 'an older opsys'}"
                               f", not {model_name(model)}: run `opsys index` to rebuild it")
        self.chunks: list[dict] = json.loads(self.paths.chunks.read_text(encoding="utf-8"))
        self.row = {c["id"]: i for i, c in enumerate(self.chunks)}
        self.vector_weight, self.bm25_weight, self.rrf_k, self.gate = vector_weight, bm25_weight, rrf_k, gate
        self.stemmer = _stemmer()
        corpus = [" ".join([c["title"]] * title_boost + [c["section"]] * title_boost + [c["text"]])
                  for c in self.chunks]
        self.bm25 = bm25s.BM25()
        if corpus:
            self.bm25.index(bm25s.tokenize(corpus, stemmer=self.stemmer, show_progress=False), show_progress=False)
        self.collection = open_collection(self.paths.chroma)
        self.model_name = model
        self._embedder = embedder

    @property
    def embedder(self):
        if self._embedder is None:
            from opsys.ai.embeddings import load_embedder

            self._embedder = load_embedder(self.model_name)
        return self._embedder

    # -- the two retrievers, chunk level ------------------------------------------------------

    def bm25_ranked(self, query: str, n: int = CANDIDATES) -> list[tuple[int, float]]:
        import bm25s

        if not self.chunks:
            return []
        tokens = bm25s.tokenize([query], stemmer=self.stemmer, show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = self.bm25.retrieve(tokens, k=min(n, len(self.chunks)), show_progress=False)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    def vector_ranked(self, query: str, n: int = CANDIDATES) -> list[tuple[int, float]]:
        from opsys.ai.embeddings import embed

        if not self.chunks:
            return []
        q = embed([query], self.embedder)[0].tolist()
        got = self.collection.query(query_embeddings=[q], n_results=min(n, len(self.chunks)), include=["distances"])
        return [(self.row[i], 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0]) if i in self.row]

    # -- fusion and page-level results --------------------------------------------------------

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid", audience: str = "founder") -> list[Hit]:
        """The best section of each of the `k` best pages; `audience="team"` leaves founder-only pages out."""
        query = query.strip()
        if not query:
            return []
        visible = ("team",) if audience == "team" else ("team", "founder")
        fused: dict[int, float] = {}
        allowed: set[int] | None = None
        if mode in ("hybrid", "vector"):
            ranked = self.vector_ranked(query)
            for rank, (row, _) in enumerate(ranked):
                fused[row] = fused.get(row, 0.0) + self.vector_weight / (self.rrf_k + rank + 1)
            if mode == "hybrid" and self.gate and ranked:
                # BM25 re-ranks what the vectors found instead of pulling in word-overlap-only sections
                allowed = {row for row, _ in ranked[: self.gate]}
        if mode in ("hybrid", "bm25"):
            for rank, (row, _) in enumerate(self.bm25_ranked(query)):
                if allowed is None or row in allowed:
                    fused[row] = fused.get(row, 0.0) + self.bm25_weight / (self.rrf_k + rank + 1)
        best: dict[str, tuple[float, int]] = {}
        for row, score in fused.items():
            if self.chunks[row].get("audience", "founder") not in visible:
                continue
            rel = self.chunks[row]["rel"]
            if rel not in best or score > best[rel][0]:
                best[rel] = (score, row)
        ranked = sorted(best.values(), key=lambda x: -x[0])[:k]
        top = ranked[0][0] if ranked else 1.0
        terms = [t for t in re.findall(r"\w{3,}", query.lower())]
        hits = []
        for score, row in ranked:
            c = self.chunks[row]
            hits.append(Hit(sop_id=c["sop_id"], title=c["title"], section=c["section"],
                            snippet=snippet(c["text"], terms), score=round(score / top, 4),
                            url=c["url"], rel=c["rel"]))
        return hits


def snippet(text: str, terms: list[str], width: int = 200) -> str:
    """The stretch of the section around the first query word it contains, on one line."""
    flat = " ".join(text.split())
    low = flat.lower()
    pos = min((low.find(t) for t in terms if t in low), default=0)
    start = max(0, pos - width // 3)
    if start:
        space = flat.find(" ", start)
        start = space + 1 if 0 <= space < pos else start
    out = flat[start:start + width]
    return ("…" if start else "") + out + ("…" if start + width < len(flat) else "")
