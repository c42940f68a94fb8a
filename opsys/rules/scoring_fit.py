"""Fit scoring.yml's points and hot threshold to the firm's own `hot:` labels, and keep them explainable.

Each signal of rules/scoring.py becomes indicator features (which budget band fired, which channel,
whether a concrete ask was made; specificity as a hit count). A logistic regression on those features
learns how much each says about "hot"; its coefficients are scaled so the best possible lead scores
about 100 and rounded to integer points, so every explanation still reads "budget +20". Bands stay
monotone (more money, a sooner date, a bigger firm never score less). The threshold is the highest
integer score that still catches `target_recall` of the hot examples. A signal with no labeled
evidence (client tiers: examples carry no sender domain) keeps its hand-set points, and the result
says which source every number came from.

Which band fired is read by scoring each example once with a probe copy of the scoring where band i
scores i points, so the extraction code is the one intake runs, never a second copy of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from opsys.config.models import Example, SystemMap
from opsys.records import Lead, Score
from opsys.rules.scoring import score_lead

C = 1.0  # L2 strength: few labels per band, so shrink rather than trust one example
MAX_TOTAL = 100
CHANNELS = ("email", "web_form", "phone", "referral", "csv")


def examples_now(m: SystemMap, today: datetime) -> datetime:
    """The moment the examples' relative dates are read from: scoring.yml examples_as_of, else `today`."""
    d = m.scoring.examples_as_of
    return datetime.combine(d, time(12), tzinfo=UTC) if isinstance(d, date) else today


def example_lead(e: Example, now: datetime) -> Lead:
    """An example as intake would see it: its text as the body, arrived by its channel (email by default)."""
    return Lead(channel=e.channel or "email", source_name="example", position=0, name=None, email=None, phone=None,
                company=None, subject="", body=e.text, received_at=now, attachments=[], fields={}, warnings=[])


def hot_examples(m: SystemMap) -> list[Example]:
    """The leads that carry a `hot:` label."""
    return [e for e in m.examples if e.is_lead and e.hot is not None]


# -- features --------------------------------------------------------------------------------


def _probe(m: SystemMap) -> SystemMap:
    """A copy of the map whose every band, channel and flag scores its rank (1, 2, …): points read back as levels."""
    s = m.scoring
    q = s.quality
    cap = max(1, math.ceil(q.specificity.max_points / max(1, q.specificity.points_per_hit)))
    probe = s.model_copy(update={
        "quality": q.model_copy(update={
            "length": q.length.model_copy(update={"points": 1}),
            "specificity": q.specificity.model_copy(update={"points_per_hit": 1, "max_points": cap}),
            "concrete_ask": q.concrete_ask.model_copy(update={"points": 1})}),
        "budget": [b.model_copy(update={"points": i + 1}) for i, b in enumerate(s.budget)],
        "timeline": [b.model_copy(update={"points": i + 1}) for i, b in enumerate(s.timeline)],
        "company_size": [b.model_copy(update={"points": i + 1}) for i, b in enumerate(s.company_size)],
        "service_match": 1, "referral": 1,
        "client_tier": {t: i + 1 for i, t in enumerate(s.client_tier)}})
    channels = {k: c.model_copy(update={"weight": i + 1}) for i, (k, c) in enumerate(m.sources.channels.items())}
    return m.model_copy(update={"scoring": probe, "sources": m.sources.model_copy(update={"channels": channels})})


@dataclass(frozen=True)
class Columns:
    """The feature columns: (signal, level) pairs, level being the band's index in scoring.yml's order."""

    names: list[tuple[str, int]]

    def index(self) -> dict[tuple[str, int], int]:
        return {n: i for i, n in enumerate(self.names)}


def columns(m: SystemMap) -> Columns:
    s = m.scoring
    names = [("length", 1), ("specificity", 1), ("concrete_ask", 1), ("service", 1), ("referral", 1)]
    names += [("budget", i + 1) for i in range(len(s.budget))]
    names += [("timeline", i + 1) for i in range(len(s.timeline))]
    names += [("company_size", i + 1) for i in range(len(s.company_size))]
    names += [("source", i + 1) for i in range(len(m.sources.channels))]
    return Columns(names)


