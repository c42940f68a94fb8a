"""Draft quality: on generated contexts, how often the local LLM's draft passes every guard, which
guards stop it, and how fast it writes (tokens/s).

    .venv/bin/python bench/drafts.py [--contexts 50] [--seed 7]

The templates are the sample firm's (system_map/sequences.yml); each context is a lead as the
follow-up fills a template (first name, company, service, subject, deal, review link) plus the
lead's own message, generated from the same pieces as the intake benches.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import BUDGETS, COMPANIES, NEEDS, WHEN, machine  # noqa: E402

FIRST = ["Dana", "Tom", "Priya", "Marco", "Elena", "Sam", "Gary", "Lena", "Omar", "Jo", "Aisha", "Ben"]


class TimedLlm:
    """The real LLM, with the time and the tokens of each answer counted."""

    def __init__(self, llm):
        self.llm, self.seconds, self.tokens, self.calls = llm, 0.0, 0, 0

    @property
    def name(self) -> str:
        return self.llm.name

    def draft(self, prompt: str, max_tokens: int = 200) -> str:
        t = time.perf_counter()
        out = self.llm.draft(prompt, max_tokens=max_tokens)
        self.seconds += time.perf_counter() - t
        self.tokens += len(self.llm.load().tokenize(out.encode(), add_bos=False))
        self.calls += 1
        return out


def contexts(n: int, rng: random.Random, services: list[str], review_link: str) -> list[dict[str, str]]:
    out = []
    for i in range(n):
        company = rng.choice(COMPANIES)
        num, m = rng.randint(2, 60), rng.randint(61, 90)
        need = rng.choice(NEEDS).format(n=num)
        message = " ".join(x for x in (f"Hi, we are {company} and need {need}.",
                                       rng.choice(BUDGETS).format(n=num, m=m), rng.choice(WHEN)) if x)
        service = rng.choice(services)
        out.append({"first_name": rng.choice(FIRST), "company": company, "service": service,
                    "subject": f"{service} for {company}", "deal": f"{company} {service.lower()}",
                    "review_link": review_link, "message": message})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--contexts", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: classifier.yml n_threads); "
                    "on a busy machine 1 is far faster than 2, whose threads wait on each other")
    args = ap.parse_args()

    from opsys.ai.drafting import draft_mail, drafting_llm
    from opsys.config.loader import load_system_map

    m = load_system_map(Path(__file__).resolve().parent.parent / "system_map")
    if args.threads:
        m.classifier.llm.n_threads = args.threads
    llm = drafting_llm(m.classifier, m.team.firm)
    if llm is None:
        sys.exit("classifier.yml llm.enabled is false: nothing to measure")
    t = time.perf_counter()
    llm.load()
    load_s = time.perf_counter() - t
    timed = TimedLlm(llm)
    templates = list(m.sequences.templates.items())
    rng = random.Random(args.seed)
    ctxs = contexts(args.contexts, rng, [s.label for s in m.team.firm.services.values()],
                    m.team.firm.review_link or "https://example.com/review")
    used, failures, per_template = 0, Counter(), Counter()
    examples: list[tuple[str, str]] = []
    for i, ctx in enumerate(ctxs):
        name, template = templates[i % len(templates)]
        d = draft_mail(timed, template.body, ctx, sign_off=m.sources.outbound.sign_off)
        used += d.used_llm
        per_template[name, d.used_llm] += 1
        failures.update(d.failed_guards)
        if d.used_llm and len(examples) < 2:
            examples.append((name, d.text))
        print(f"  {i + 1:3}/{len(ctxs)} {name:24} {'LLM' if d.used_llm else 'template: ' + ', '.join(d.failed_guards)}"
              f"  (so far {used}/{i + 1} passed, {timed.tokens} tokens in {timed.seconds:.0f} s)", flush=True)
    n = len(ctxs)
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"model: {llm.name} (loaded in {load_s:.2f} s), {m.classifier.llm.n_threads or 'default'} threads")
    print(f"drafts: {n} contexts over {len(templates)} templates; the LLM's text passed every guard "
          f"{used}/{n} ({used / n:.0%}); the plain template went for the rest")
    for name, _ in templates:
        print(f"  {name:24} passed {per_template[name, True]}/{per_template[name, True] + per_template[name, False]}")
    print("guards that stopped a draft (a draft can fail several): "
          + ", ".join(f"{g} {c}" for g, c in failures.most_common()))
    print(f"speed: {timed.tokens} tokens in {timed.seconds:.1f} s of generation = {timed.tokens / timed.seconds:.1f} "
          f"tokens/s (prompt evaluation included), {timed.seconds / timed.calls:.2f} s per draft")
    for name, text in examples:
        print(f"\n--- a draft that passed ({name}) ---\n{text}")


if __name__ == "__main__":
    main()
