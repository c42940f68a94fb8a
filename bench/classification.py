"""Classification quality, measured: embedding classifier vs LLM alone vs the shipped combination.

Stratified 5-fold cross-validation on system_map/examples (folds stratified on category and is_lead),
then an external check on the UCI SMS Spam Collection (../shared/realdata/sms_spam, spam vs other)
with the classifier trained on the repo examples only. Model load times are reported apart.
The LLM is slow on CPU: its per-call latency is measured first and LLM-only samples are capped so
the whole run stays within about ten minutes; capped samples are said so in the output.

Run: python bench/classification.py [--llm-budget SECONDS] [--sms N] [--sms-llm-budget SECONDS]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SMS = REPO.parent / "shared" / "realdata" / "sms_spam" / "SMSSpamCollection"
CATS = ["urgent", "routine", "faq", "spam"]
FOLDS = 5
SEED = 0


def scores(truth: list[str], pred: list[str], labels: list[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    out = {"acc": accuracy_score(truth, pred), "macro_f1": f1_score(truth, pred, labels=labels, average="macro",
                                                                      zero_division=0)}
    for label, f in zip(labels, f1_score(truth, pred, labels=labels, average=None, zero_division=0)):
        out[label] = f
    return out


def lead_scores(truth: list[bool], pred: list[bool]) -> tuple[float, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return accuracy_score(truth, pred), f1_score(truth, pred, zero_division=0)


def table(rows: list[tuple[str, int, dict, tuple[float, float] | None, str]], labels: list[str]) -> None:
    head = f"{'method':<34} {'n':>4} {'acc':>6} {'macroF1':>7} " + " ".join(f"{'F1 ' + c:>10}" for c in labels)
    head += f" {'lead acc':>8} {'lead F1':>7}  llm calls"
    print(head)
    print("-" * len(head))
    for name, n, s, lead, calls in rows:
        line = f"{name:<34} {n:>4} {s['acc']:>6.3f} {s['macro_f1']:>7.3f} " + " ".join(f"{s[c]:>10.3f}" for c in labels)
        line += f" {lead[0]:>8.3f} {lead[1]:>7.3f}" if lead else f" {'-':>8} {'-':>7}"
        print(f"{line}  {calls}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llm-budget", type=float, default=150, help="seconds allowed for LLM alone on the examples")
    ap.add_argument("--sms-llm-budget", type=float, default=90,
                    help="seconds allowed for each of LLM alone and the combination on SMS")
    ap.add_argument("--sms", type=int, default=400, help="SMS messages sampled (1 in 4 spam)")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import machine

    import numpy as np

    from opsys.ai.embedding_classifier import EmbeddingClassifier
    from opsys.ai.message_classifier import LLM_ACCEPT, MessageClassifier
    from opsys.ai.llm import LocalLlm
    from opsys.config.loader import load_system_map

    t_start = time.perf_counter()
    system_map = load_system_map(REPO / "system_map")
    settings, examples = system_map.classifier, system_map.examples
    threshold = settings.embedding.min_confidence
    print(f"machine: {machine()}")
    print(f"examples: {len(examples)} {dict(Counter(e.category for e in examples))}, "
          f"leads {sum(e.is_lead for e in examples)}")
    print(f"shipped policy: embedding decides at confidence >= {threshold}; else LLM between the top 2, "
          f"accepted at calibrated confidence >= {LLM_ACCEPT}; is_lead from embedding\n")

    # -- model loads, timed apart ----------------------------------------------------------------
    t = time.perf_counter()
    import sentence_transformers  # noqa: F401  (the import itself is most of the cost)
    t_import = time.perf_counter() - t
    t = time.perf_counter()
    embedder = EmbeddingClassifier(settings.embedding.model)
    embedder.embedder  # noqa: B018  load
    t_embed_load = time.perf_counter() - t
    llm = LocalLlm(settings.llm, system_map.team.firm)
    t = time.perf_counter()
    llm.load()
    t_llm_load = time.perf_counter() - t
    t = time.perf_counter()
    prior = llm.label_prior()  # calibration: content-free prompts, once per model
    t_prior = time.perf_counter() - t
    texts = [e.text for e in examples]
    y = [e.category for e in examples]
    leads = [e.is_lead for e in examples]
    t = time.perf_counter()
    X = embedder.embed(texts)
    t_embed_all = time.perf_counter() - t
    print("model load times")
    print(f"  import sentence-transformers/torch  {t_import:6.2f} s")
    print(f"  load {embedder.model_name:<30} {t_embed_load:6.2f} s")
    print(f"  embed {len(texts)} examples{'':<17} {t_embed_all:6.2f} s ({1000 * t_embed_all / len(texts):.0f} ms/text)")
    print(f"  load {llm.name:<30} {t_llm_load:6.2f} s")
    print(f"  LLM calibration (3 content-free)    {t_prior:6.2f} s  prior {prior}")

    # -- LLM latency -------------------------------------------------------------------------
    lat = []
    for text in random.Random(SEED + 1).sample(texts, 10):
        t = time.perf_counter()
        llm.classify(text, CATS)
        lat.append(time.perf_counter() - t)
    per_call = float(np.median(lat))
    print(f"  LLM per-call latency over {len(lat)} random examples (few-shot prefix cached): median "
          f"{per_call:.2f} s, mean {np.mean(lat):.2f} s, max {max(lat):.2f} s\n")

    # -- cross-validation --------------------------------------------------------------------
    from sklearn.model_selection import StratifiedKFold

    strata = [f"{c}|{lead}" for c, lead in zip(y, leads)]
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(X, strata))
    emb_pred: list = [None] * len(texts)
    combo: list = [None] * len(texts)
    calls = 0
    t = time.perf_counter()
    for train, test in folds:
        fitted = EmbeddingClassifier(settings.embedding.model).fit_embeddings(
            X[train], [y[i] for i in train], [leads[i] for i in train])
        for i, p in zip(test, fitted.predict(X[test])):
            emb_pred[i] = p
        shipped = MessageClassifier(settings, [examples[i] for i in train], embedding=fitted, llm=llm)
        for i, c in zip(test, shipped.classify_embedded([texts[i] for i in test], X[test])):
            combo[i] = c
        calls += shipped.llm_calls
    t_combo = time.perf_counter() - t

    # LLM alone over all four categories, in random order until the time budget is spent
    t = time.perf_counter()
    alone = llm_alone(llm, texts, args.llm_budget)
    t_alone = time.perf_counter() - t
    idx = sorted(alone)
    raw_label = {i: max(a.raw_probabilities, key=a.raw_probabilities.get) if a.raw_probabilities else a.category
                 for i, a in alone.items()}

    sub_y = [y[i] for i in idx]
    rows = [
        ("(a) embedding classifier", len(texts), scores(y, [p.category for p in emb_pred], CATS),
         lead_scores(leads, [p.is_lead for p in emb_pred]), "0"),
        ("(b) LLM alone, calibrated", len(idx), scores(sub_y, [alone[i].category for i in idx], CATS),
         lead_scores([leads[i] for i in idx], [alone[i].is_lead for i in idx]), f"{len(idx)}"),
        ("(b') LLM alone, uncalibrated", len(idx), scores(sub_y, [raw_label[i] for i in idx], CATS), None,
         "(same calls)"),
        ("(c) combination as shipped", len(texts), scores(y, [c.category for c in combo], CATS),
         lead_scores(leads, [c.is_lead for c in combo]), f"{calls} ({100 * calls / len(texts):.0f}%)"),
    ]
    if len(idx) < len(texts):
        rows.append(("(a) embedding, same sample as (b)", len(idx),
                     scores(sub_y, [emb_pred[i].category for i in idx], CATS),
                     lead_scores([leads[i] for i in idx], [emb_pred[i].is_lead for i in idx]), "0"))
    print(f"== repo examples, stratified {FOLDS}-fold cross-validation (seed {SEED}) ==")
    if len(idx) < len(texts):
        print(f"LLM-alone rows use a random sample of {len(idx)} of {len(texts)} examples (the "
              f"{args.llm_budget:.0f} s time budget ran out; --llm-budget to change)")
    table(rows, CATS)
    print(f"LLM-alone predicted: {dict(Counter(alone[i].category for i in idx))} calibrated, "
          f"{dict(Counter(raw_label.values()))} uncalibrated")
    print(f"time: combination {t_combo:.1f} s ({calls} LLM calls), LLM alone {t_alone:.1f} s "
          f"({t_alone / max(1, len(idx)):.2f} s/call)\n")

    guards(y, emb_pred, combo, embedder, examples, X, settings)
    policy_sweep(X, y, leads, alone, threshold, LLM_ACCEPT)
    sms(args.sms, embedder, examples, X, llm, settings, args.sms_llm_budget)
    print(f"\ntotal bench time {time.perf_counter() - t_start:.0f} s")


def guards(y: list[str], emb_pred: list, combo: list, embedder, examples, X, settings) -> None:
    """Urgent rules and spam evidence: urgent P/R cross-validated and held back, spam on real ham, before/after."""
    import yaml
    from sklearn.metrics import precision_score, recall_score

    from opsys.ai.embedding_classifier import EmbeddingClassifier
    from opsys.ai.evaluation import heldout_report, spam_on_ham
    from opsys.config.models import Example
    from opsys.views.quality_report import _ham

    def pr(truth: list[str], pred: list[str], label: str) -> str:
        t, q = [x == label for x in truth], [x == label for x in pred]
        return f"P {precision_score(t, q, zero_division=0):.3f} R {recall_score(t, q, zero_division=0):.3f}"

    print("== urgent rules and spam evidence (opsys/ai/urgent_rules.py, spam_evidence.py) ==")
    print(f"cross-validated (tuned on these): urgent {pr(y, [p.category for p in emb_pred], 'urgent')} embedding "
          f"argmax; {pr(y, [c.category for c in combo], 'urgent')} as shipped")
    held_path = REPO / "tests" / "quality" / "data" / "urgent_heldout.yml"
    held = [Example.model_validate(x) for x in yaml.safe_load(held_path.read_text(encoding="utf-8"))]
    hv = embedder.embed([e.text for e in held])
    fitted = EmbeddingClassifier(settings.embedding.model).fit_embeddings(
        X, [e.category for e in examples], [e.is_lead for e in examples])
    r = heldout_report(settings, examples, X, held, hv)
    u = r.figure("urgent")
    argmax = [p.category for p in fitted.predict(hv)]
    print(f"held back ({len(held)}, never tuned on): urgent {pr([e.category for e in held], argmax, 'urgent')} "
          f"embedding argmax; P {u.precision:.3f} R {u.recall:.3f} as shipped (LLM off); accuracy {r.accuracy:.3f}")
    realdata = REPO.parent / "shared" / "realdata"
    for source, texts in _ham(realdata) if realdata.is_dir() else []:
        v = embedder.embed(texts)
        before = sum(p.category == "spam" for p in fitted.predict(v))
        after = spam_on_ham(source, texts, fitted, v, settings)
        print(f"spam on real ham, {source}: {before}/{len(texts)} embedding argmax -> {after.labelled_spam}/"
              f"{after.n} as shipped")
    print()


def llm_alone(llm, texts: list[str], budget: float, min_n: int = 20) -> dict:
    """LLM over all four categories for a random subset: as many texts as `budget` seconds allow."""
    order = list(range(len(texts)))
    random.Random(SEED).shuffle(order)
    out = {}
    start = time.perf_counter()
    for i in order:
        if len(out) >= min_n and time.perf_counter() - start > budget:
            break
        out[i] = llm.classify(texts[i], CATS)
    return out


def policy_sweep(X, y: list[str], leads: list[bool], alone: dict, shipped_mc: float, shipped_accept: float,
                 seeds: int = 10) -> None:
    """Category accuracy of other thresholds, averaged over `seeds` cross-validation shuffles.

    No extra LLM calls: the LLM's top-2 answer is its 4-way answer renormalised over those two
    labels (same prompt, same logits at the label position), so the 4-way answers cover every policy.
    """
    from sklearn.model_selection import StratifiedKFold

    from opsys.ai.embedding_classifier import EmbeddingClassifier

    idx = sorted(alone)
    mcs = [0.0, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 1.01]
    accepts = [0.0, 0.55, 0.6, 0.7, 0.8]
    acc = {(m, a): 0.0 for m in mcs for a in accepts}
    asked = {m: 0.0 for m in mcs}
    strata = [f"{c}|{lead}" for c, lead in zip(y, leads)]
    for seed in range(seeds):
        oof: list = [None] * len(y)
        for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(X, strata):
            fitted = EmbeddingClassifier().fit_embeddings(X[train], [y[i] for i in train], [leads[i] for i in train])
            for i, p in zip(test, fitted.predict(X[test])):
                oof[i] = p
        for m in mcs:
            asked[m] += sum(oof[i].confidence < m for i in idx) / len(idx) / seeds
            for a in accepts:
                right = 0
                for i in idx:
                    label = oof[i].category
                    if oof[i].confidence < m:
                        q = {c: alone[i].probabilities.get(c, 0.0) for c in oof[i].top(2)}
                        best = max(q, key=q.get)
                        if q[best] / (sum(q.values()) or 1.0) >= a:
                            label = best
                    right += label == y[i]
                acc[m, a] += right / len(idx) / seeds
    print(f"== policy sweep: category accuracy, mean of {seeds} CV shuffles, on the {len(idx)} examples with an "
          f"LLM answer ==")
    print(f"{'min_confidence':>14} " + " ".join(f"{'accept>=' + str(a):>12}" for a in accepts) + "  LLM asked")
    for m in mcs:
        mark = f"  <- shipped (accept>={shipped_accept})" if abs(m - shipped_mc) < 1e-9 else ""
        print(f"{m:>14} " + " ".join(f"{acc[m, a]:>12.3f}" for a in accepts) + f"  {100 * asked[m]:>8.0f}%{mark}")
    print("(min_confidence 0 = embedding alone; 1.01 = LLM always asked between the top 2)\n")


def sms(n: int, embedder, examples, example_vectors, llm, settings, budget: float) -> None:
    """Spam vs other on real SMS, classifier trained on the repo examples only (none are SMS)."""
    print("== external: UCI SMS Spam Collection, spam vs other ==")
    if not SMS.is_file():
        print(f"skipped: {SMS} is absent (../shared/realdata lives beside dev and CI clones only)")
        return
    from opsys.ai.embedding_classifier import EmbeddingClassifier
    from opsys.ai.message_classifier import MessageClassifier

    rows = [line.split("\t", 1) for line in SMS.read_text(encoding="utf-8", errors="replace").splitlines()[1:]]
    rows = [(label.strip(), text.strip()) for label, text in rows if text.strip()]
    rng = random.Random(SEED)
    spam = [r for r in rows if r[0] == "spam"]
    ham = [r for r in rows if r[0] == "ham"]
    sample = rng.sample(spam, n // 4) + rng.sample(ham, n - n // 4)
    rng.shuffle(sample)
    texts = [t for _, t in sample]
    truth = ["spam" if label == "spam" else "other" for label, _ in sample]
    t = time.perf_counter()
    X = embedder.embed(texts)
    t_embed = time.perf_counter() - t
    fitted = EmbeddingClassifier(settings.embedding.model).fit_embeddings(
        example_vectors, [e.category for e in examples], [e.is_lead for e in examples])
    emb = fitted.predict(X)
    shipped = MessageClassifier(settings, examples, embedding=fitted, llm=llm)
    # the shipped path, in chunks, until the budget is spent (the sample is already in random order)
    t = time.perf_counter()
    combo = []
    while len(combo) < len(texts) and (len(combo) < 40 or time.perf_counter() - t < budget):
        chunk = slice(len(combo), len(combo) + 20)
        combo += shipped.classify_embedded(texts[chunk], X[chunk])
    t_combo = time.perf_counter() - t
    t = time.perf_counter()
    answers = llm_alone(llm, texts, budget)
    t_alone = time.perf_counter() - t
    idx = sorted(answers)
    alone = [answers[i] for i in idx]

    def binary(labels: list[str]) -> list[str]:
        return ["spam" if c == "spam" else "other" for c in labels]

    out = [("(a) embedding (repo examples)", len(texts), scores(truth, binary([p.category for p in emb]),
                                                                 ["spam", "other"]), None, "0"),
           ("(b) LLM alone, calibrated", len(idx), scores([truth[i] for i in idx],
                                                          binary([a.category for a in alone]), ["spam", "other"]),
            None, f"{len(idx)}"),
           ("(c) combination as shipped", len(combo), scores(truth[:len(combo)], binary([c.category for c in combo]),
                                                             ["spam", "other"]), None,
            f"{shipped.llm_calls} ({100 * shipped.llm_calls / len(combo):.0f}%)")]
    if len(combo) < len(texts):
        out.append(("(a) embedding, same sample as (c)", len(combo),
                    scores(truth[:len(combo)], binary([p.category for p in emb[:len(combo)]]), ["spam", "other"]),
                    None, "0"))
    print(f"sample: {n // 4} spam + {n - n // 4} ham (seed {SEED}); combination on the first {len(combo)}, "
          f"LLM alone on {len(idx)} (time budget {budget:.0f} s each); embedding {t_embed:.1f} s, "
          f"combination {t_combo:.1f} s, LLM alone {t_alone:.1f} s")
    table(out, ["spam", "other"])
    from sklearn.metrics import precision_score, recall_score

    for name, labels in [("embedding", [p.category for p in emb]), ("combination", [c.category for c in combo])]:
        sub = truth[:len(labels)]
        pred = binary(labels)
        print(f"{name} (n={len(labels)}): spam precision {precision_score(sub, pred, pos_label='spam'):.3f}, "
              f"recall {recall_score(sub, pred, pos_label='spam'):.3f}; ham labelled "
              f"{dict(Counter(c for c, tr in zip(labels, sub) if tr == 'other'))}")


if __name__ == "__main__":
    main()