def levels(lead: Lead, m: SystemMap, now: datetime, probe: SystemMap | None = None) -> dict[str, int]:
    """Which band or flag each signal reached for this lead (0 = none), read from a probe score."""
    score = score_lead(lead, None, probe or _probe(m), now)
    return {sig.name: sig.points for sig in score.signals}


def feature_rows(leads: Sequence[Lead], m: SystemMap, now: datetime) -> tuple[Columns, list[list[float]]]:
    """One row of features per lead, in `columns(m)` order."""
    probe, cols = _probe(m), columns(m)
    at = cols.index()
    rows = []
    for lead in leads:
        lv = levels(lead, m, now, probe)
        row = [0.0] * len(cols.names)
        for name, level in lv.items():
            if name == "specificity":
                row[at[("specificity", 1)]] = float(level)
            elif (name, level) in at:
                row[at[(name, level)]] = 1.0
        rows.append(row)
    return cols, rows


# -- the fit ---------------------------------------------------------------------------------


@dataclass
class FittedScoring:
    """Integer points per feature column and the threshold, with where each number came from."""

    points: dict[tuple[str, int], int]
    threshold: int
    sources: dict[str, str] = field(default_factory=dict)  # signal -> "hot labels (n=81)" / "hand-set: …"
    n: int = 0
    n_hot: int = 0

    def total(self, row: Sequence[float], cols: Columns) -> int:
        value = sum(self.points.get(c, 0) * x for c, x in zip(cols.names, row))
        return max(0, min(MAX_TOTAL, int(round(value))))


def _monotone(points: list[int]) -> list[int]:
    """Band points, best band first, made non-increasing: a better band never scores less than a worse one."""
    out = list(points)
    for i in range(len(out) - 2, -1, -1):
        out[i] = max(out[i], out[i + 1])
    return out


def fit_points(rows: list[list[float]], hot: list[bool], cols: Columns, target_recall: float, *,
               inner: bool = True) -> FittedScoring:
    """Logistic regression on the features, scaled to 0-100 integer points, threshold for `target_recall`."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    X, y = np.asarray(rows, dtype=float), np.asarray(hot, dtype=bool)
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(X, y)
    coef = dict(zip(cols.names, model.coef_[0]))
    # the best reachable total: per signal its best level (specificity: its cap times the per-hit weight)
    cap = max(1.0, float(X[:, cols.names.index(("specificity", 1))].max()) if len(X) else 1.0)
    groups: dict[str, list[float]] = {}
    for (name, level), w in coef.items():
        groups.setdefault(name, []).append(w * (cap if name == "specificity" else 1.0))
    best = sum(max(0.0, max(ws)) for ws in groups.values()) or 1.0
    scale = MAX_TOTAL / best
    points = {c: int(round(w * scale)) for c, w in coef.items()}
    for name in ("budget", "timeline", "company_size"):
        keys = sorted((c for c in points if c[0] == name), key=lambda c: c[1])  # level 1 is the best band
        for k, v in zip(keys, _monotone([points[k] for k in keys])):
            points[k] = v
    fitted = FittedScoring(points, 0, n=len(hot), n_hot=int(y.sum()))
    # In-sample totals flatter the fit (each example helped set its own points), so the threshold is
    # read from out-of-fold totals: how examples score under points fitted without them.
    totals = _out_of_fold_totals(rows, hot, cols) if inner else [fitted.total(r, cols) for r in rows]
    fitted.threshold = threshold_for(totals, hot, target_recall)
    return fitted


def _out_of_fold_totals(rows: list[list[float]], hot: list[bool], cols: Columns, folds: int = 5) -> list[int]:
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    k = min(folds, sum(hot), len(hot) - sum(hot))
    if k < 2:
        return [0] * len(rows)
    totals = [0] * len(rows)
    for train, test in StratifiedKFold(k, shuffle=True, random_state=0).split(np.zeros(len(hot)), hot):
        f = fit_points([rows[i] for i in train], [hot[i] for i in train], cols, 1.0, inner=False)
        for i in test:
            totals[i] = f.total(rows[i], cols)
    return totals


def threshold_for(totals: Sequence[int], hot: Sequence[bool], target_recall: float) -> int:
    """The highest integer threshold whose recall on these labels is at least `target_recall`."""
    hot_totals = sorted((t for t, h in zip(totals, hot) if h), reverse=True)
    if not hot_totals:
        return MAX_TOTAL
    need = max(1, math.ceil(target_recall * len(hot_totals) - 1e-9))
    return max(1, hot_totals[need - 1])


def hand_set_points(m: SystemMap, cols: Columns) -> FittedScoring:
    """Today's scoring.yml as feature points, so baseline and fit are scored the same way."""
    s, q = m.scoring, m.scoring.quality
    pts: dict[tuple[str, int], int] = {("length", 1): q.length.points, ("specificity", 1): q.specificity.points_per_hit,
                                       ("concrete_ask", 1): q.concrete_ask.points, ("service", 1): s.service_match,
                                       ("referral", 1): s.referral}
    for name, bands in (("budget", s.budget), ("timeline", s.timeline), ("company_size", s.company_size)):
        for i, b in enumerate(bands):
            pts[(name, i + 1)] = b.points
    for i, c in enumerate(m.sources.channels.values()):
        pts[("source", i + 1)] = c.weight
    return FittedScoring(pts, s.hot_threshold)


