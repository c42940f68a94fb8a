"""`opsys eval`: one report of how well classification, scoring and search do on the firm's own labels.

Composes the measurements of ai/evaluation.py (classifier, cross-validated), rules/scoring_fit.py
(hot precision/recall of the shipped scoring and of the fitting procedure, budget extraction) and
knowledge/search_eval.py (recall@k and MRR per query file, tuned and held-out apart), and renders
them as text. notebooks/eval.ipynb calls the same `build_report`.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from opsys.ai.evaluation import ClassifierEvaluation, LabelReport, SpamOnHam
from opsys.config.models import SystemMap
from opsys.rules import scoring_fit as sf
from opsys.rules.budget_labels import budget_checks

# real ham beside the checkout (../shared/realdata), used when present
SMS_FILE = Path("sms_spam") / "SMSSpamCollection"
PARAKWEET_FILES = (Path("email_intent_parakweet") / "Ask0729-fixed.txt",
                   Path("email_intent_parakweet") / "testSet-qualifiedBatch-fixed.txt")
HAM_SAMPLE = 400


@dataclass
class HotReport:
    shipped: dict[str, Any]            # the shipped scoring.yml on the hot labels (in-sample: it may be fitted on them)
    fitted_cv: dict[str, Any]          # the fitting procedure, cross-validated
    target_recall: float
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)


@dataclass
class SafetyNet:
    """What rules/label_check.py does with the classifier's out-of-fold labels on the examples."""

    leads_labelled_spam: int = 0
    of_those_checked: int = 0
    leads_labelled_not_lead: int = 0
    of_those_checked_as_leads: int = 0
    spam_examples: int = 0
    spam_sent_to_check: int = 0
    non_leads: int = 0
    non_leads_sent_to_check: int = 0


def safety_net(m: SystemMap, now: datetime, predictions: list) -> SafetyNet:
    """Leads the label would have lost, and how many the label check catches; its cost on true spam/non-leads."""
    from opsys.rules.label_check import check_label
    from opsys.rules.scoring import score_lead

    at = sf.examples_now(m, now)
    net = SafetyNet()
    for e, cls in zip(m.examples, predictions):
        if cls is None:
            continue
        lead = sf.example_lead(e, at)
        found = check_label(lead, cls, score_lead(lead, None, m, at), None, False)
        if e.is_lead and cls.category == "spam":
            net.leads_labelled_spam += 1
            net.of_those_checked += found is not None
        elif e.is_lead and not cls.is_lead:
            net.leads_labelled_not_lead += 1
            net.of_those_checked_as_leads += found is not None
        if e.category == "spam":
            net.spam_examples += 1
            net.spam_sent_to_check += found is not None
        elif not e.is_lead:
            net.non_leads += 1
            net.non_leads_sent_to_check += found is not None
    return net


@dataclass
class EvalReport:
    examples: int
    classifier: ClassifierEvaluation
    hot: HotReport
    budget: dict[str, Any]
    search: list[dict[str, Any]]
    sentiment: LabelReport | None = None
    spam_on_ham: list[SpamOnHam] = field(default_factory=list)
    net: SafetyNet | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"examples": self.examples, "classifier": self.classifier.as_dict(), "hot": asdict(self.hot),
                "budget": self.budget, "search": self.search,
                "sentiment": self.sentiment.as_dict() if self.sentiment else None,
                "spam_on_ham": [s.as_dict() for s in self.spam_on_ham],
                "label_check": asdict(self.net) if self.net else None, "seconds": round(self.seconds, 1),
                "notes": self.notes}


def hot_report(m: SystemMap, now: datetime) -> HotReport:
    """Hot precision/recall: shipped points on the labels, and the fit procedure cross-validated."""
    ex = sf.hot_examples(m)
    at = sf.examples_now(m, now)
    cols, rows = sf.feature_rows([sf.example_lead(e, at) for e in ex], m, at)
    hot = [bool(e.hot) for e in ex]
    shipped = sf.baseline(rows, hot, cols, m)
    cv = sf.cross_validated(rows, hot, cols, m.scoring.target_recall)
    return HotReport(shipped.as_dict(), cv.as_dict(), m.scoring.target_recall,
                     [ex[i].text[:120] for i in shipped.missed], [ex[i].text[:120] for i in shipped.false_alarms])


