"""A fitted scoring written into the firm's own scoring.yml and sources.yml text, comments and layout kept.

Only the numbers change (points, the threshold, channel weights), each replaced where the YAML node
that holds it starts and ends, so `opsys scoring fit` can show the proposal as a reviewable diff.
"""

from __future__ import annotations

import math
from typing import Any

from opsys.config.models import SystemMap
from opsys.rules.scoring_fit import FittedScoring


def _node_at(node: Any, path: tuple) -> Any:
    for key in path:
        if node is None:
            return None
        if isinstance(key, int):
            node = node.value[key] if key < len(getattr(node, "value", [])) else None
        else:
            node = next((v for k, v in getattr(node, "value", []) if getattr(k, "value", None) == key), None)
    return node


def _replace(text: str, node: Any, values: dict[tuple, int]) -> str:
    """`text` with the scalars at `values`' paths replaced, comments and layout kept."""
    spans = []
    for path, value in values.items():
        at = _node_at(node, path)
        if at is None or not hasattr(at.start_mark, "index"):
            continue
        spans.append((at.start_mark.index, at.end_mark.index, str(value)))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _band_index(node: Any, key: str, band_value: float, name: str) -> int | None:
    """The file position of the band whose `name` (min, within_days…) is `band_value`."""
    seq = _node_at(node, (key,))
    for i, item in enumerate(getattr(seq, "value", [])):
        v = _node_at(item, (name,))
        if v is not None and float(v.value) == float(band_value):
            return i
    return None


def proposed_texts(m: SystemMap, fitted: FittedScoring, texts: dict[str, str]) -> dict[str, str]:
    """scoring.yml and sources.yml (given as `texts`) with the fitted points and threshold written in."""
    s, q = m.scoring, m.scoring.quality
    p = fitted.points
    cap = max(1, math.ceil(q.specificity.max_points / max(1, q.specificity.points_per_hit)))
    node = m.lines.nodes.get("scoring.yml")
    values: dict[tuple, int] = {("hot_threshold",): fitted.threshold,
                                ("quality", "length", "points"): p[("length", 1)],
                                ("quality", "specificity", "points_per_hit"): p[("specificity", 1)],
                                ("quality", "specificity", "max_points"): p[("specificity", 1)] * cap,
                                ("quality", "concrete_ask", "points"): p[("concrete_ask", 1)],
                                ("service_match",): p[("service", 1)], ("referral",): p[("referral", 1)]}
    for key, bands, attr in (("budget", s.budget, "min"), ("timeline", s.timeline, "within_days"),
                             ("company_size", s.company_size, "min_employees")):
        for level, band in enumerate(bands, start=1):
            at = _band_index(node, key, getattr(band, attr), attr)
            if at is not None:
                values[(key, at, "points")] = p[(key, level)]
    out = {"scoring.yml": _replace(texts["scoring.yml"], node, values)}
    channel_values = {("channels", k, "weight"): p[("source", i + 1)] for i, k in enumerate(m.sources.channels)}
    out["sources.yml"] = _replace(texts["sources.yml"], m.lines.nodes.get("sources.yml"), channel_values)
    return out