# -- measured, cross-validated ---------------------------------------------------------------


@dataclass
class HotFigures:
    precision: float
    recall: float
    n: int
    n_hot: int
    threshold: int | float
    missed: list[int] = field(default_factory=list)      # indexes of hot examples scored below the threshold
    false_alarms: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"precision": round(self.precision, 3), "recall": round(self.recall, 3), "n": self.n,
                "n_hot": self.n_hot, "threshold": self.threshold, "missed": self.missed,
                "false_alarms": self.false_alarms}


def figures(pred: Sequence[bool], hot: Sequence[bool], threshold: int | float) -> HotFigures:
    tp = sum(p and h for p, h in zip(pred, hot))
    fp = sum(p and not h for p, h in zip(pred, hot))
    fn = sum(h and not p for p, h in zip(pred, hot))
    return HotFigures(tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0, len(hot), sum(hot),
                      threshold, [i for i, (p, h) in enumerate(zip(pred, hot)) if h and not p],
                      [i for i, (p, h) in enumerate(zip(pred, hot)) if p and not h])


def cross_validated(rows: list[list[float]], hot: list[bool], cols: Columns, target_recall: float,
                    folds: int = 5, seed: int = 0) -> HotFigures:
    """Hot precision/recall of the fitting procedure on labels it did not see (points and threshold per fold)."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    pred = [False] * len(hot)
    k = min(folds, sum(hot), len(hot) - sum(hot))
    thresholds = []
    for train, test in StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(hot)), hot):
        f = fit_points([rows[i] for i in train], [hot[i] for i in train], cols, target_recall)
        thresholds.append(f.threshold)
        for i in test:
            pred[i] = f.total(rows[i], cols) >= f.threshold
    return figures(pred, hot, round(sum(thresholds) / len(thresholds), 1))


def baseline(rows: list[list[float]], hot: list[bool], cols: Columns, m: SystemMap) -> HotFigures:
    """The shipped scoring.yml on the same labels (nothing is fitted, so nothing to cross-validate)."""
    hand = hand_set_points(m, cols)
    return figures([hand.total(r, cols) >= hand.threshold for r in rows], hot, hand.threshold)


def score_examples(examples: Sequence[Example], m: SystemMap, now: datetime) -> list[Score]:
    """The shipped score of each example, as intake would give it (no client account)."""
    return [score_lead(example_lead(e, now), None, m, now) for e in examples]


def weight_sources(m: SystemMap, n: int, n_hot: int) -> dict[str, str]:
    """Where each scoring number comes from after a fit."""
    fitted = f"fitted on {n} hot labels ({n_hot} hot) in system_map/examples"
    out = {name: fitted for name in ("hot_threshold", "length", "specificity", "concrete_ask", "budget", "timeline",
                                     "company_size", "service_match", "referral", "source (sources.yml weights)")}
    out["client_tier"] = "hand-set: examples carry no sender domain, so no label says what a tier is worth"
    return out


# -- the proposal ----------------------------------------------------------------------------

MIN_LABELS = 10
MIN_OUTCOMES = 30  # won + lost deals linked to leads before outcomes are trusted beside the labels
MIN_EACH = 5


@dataclass
class Proposal:
    """Fitted scoring, today's on the same labels, and where each number came from."""

    fitted: FittedScoring
    current: HotFigures          # scoring.yml as it is, on the hot labels
    proposed: HotFigures         # the proposal, on the same labels (in-sample)
    cross_validated: HotFigures  # the fitting procedure on labels it did not see
    target_recall: float
    sources: dict[str, str]
    outcomes: str                # what CRM outcomes contributed, in words

    def summary(self) -> str:
        c, p, cv = self.current, self.proposed, self.cross_validated
        lines = [f"hot labels: {c.n} leads, {c.n_hot} hot; target recall {self.target_recall}",
                 f"  scoring.yml now  (threshold {c.threshold}): precision {c.precision:.3f} recall {c.recall:.3f}",
                 f"  proposed         (threshold {p.threshold}): precision {p.precision:.3f} recall {p.recall:.3f}"
                 " (in-sample)",
                 f"  proposed, 5-fold cross-validated: precision {cv.precision:.3f} recall {cv.recall:.3f}",
                 f"CRM outcomes: {self.outcomes}", "where each number comes from:"]
        lines += [f"  {k}: {v}" for k, v in self.sources.items()]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"threshold": self.fitted.threshold,
                "points": {f"{n}[{lv}]": v for (n, lv), v in self.fitted.points.items()},
                "current": self.current.as_dict(), "proposed": self.proposed.as_dict(),
                "cross_validated": self.cross_validated.as_dict(), "target_recall": self.target_recall,
                "sources": self.sources, "outcomes": self.outcomes}