def _ham(realdata: Path) -> list[tuple[str, list[str]]]:
    import random

    out = []
    sms = realdata / SMS_FILE
    if sms.is_file():
        rows = [line.split("\t", 1) for line in sms.read_text(encoding="utf-8", errors="replace").splitlines()]
        ham = [t.strip() for lab, *rest in rows if rest for t in rest if lab.strip() == "ham" and t.strip()]
        out.append(("sms_spam ham", random.Random(0).sample(ham, min(HAM_SAMPLE, len(ham)))))
    texts = []
    for name in PARAKWEET_FILES:
        p = realdata / name
        if p.is_file():
            for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
                _, _, text = line.partition("\t")
                if text.strip() and "$LINK" not in text:
                    texts.append(text.strip())
    if texts:
        out.append(("parakweet email sentences", random.Random(0).sample(texts, min(HAM_SAMPLE, len(texts)))))
    return out


def build_report(m: SystemMap, now: datetime, *, queries: list[Path], sops: Path | None, llm: bool = True,
                 realdata: Path | None = None) -> EvalReport:
    """Everything `opsys eval` prints, measured now on this machine."""
    from opsys.ai.embedding_classifier import EmbeddingClassifier
    from opsys.ai.embeddings import embed, load_embedder
    from opsys.ai.evaluation import evaluate_classifier, evaluate_labels, spam_on_ham

    t0 = time.perf_counter()
    notes: list[str] = []
    settings = m.classifier
    embedder = load_embedder(settings.embedding.model)
    X = embed([e.text for e in m.examples], embedder)
    local_llm = None
    if llm and settings.llm.enabled:
        from opsys.ai.errors import ModelUnavailable
        from opsys.ai.llm import LocalLlm

        local_llm = LocalLlm(settings.llm, m.team.firm)
        try:
            local_llm.prepare()
        except ModelUnavailable as e:
            notes.append(f"LLM unavailable, embedding labels only: {e}")
            local_llm = None
    classifier = evaluate_classifier(settings, m.examples, X, llm=local_llm, firm=m.team.firm)

    sentiment = None
    examples = getattr(m, "sentiment_examples", None) or []
    if len({e.sentiment for e in examples}) >= 2:
        sentiment = evaluate_labels("reply sentiment", [e.text for e in examples], [e.sentiment for e in examples],
                                    embed([e.text for e in examples], embedder))

    checks = budget_checks(m.examples, sf.examples_now(m, now).year)
    budget = {"n": len(checks), "exact": sum(c.ok for c in checks),
              "rate": round(sum(c.ok for c in checks) / len(checks), 3) if checks else 0.0,
              "wrong": [{"text": c.text[:120], "expected": c.expected, "got": c.got} for c in checks if not c.ok]}

    spam = []
    if realdata and realdata.is_dir():
        fitted = EmbeddingClassifier(settings.embedding.model).fit_embeddings(
            X, [e.category for e in m.examples], [e.is_lead for e in m.examples])
        for source, texts in _ham(realdata):
            spam.append(spam_on_ham(source, texts, fitted, embed(texts, embedder), settings))
    else:
        notes.append("../shared/realdata is absent: spam false positives on real ham not measured")

    search = _search(m, queries, sops, embedder, notes)
    return EvalReport(len(m.examples), classifier, hot_report(m, now), budget, search, sentiment, spam,
                      safety_net(m, now, classifier.predictions), time.perf_counter() - t0, notes)


def _search(m: SystemMap, queries: list[Path], sops: Path | None, embedder: Any, notes: list[str]) -> list[dict]:
    if not sops or not sops.is_dir() or not queries:
        notes.append("no SOP folder or query file: search not measured")
        return []
    from opsys.knowledge.index import build_index
    from opsys.knowledge.search import Searcher
    from opsys.knowledge.search_eval import evaluate_queries, read_queries

    out = []
    with tempfile.TemporaryDirectory() as var:  # a fresh index: the figures never depend on var/'s state
        build_index(sops, Path(var), m.classifier.embedding.model, embedder=embedder)
        searcher = Searcher(Path(var), m.classifier.embedding.model, embedder=embedder)
        for q in queries:
            fig = evaluate_queries(searcher, read_queries(q), q.name)
            out.append({**fig.as_dict(), "kind": "held-out" if "heldout" in q.stem else "tuned"})
    return out


# -- text ------------------------------------------------------------------------------------


def _cls_table(r: LabelReport) -> list[str]:
    lines = [f"  {'class':<12}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>5}"]
    lines += [f"  {c.label:<12}{c.precision:>10.3f}{c.recall:>8.3f}{c.f1:>7.3f}{c.support:>5}" for c in r.classes]
    return lines


