"""Reply sentiment, measured: the close-out's reader on system_map/examples/sentiment.yml.

Stratified 5-fold cross-validation (each fold's classifier fitted on the other four): accuracy and
per-class F1 of the embedding classifier alone, and of the shipped policy (the local LLM asked
only below `confidence` of sequences.yml, accepted at >= LLM_ACCEPT); how many replies went to the
LLM, and how many the close-out would hand to a person (confidence still below the threshold).
No public set of satisfaction replies is in the package lists, so none is measured here.

Run: python bench/sentiment.py [--no-llm]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
LABELS = ["positive", "neutral", "negative"]


def scores(truth: list[str], pred: list[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    out = {"acc": accuracy_score(truth, pred),
           "macro_f1": f1_score(truth, pred, labels=LABELS, average="macro", zero_division=0)}
    for label, f in zip(LABELS, f1_score(truth, pred, labels=LABELS, average=None, zero_division=0)):
        out[label] = f
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-llm", action="store_true", help="measure the embedding classifier only")
    ap.add_argument("--seeds", type=int, default=3, help="cross-validation repeats (different fold splits)")
    args = ap.parse_args()
    from sklearn.model_selection import StratifiedKFold

    from bench._common import machine
    from opsys.ai.embedding_classifier import EmbeddingClassifier
    from opsys.ai.llm import LocalLlm
    from opsys.config.loader import load_system_map
    from opsys.followup.sentiment import LlmJudge, ReplyReader

    m = load_system_map(REPO / "system_map")
    ex = m.sentiment_examples
    texts, labels = [e.text for e in ex], [e.sentiment for e in ex]
    t0 = time.perf_counter()
    base = EmbeddingClassifier(m.classifier.embedding.model)
    vectors = base.embed(texts)
    print(f"{machine()}; {len(ex)} examples ({', '.join(f'{c} {labels.count(c)}' for c in LABELS)}); "
          f"embedded in {time.perf_counter() - t0:.1f} s")
    llm = None if args.no_llm or not m.classifier.llm.enabled else LocalLlm(m.classifier.llm, m.team.firm)
    ask = m.sequences.confidence
    judge = LlmJudge(llm) if llm else None  # one model and one measured prior for every fold
    rows: dict[str, list] = {"embedding alone": [], "embedding + LLM when unsure": []}
    truth_all: list[str] = []
    sure_pos = {k: 0 for k in rows}  # read as positive at >= ask (a review request would go) but not positive
    calls = unsure_emb = unsure_final = 0
    llm_time = 0.0
    for seed in range(args.seeds):
        for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(texts, labels):
            emb = EmbeddingClassifier(m.classifier.embedding.model).fit_embeddings(
                vectors[train], [labels[i] for i in train], [False] * len(train))
            reader = ReplyReader([ex[i] for i in train], m.classifier, ask_below=ask, embedding=emb, judge=judge)
            plain = ReplyReader([ex[i] for i in train], m.classifier, ask_below=ask, llm=None, embedding=emb)
            tt = [texts[i] for i in test]
            e_read = plain.read_embedded(tt, vectors[test])
            t1 = time.perf_counter()
            c_read = reader.read_embedded(tt, vectors[test]) if llm else e_read
            llm_time += time.perf_counter() - t1
            calls += reader.llm_calls
            truth_all += [labels[i] for i in test]
            sure_pos["embedding alone"] += sum(r.sentiment == "positive" and r.confidence >= ask and labels[i] != "positive"
                                               for r, i in zip(e_read, test))
            sure_pos["embedding + LLM when unsure"] += sum(
                r.sentiment == "positive" and r.confidence >= ask and labels[i] != "positive" for r, i in zip(c_read, test))
            rows["embedding alone"] += [r.sentiment for r in e_read]
            rows["embedding + LLM when unsure"] += [r.sentiment for r in c_read]
            unsure_emb += sum(r.confidence < ask for r in e_read)
            unsure_final += sum(r.confidence < ask for r in c_read)
    n = len(truth_all)
    head = f"{'method':<30} {'acc':>6} {'macroF1':>7} " + " ".join(f"{'F1 ' + c:>12}" for c in LABELS)
    print(f"stratified 5-fold x {args.seeds} seeds, {n} predictions; LLM asked below {ask}")
    print(head)
    print("-" * len(head))
    for name, pred in rows.items():
        if name != "embedding alone" and llm is None:
            continue
        s = scores(truth_all, pred)
        print(f"{name:<30} {s['acc']:>6.3f} {s['macro_f1']:>7.3f} " + " ".join(f"{s[c]:>12.3f}" for c in LABELS)
              + f"   sure-positive but not: {sure_pos[name]}")
    print(f"below {ask} (a person reads it): embedding {unsure_emb}/{n} ({unsure_emb / n:.0%})"
          + (f", after the LLM {unsure_final}/{n} ({unsure_final / n:.0%}); LLM calls {calls}, "
             f"{llm_time / max(calls, 1):.2f} s each" if llm else ""))


if __name__ == "__main__":
    main()
