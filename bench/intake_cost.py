"""What classification costs at intake: the shipped configuration vs the embedding model alone vs LLM off,
on the same 1,000 generated mails in the same run, and what a one-file `opsys ingest` costs.

    python bench/intake_cost.py [N] [--real]

`--real` adds a second workload: 300 real customer messages (banking77's support queries, read in
place from ../shared/realdata), text a firm's model was not written for, so it reaches the LLM.

Target (issue 12): shipped >= 80 % of the embedding model's own rate. The three rows classify the
same parsed texts; model loads are excluded and reported apart. The one-file ingest is a child
process (`opsys -w WS ingest FILE`), cold (no cache in var/cache/) then warm (the fit and the LLM
calibration cached there), so import and load times count as a user sees them.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fresh_workspace, generated_mail, machine  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _texts(n: int) -> list[str]:
    from opsys.intake.normalise import normalise
    from opsys.sources import read_source

    rng = random.Random(7)
    out = []
    for i in range(n):
        data = generated_mail(i, rng)
        for msg in read_source(Path(f"mail-{i}.eml"), data):
            out.append(normalise(msg, "US", msg.received_at).text)
    return out


def _real_texts(n: int = 300) -> list[str]:
    import csv

    path = REPO.parent / "shared" / "realdata" / "banking77" / "test.csv"
    if not path.is_file():
        print(f"{path} is absent: the real workload is skipped")
        return []
    rows = [r["text"] for r in csv.DictReader(path.open(encoding="utf-8"))]
    return random.Random(3).sample(rows, min(n, len(rows)))


def main(n: int = 1000, real: bool = False) -> None:
    from opsys.ai.embedding_classifier import EmbeddingClassifier
    from opsys.ai.llm import LocalLlm
    from opsys.config.loader import load_system_map

    m = load_system_map(REPO / "system_map")
    workloads = [("generated mails", _texts(n))] + ([("real support messages", _real_texts())] if real else [])
    print(f"machine: {machine()}; " + ", ".join(f"{len(t)} {name}" for name, t in workloads))

    t = time.perf_counter()
    emb = EmbeddingClassifier(m.classifier.embedding.model).fit(
        [e.text for e in m.examples], [e.category for e in m.examples], [e.is_lead for e in m.examples])
    t_fit = time.perf_counter() - t
    llm = LocalLlm(m.classifier.llm, m.team.firm)
    t = time.perf_counter()
    llm.prepare()
    t_llm = time.perf_counter() - t
    print(f"loads (excluded): embedding model + fit {t_fit:.1f} s, LLM load + calibration {t_llm:.1f} s")

    for name, texts in workloads:
        if texts:
            _compare(name, texts, m, emb, llm)
    one_file_ingest()


def _compare(workload: str, texts: list[str], m, emb, llm) -> None:
    from opsys.ai.message_classifier import MessageClassifier

    print(f"\n{workload}:")
    rows = []
    t = time.perf_counter()
    emb.predict(emb.embed(texts))
    rows.append(("embedding model alone", time.perf_counter() - t, 0))
    off = m.classifier.model_copy(update={"llm": m.classifier.llm.model_copy(update={"enabled": False})})
    mc_off = MessageClassifier(off, m.examples, embedding=emb)
    t = time.perf_counter()
    mc_off.classify_many(texts)
    rows.append(("LLM off (embedding policy)", time.perf_counter() - t, 0))
    shipped = MessageClassifier(m.classifier, m.examples, embedding=emb, llm=llm, firm=m.team.firm)
    t = time.perf_counter()
    labels = shipped.classify_many(texts)
    rows.append(("shipped (LLM when unsure)", time.perf_counter() - t, shipped.llm_calls))
    base = len(texts) / rows[0][1]
    print(f"\n{'configuration':<30}{'seconds':>9}{'msg/s':>8}{'of embedding':>14}{'LLM calls':>11}")
    for name, secs, calls in rows:
        rate = len(texts) / secs
        print(f"{name:<30}{secs:>9.1f}{rate:>8.1f}{100 * rate / base:>13.0f}%{calls:>11}")
    by = {}
    for c in labels:
        key = c.decided_by.split(" ")[0].split(":")[0] + (" (urgent_at)" if "urgent_at" in c.decided_by else "")
        by[key] = by.get(key, 0) + 1
    print(f"shipped: decided by {by}")


def one_file_ingest() -> None:
    """Wall time of `opsys ingest` on one mail, cold cache then warm (the user's view)."""
    ws = fresh_workspace(llm=True)
    opsys = Path(sys.executable).with_name("opsys")
    times = []
    for i in range(3):
        f = ws.root / f"one-{i}.eml"
        f.write_bytes(generated_mail(5000 + i, random.Random(i)))
        t = time.perf_counter()
        run = subprocess.run([str(opsys), "-w", str(ws.root), "ingest", str(f)], capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if run.returncode:
            print(f"ingest failed: {run.stderr[-500:]}")
            return
    t = time.perf_counter()
    subprocess.run([str(opsys), "--help"], capture_output=True)
    bare = time.perf_counter() - t
    # what no ingest can avoid: importing torch and sentence-transformers and loading the two models
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", _LOADS], capture_output=True, check=True)
    loads = time.perf_counter() - t
    print(f"\none-file `opsys ingest`: cold {times[0]:.1f} s, warm {times[1]:.1f} s and {times[2]:.1f} s; "
          f"imports + model loads alone {loads:.1f} s (`opsys --help` {bare:.1f} s); "
          f"cache: {sorted(p.name for p in (ws.var / 'cache').iterdir())}")


_LOADS = """
from pathlib import Path
from opsys.ai.embeddings import load_embedder
from opsys.ai.llm import LocalLlm
from opsys.config.loader import load_system_map
m = load_system_map(Path(%r))
load_embedder(m.classifier.embedding.model).encode(["warm-up"])
LocalLlm(m.classifier.llm, m.team.firm).load()
""" % str(REPO / "system_map")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--real"]
    main(int(args[0]) if args else 1000, real="--real" in sys.argv[1:])
