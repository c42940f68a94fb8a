"""Search quality on a labeled query file: recall@k and MRR, and whether "nothing covers this" is said right.

A query file is a YAML list of `{q: question, sops: [ids that answer it]}`; `sops: []` marks a
question nothing in the library covers (it counts only for refusals). The firm extends it with the
questions its people really ask; keep one file you tune on and one you never tune on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opsys.knowledge.search import Searcher


@dataclass
class SearchFigures:
    file: str
    n: int                      # answerable questions
    uncovered: int              # questions nothing covers
    recall: dict[int, float]    # recall@k
    mrr: float
    refused_uncovered: int      # "nothing covers this" said for an uncovered question (right)
    refused_answerable: int     # ... said for an answerable one (wrong)
    misses: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_queries(path: Path) -> list[dict[str, Any]]:
    """The labeled questions of `path`; a malformed entry names the file and its position."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    out = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str) or not isinstance(item.get("sops"), list):
            raise ValueError(f"{path}: entry [{i}]: expected {{q: question, sops: [sop ids]}}")
        out.append(item)
    return out


def evaluate_queries(searcher: Searcher, queries: list[dict[str, Any]], name: str, ks: tuple[int, ...] = (1, 3, 5),
                     depth: int = 10) -> SearchFigures:
    """recall@k and MRR of the shipped hybrid search over the answerable questions; refusals on both kinds."""
    hits = {k: 0 for k in ks}
    rr = 0.0
    n = uncovered = refused_none = refused_some = 0
    misses = []
    for item in queries:
        want = set(item["sops"])
        ans = searcher.answer(item["q"], k=depth)
        got = [h.sop_id for h in ans.hits]
        if not want:
            uncovered += 1
            refused_none += not ans.answered
            continue
        n += 1
        refused_some += not ans.answered
        rank = next((i + 1 for i, s in enumerate(got) if s in want), None)
        for k in ks:
            hits[k] += bool(rank and rank <= k)
        rr += 1 / rank if rank else 0.0
        if rank != 1:
            misses.append({"q": item["q"], "rank": rank, "want": sorted(want), "got": got[:3]})
    return SearchFigures(name, n, uncovered, {k: round(hits[k] / n, 3) if n else 0.0 for k in ks},
                         round(rr / n, 3) if n else 0.0, refused_none, refused_some, misses)
