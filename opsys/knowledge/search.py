"""Retrieval over the index, scored per page: a soft maximum over every chunk's cosine (exact, one
matrix product), blended with the cosines of the page's mean chunk vector and of its own summary, and
nudged by BM25 rank, then turned into a calibrated probability that the page answers the question.
Below `ANSWER_AT`, the library says plainly that nothing covers the question instead of listing five
confident strangers.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from opsys.knowledge.index import IndexPaths, load_state, open_collection

Mode = Literal["hybrid", "bm25", "vector"]

# Chosen with bench/search_quality.py on the tuned query sets only (this firm's SOPs and the real
# CivicActions handbook); the held-out sets (*_heldout.yml) were written first and are reported apart.
# A page's relevance = (pooled + CENTROID_WEIGHT × mean-vector cosine + SUMMARY_WEIGHT × summary cosine)
#                      / (1 + CENTROID_WEIGHT + SUMMARY_WEIGHT if the page has a summary)
#                      + BM25_BONUS × 2 / (1 + the page's BM25 rank)
# pooled = max + T·log(mean(exp((cos − max) / T))) over the page's sections, T = POOL_TEMPERATURE: the best
# section when one stands out, lower for a long page with one lucky section among many unrelated ones.
# The summary is an SOP's trigger or a page's description; a page without one is judged without it
# (never by its title alone). BM25 is a tie-breaker and a rescue for strong keyword hits (its first
# page gets +BM25_BONUS), never an equal vote, and it scores every page.
POOL_TEMPERATURE = 0.1
CENTROID_WEIGHT = 0.5
SUMMARY_WEIGHT = 0.5
BM25_BONUS = 0.08
# P(page answers the question) = logistic(CAL_RELEVANCE × relevance + CAL_COVERAGE × coverage + CAL_BIAS),
# coverage = the share of the question's word weight (IDF) the page contains. Fitted by
# `bench/search_quality.py --fit-calibration` on the tuned sets' top-5 candidates (all-MiniLM-L6-v2).
CAL_RELEVANCE, CAL_COVERAGE, CAL_BIAS = 9.63, 2.78, -5.73
ANSWER_AT = 0.05  # below this for the best page: "nothing in the library covers this"


class IndexMissing(Exception):
    """No index yet: run `opsys index`."""


@dataclass(frozen=True)
class Hit:
    sop_id: str
    title: str
    section: str
    snippet: str
    score: float       # calibrated: the probability that this page answers the question
    url: str
    rel: str
    relevance: float = 0.0  # the uncalibrated blend it was ranked by

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """The hits for a question, and whether any of them is likely to answer it."""

    query: str
    answered: bool
    hits: list[Hit] = field(default_factory=list)
    reason: str = ""

    def as_dict(self) -> dict:
        return {"query": self.query, "answered": self.answered, "reason": self.reason,
                "results": [h.as_dict() for h in self.hits]}


def _stemmer():
    try:
        import Stemmer

        return Stemmer.Stemmer("english")
    except ImportError:  # PyStemmer is optional: BM25 then matches exact word forms only
        return None


def calibrated(relevance: float, coverage: float) -> float:
    """The fitted probability that a page with this relevance and word coverage answers the question."""
    z = CAL_RELEVANCE * relevance + CAL_COVERAGE * coverage + CAL_BIAS
    return 1.0 / (1.0 + math.exp(-z))


class Searcher:
    """Loaded once (chunks, their vectors, BM25, model) and queried many times: warm queries take milliseconds."""

    def __init__(self, var: Path, model: str = "bundled", *, embedder=None, pool_temperature: float = POOL_TEMPERATURE,
                 centroid_weight: float = CENTROID_WEIGHT, summary_weight: float = SUMMARY_WEIGHT,
                 bm25_bonus: float = BM25_BONUS):
        import bm25s
        import numpy as np

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
        try:
            data = np.load(self.paths.chunk_vectors)
            ids, self.vectors = [str(i) for i in data["ids"]], data["vectors"]
            page_list, summaries = [str(r) for r in data["pages"]], data["summaries"]
        except (FileNotFoundError, OSError, KeyError, ValueError):
            ids, page_list = None, []
        if ids != [c["id"] for c in self.chunks]:
            raise IndexMissing(f"the search index in {self.paths.dir} is incomplete or from an older opsys: "
                               "run `opsys index` to rebuild it")
        self.pool_temperature, self.bm25_bonus = pool_temperature, bm25_bonus
        self.centroid_weight, self.summary_weight = centroid_weight, summary_weight
        self.pages = sorted({c["rel"] for c in self.chunks})
        if page_list != self.pages:
            raise IndexMissing(f"the search index in {self.paths.dir} is incomplete: run `opsys index` to rebuild it")
        page_no = {r: i for i, r in enumerate(self.pages)}
        self.page_of = np.array([page_no[c["rel"]] for c in self.chunks], dtype=np.int64)
        self.chunk_count = np.bincount(self.page_of, minlength=len(self.pages))
        centroids = np.zeros((len(self.pages), self.vectors.shape[1]), dtype=np.float64)
        np.add.at(centroids, self.page_of, self.vectors)
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        self.centroids = centroids / np.where(norms == 0, 1, norms)  # each page's mean direction
        self.summaries = summaries  # zeros for a page without a trigger or description
        self.has_summary = np.linalg.norm(summaries, axis=1) > 0
        self.team_page = np.array([False] * len(self.pages))
        for c in self.chunks:
            self.team_page[page_no[c["rel"]]] = c.get("audience", "founder") == "team"
        self.stemmer = _stemmer()
        corpus = [" ".join(x for x in (c["title"], c.get("path") or c["section"], c.get("about", ""), c["text"]) if x)
                  for c in self.chunks]
        self.bm25 = bm25s.BM25()
        stems = bm25s.tokenize(corpus, stemmer=self.stemmer, return_ids=False, show_progress=False) if corpus else []
        if corpus:
            self.bm25.index(bm25s.tokenize(corpus, stemmer=self.stemmer, show_progress=False), show_progress=False)
        self.page_stems: list[set[str]] = [set() for _ in self.pages]
        for row, words in enumerate(stems):
            self.page_stems[self.page_of[row]].update(words)
        self.df: dict[str, int] = {}
        for words in self.page_stems:
            for w in words:
                self.df[w] = self.df.get(w, 0) + 1
        self.model_name = model
        self._embedder = embedder
        self._collection = None

    @property
    def collection(self):
        """The Chroma collection the index also writes (search itself reads the saved vectors)."""
        if self._collection is None:
            self._collection = open_collection(self.paths.chroma)
        return self._collection

    @property
    def embedder(self):
        if self._embedder is None:
            from opsys.ai.embeddings import load_embedder

            self._embedder = load_embedder(self.model_name)
        return self._embedder

    # -- per-page signals ------------------------------------------------------------------

    def _tokens(self, query: str) -> list[str]:
        import bm25s

        return bm25s.tokenize([query], stemmer=self.stemmer, return_ids=False, show_progress=False)[0]

    def _best_per_page(self, values):
        """Per page: the highest chunk value and the chunk (row) that holds it."""
        import numpy as np

        order = np.lexsort((-values, self.page_of))  # by page, best chunk first
        first = np.ones(len(order), dtype=bool)
        first[1:] = self.page_of[order][1:] != self.page_of[order][:-1]
        rows = order[first]
        return values[rows], rows

    def _pooled(self, values, best):
        """Per page: a soft maximum of its chunks' values (`best` = the plain maximum per page)."""
        import numpy as np

        t = self.pool_temperature
        if t <= 0:
            return best
        sums = np.zeros(len(self.pages))
        np.add.at(sums, self.page_of, np.exp((values - best[self.page_of]) / t))
        return best + t * np.log(sums / self.chunk_count)

    def _coverage(self, tokens: list[str], page: int) -> float:
        """The share of the question's IDF weight whose words the page contains."""
        n = len(self.pages)
        words = list(dict.fromkeys(tokens))
        idf = [math.log((n - self.df.get(w, 0) + 0.5) / (self.df.get(w, 0) + 0.5) + 1) for w in words]
        total = sum(idf)
        return sum(x for w, x in zip(words, idf) if w in self.page_stems[page]) / total if total else 0.0

    # -- ranking ---------------------------------------------------------------------------

    def answer(self, query: str, k: int = 5, mode: Mode = "hybrid", audience: str = "founder") -> Answer:
        """The best section of each of the `k` best pages, each with a calibrated score, and whether the
        library covers the question at all; `audience="team"` leaves founder-only pages out."""
        import numpy as np

        query = query.strip()
        if not query or not self.chunks:
            return Answer(query, False, [], "empty question" if not query else "the library is empty")
        tokens = self._tokens(query)
        bm = self.bm25.get_scores(tokens) if tokens else np.zeros(len(self.chunks), dtype=np.float32)
        page_bm, bm_rows = self._best_per_page(np.asarray(bm, dtype=np.float64))
        if mode == "bm25":
            relevance, rows = page_bm, bm_rows
        else:
            from opsys.ai.embeddings import embed

            q = embed([query], self.embedder)[0]
            cos = (self.vectors @ q).astype(np.float64)
            page_cos, _ = self._best_per_page(cos)
            # the section shown: its cosine, with the words of the question as the tie-breaker
            _, rows = self._best_per_page(cos + self.bm25_bonus * bm / max(float(bm.max()), 1e-9))
            if mode == "vector":
                relevance = page_cos
            else:
                rank = np.empty(len(self.pages))
                rank[np.argsort(-page_bm, kind="stable")] = np.arange(1, len(self.pages) + 1)
                bonus = np.where(page_bm > 0, 2.0 / (1.0 + rank), 0.0)
                blend = (self._pooled(cos, page_cos) + self.centroid_weight * (self.centroids @ q)
                         + self.summary_weight * (self.summaries @ q))
                weight = 1 + self.centroid_weight + self.summary_weight * self.has_summary
                relevance = blend / weight + self.bm25_bonus * bonus
        visible = self.team_page if audience == "team" else np.ones(len(self.pages), dtype=bool)
        if mode == "bm25":
            visible = visible & (page_bm > 0)
        order = [int(i) for i in np.argsort(-relevance, kind="stable") if visible[i]][:k]
        terms = re.findall(r"\w{3,}", query.lower())
        hits = []
        for i in order:
            c = self.chunks[int(rows[i])]
            rel = float(relevance[i])
            score = calibrated(rel, self._coverage(tokens, i)) if mode == "hybrid" else rel
            hits.append(Hit(sop_id=c["sop_id"], title=c["title"], section=c["section"],
                            snippet=snippet(c["text"], terms), score=round(score, 4), url=c["url"],
                            rel=c["rel"], relevance=round(rel, 4)))
        if not hits:
            return Answer(query, False, [], "no page matches")
        if mode == "hybrid" and hits[0].score < ANSWER_AT:
            return Answer(query, False, hits, "nothing in the library covers this: the closest pages are a poor match")
        return Answer(query, True, hits)

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid", audience: str = "founder") -> list[Hit]:
        """The hits of `answer` (each with its calibrated score), for callers that list results."""
        return self.answer(query, k=k, mode=mode, audience=audience).hits


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