def propose(m: SystemMap, now: datetime, target_recall: float | None = None,
            outcomes: Sequence[tuple[Lead, bool]] = ()) -> Proposal | None:
    """Fit points and threshold to the hot labels (and won/lost outcomes when there are enough); None
    when there are too few labels to fit anything."""
    target = target_recall or m.scoring.target_recall
    ex = hot_examples(m)
    hot = [bool(e.hot) for e in ex]
    if len(ex) < MIN_LABELS or sum(hot) < 3 or len(hot) - sum(hot) < 3:
        return None
    at = examples_now(m, now)
    cols, rows = feature_rows([example_lead(e, at) for e in ex], m, at)
    won = [w for _, w in outcomes]
    use_outcomes = len(won) >= MIN_OUTCOMES and sum(won) >= MIN_EACH and len(won) - sum(won) >= MIN_EACH
    fit_rows, fit_labels = list(rows), list(hot)
    if use_outcomes:
        _, out_rows = feature_rows([lead for lead, _ in outcomes], m, now)
        fit_rows += out_rows
        fit_labels += won
        said = f"{len(won)} linked deals ({sum(won)} won, {len(won) - sum(won)} lost) fitted beside the labels"
    else:
        said = (f"{len(won)} linked won/lost deals (need {MIN_OUTCOMES}, at least {MIN_EACH} of each): "
                "not used yet")
    fitted = fit_points(fit_rows, fit_labels, cols, target)
    fitted.n, fitted.n_hot = len(hot), sum(hot)
    sources = weight_sources(m, len(hot), sum(hot))
    if use_outcomes:
        sources = {k: (v.replace("fitted on", "fitted on won/lost CRM deals and") if v.startswith("fitted") else v)
                   for k, v in sources.items()}
    proposed = figures([fitted.total(r, cols) >= fitted.threshold for r in rows], hot, fitted.threshold)
    return Proposal(fitted, baseline(rows, hot, cols, m), proposed, cross_validated(rows, hot, cols, target), target,
                    sources, said)


def outcome_lead(channel: str, subject: str, body: str, fields: dict[str, str], received_at: datetime) -> Lead:
    """A stored lead inquiry rebuilt for scoring (the same text and fields intake scored)."""
    return Lead(channel=channel if channel in CHANNELS else "email", source_name="crm outcome", position=0,  # type: ignore[arg-type]
                name=None, email=None, phone=None, company=None, subject=subject, body=body,
                received_at=received_at, attachments=[], fields=fields, warnings=[])