def _confusion(r: LabelReport) -> list[str]:
    w = max(8, max(len(x) for x in r.labels) + 1)
    lines = ["  truth \\ predicted " + "".join(f"{x:>{w}}" for x in r.labels)]
    lines += [f"  {t:<18}" + "".join(f"{v:>{w}}" for v in row) for t, row in zip(r.labels, r.confusion)]
    return lines


def render(r: EvalReport, misses: int = 15) -> str:
    """The report as text: urgent recall first, then accuracy, per class, confusion, what it gets wrong."""
    c = r.classifier.category
    urgent = c.figure("urgent")
    out = [f"{r.examples} labeled examples; {c.note}; {r.classifier.llm_calls} LLM calls; {r.seconds:.0f} s", ""]
    if urgent:
        out.append(f"URGENT recall {urgent.recall:.3f} (precision {urgent.precision:.3f}, n={urgent.support})")
    out.append(f"category accuracy {c.accuracy:.3f}")
    out += _cls_table(c) + ["", "confusion (rows: truth)"] + _confusion(c)
    lead = r.classifier.lead
    lf = lead.figure("lead")
    out += ["", f"is a lead: accuracy {lead.accuracy:.3f}" +
            (f", lead precision {lf.precision:.3f} recall {lf.recall:.3f}" if lf else "")]
    h = r.hot
    out += ["", f"hot leads ({h.shipped['n']} labeled, {h.shipped['n_hot']} hot):",
            f"  shipped scoring.yml (threshold {h.shipped['threshold']}): precision {h.shipped['precision']:.3f} "
            f"recall {h.shipped['recall']:.3f}  (in-sample: the shipped points may be fitted on these labels)",
            f"  `opsys scoring fit` cross-validated (target recall {h.target_recall}): precision "
            f"{h.fitted_cv['precision']:.3f} recall {h.fitted_cv['recall']:.3f} (mean threshold "
            f"{h.fitted_cv['threshold']})"]
    out += [f"  missed hot: {t!r}" for t in h.misses[:5]] + [f"  false alarm: {t!r}" for t in h.false_alarms[:5]]
    b = r.budget
    out += ["", f"budget extraction exact match {b['exact']}/{b['n']} ({b['rate']:.3f})"]
    out += [f"  expected {w['expected']!r}, read {w['got']!r}: {w['text']!r}" for w in b["wrong"][:8]]
    if r.sentiment:
        out += ["", f"reply sentiment: accuracy {r.sentiment.accuracy:.3f} ({r.sentiment.note})"]
        out += _cls_table(r.sentiment)
    if r.net:
        n = r.net
        out += ["", "label check (a label never silently overrules the evidence), on the out-of-fold labels:",
                f"  leads labelled spam: {n.leads_labelled_spam}, sent to 'check: possible spam' "
                f"{n.of_those_checked} (the rest parked)",
                f"  leads labelled not a lead: {n.leads_labelled_not_lead}, sent to 'check' {n.of_those_checked_as_leads}",
                f"  cost: spam examples sent to check {n.spam_sent_to_check}/{n.spam_examples}, other non-leads "
                f"{n.non_leads_sent_to_check}/{n.non_leads}"]
    for s in r.spam_on_ham:
        out.append(f"\nspam false positives on real ham ({s.source}): {s.labelled_spam}/{s.n} ({100 * s.rate:.1f}%)")
        out += [f"  {t!r}" for t in s.examples[:3]]
    if r.search:
        out += ["", f"search (hybrid as shipped)  {'R@1':>6}{'R@3':>7}{'R@5':>7}{'MRR':>7}  uncovered refused"]
        for s in r.search:
            rc = {int(k): v for k, v in s["recall"].items()}
            out.append(f"  {s['file'] + ' (' + s['kind'] + ')':<28}{rc.get(1, 0):>6.3f}{rc.get(3, 0):>7.3f}"
                       f"{rc.get(5, 0):>7.3f}{s['mrr']:>7.3f}  {s['refused_uncovered']}/{s['uncovered']}, "
                       f"answerable refused {s['refused_answerable']}")
    out += ["", f"what the classifier gets wrong ({len(c.misses)}; add examples like these):"]
    for x in c.misses[:misses]:
        out.append(f"  [{x.truth} -> {x.predicted} {x.confidence:.2f}] {' '.join(x.text.split())[:110]!r}")
    out += [f"note: {n}" for n in r.notes]
    return "\n".join(out)
