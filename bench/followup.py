"""Follow-up over a simulated 90 days, and one jobs run with 10,000 active enrolments.

Part 1 walks a clock hourly through 90 days (the jobs' follow-up steps and the mail sender, each run
with `now`, as `opsys tick --now` runs them) over 500 leads arriving at random business hours, each
answered by the firm within hours, and 100 jobs closed at random times. What the outside world does
is injected when the clock passes it, through the store functions intake uses (touches, thread
messages, consent): 35% of the leads reply at a random time, 10% send an out-of-office (an auto
touch), 3% unsubscribe; 80% of the clients answer the satisfaction check, with a held-out reply
(written for this bench, not in examples/sentiment.yml) whose sentiment is known. The bench's
workspace sets `approval: auto` so the quiet-lead mails are sent too (under `required` they would
wait in `opsys drafts`). Counted: steps due vs fired, steps fired after an exit condition held,
mails sent outside the sending window, review requests to clients who were not positive.

Part 2 enrols 10,000 quiet leads and times the follow-up steps of one jobs run (nothing due, and
with 200 steps due), and one whole `jobs.run`.

Run: python bench/followup.py [--leads 500] [--jobs 100] [--days 90] [--scale 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
START = datetime(2026, 9, 7, 14, 0, tzinfo=UTC)  # Monday 7 Sep 2026, 09:00 in Chicago
FOLLOWUP = ("enrol_sequences", "fire_timers", "send_mail")
POSITIVE = ["The new site is brilliant, everyone here loves it. Thanks for all the work!",
            "Really pleased, the launch went smoothly and customers noticed straight away.",
            "Very happy with it - you were quick, clear and friendly throughout.",
            "Great result, thank you. We've already had new enquiries through the form.",
            "Absolutely delighted with the branding, it's exactly us.",
            "Thanks for asking! We're thrilled, would recommend you to anyone."]
NEUTRAL = ["Thanks, we'll see how it goes over the next few weeks.", "Fine so far. Can you resend the invoice?",
           "I'm away until Monday, will answer properly then.", "It's ok. Nothing to add at the moment.",
           "We're still settling in with the new system, ask me later."]
NEGATIVE = ["Not happy I'm afraid, the site is still slow on phones and two pages are broken.",
            "Disappointed with the delays, we missed our launch date because of it.",
            "The invoice is far above the quote and nobody told us. We need to talk.",
            "Our emails stopped working after the move and it took days to fix. Poor.",
            "Honestly the design isn't what we agreed and we're unhappy with it."]


def add_lead(db, i: int, at: datetime, *, lead: bool = True) -> int:
    """One contact and inquiry stored through the store's own functions (as intake stores them)."""
    from opsys.records import Classification, Lead, RouteDecision, Score
    from opsys.store.contacts import upsert_contact
    from opsys.store.inquiries import insert_inquiry
    from opsys.store.touches import record_touch

    email = f"{'lead' if lead else 'client'}{i}@bench{i % 97}.example"
    row = Lead(channel="email", source_name=f"b{i}.eml", position=0, name=f"Sam Example{i}", email=email, phone=None,
               company=f"Company {i}", subject=f"Website project {i}", body="We need a new website.", received_at=at,
               attachments=[], fields={}, warnings=[])
    c = upsert_contact(db, name=row.name, email=email, phone=None, company=row.company, client_account=None,
                       tier=None)
    iid = insert_inquiry(db, contact_id=c.contact_id, sha256=hashlib.sha256(email.encode()).hexdigest(), lead=row,
                         cls=Classification("routine", 0.9, lead, 0.9, "bench"),
                         score=Score(40, False, (), None, "web_design"), route=RouteDecision("r", "queue", "jordan", "r"))
    record_touch(db, contact_id=c.contact_id, direction="in", channel="email", at=at, source=f"inquiry:{iid}",
                 inquiry_id=iid)
    return c.contact_id


def business_moment(bt, rng: random.Random, day0: datetime, days: int) -> datetime:
    at = day0 + timedelta(days=rng.uniform(0, days))
    return bt.next_open(at).astimezone(UTC) + timedelta(minutes=rng.uniform(0, 300))


def simulate(args) -> None:
    from bench._common import fresh_workspace
    from opsys.app import open_app
    from opsys.rules.business_time import BusinessTime
    from opsys.store.contacts import mark_unsubscribed
    from opsys.store.db import write_transaction
    from opsys.store.outbox import list_mail
    from opsys.store.threads import add_message, start_thread
    from opsys.store.touches import record_touch

    ws = fresh_workspace(llm=False)
    seq = ws.system_map / "sequences.yml"
    seq.write_text(seq.read_text().replace("approval: required", "approval: auto"))
    rng = random.Random(7)
    now = START
    app = open_app(ws, clock=lambda: now)
    db, m = app.db, app.map
    bt = BusinessTime.for_firm(m.team.firm)
    queue: list[tuple[datetime, int, str, tuple]] = []  # (at, n, what, args): the outside world, in time order
    n = 0

    def later(at: datetime, what: str, *a) -> None:
        nonlocal n
        n += 1
        heapq.heappush(queue, (at, n, what, a))

    evidence: dict[int, datetime] = {}  # contact -> first moment an exit condition held (reply, unsubscribe)
    truth: dict[int, str] = {}  # client -> the sentiment of the reply they sent
    with write_transaction(db):
        for i in range(args.leads):
            at = business_moment(bt, rng, START, args.days - 20)
            later(at, "lead", i)
        for i in range(args.jobs):
            later(business_moment(bt, rng, START, args.days - 10), "close", i)
    contacts: dict[tuple[str, int], int] = {}
    seen_checks: set[int] = set()
    t0 = time.perf_counter()
    runs = 0
    end = START + timedelta(days=args.days)
    while now <= end:
        with write_transaction(db):
            while queue and queue[0][0] <= now:
                at, _, what, a = heapq.heappop(queue)
                if what == "lead":
                    cid = contacts[("lead", a[0])] = add_lead(db, a[0], at)
                    reply_at = at + timedelta(minutes=rng.uniform(20, 240))
                    later(reply_at, "answer", cid)
                    r = rng.random()
                    if r < 0.35:
                        later(reply_at + timedelta(days=rng.uniform(0.2, 20)), "reply", cid)
                    elif r < 0.45:
                        later(reply_at + timedelta(days=rng.uniform(0.2, 12)), "auto", cid)
                    elif r < 0.48:
                        later(reply_at + timedelta(days=rng.uniform(0.2, 12)), "unsubscribe", cid)
                elif what == "answer":
                    record_touch(db, contact_id=a[0], direction="out", channel="email", at=at, source=f"answer:{a[0]}")
                elif what in ("reply", "auto"):
                    record_touch(db, contact_id=a[0], direction="in", channel="email", at=at,
                                 source=f"{what}:{a[0]}:{at.isoformat()}", auto=what == "auto")
                    if what == "reply":
                        evidence.setdefault(a[0], at)
                elif what == "unsubscribe":
                    mark_unsubscribed(db, a[0], at, f"bench:{a[0]}")
                    evidence.setdefault(a[0], at)
                elif what == "close":
                    contacts[("client", a[0])] = add_lead(db, 10_000 + a[0], at - timedelta(days=60), lead=False)
                elif what == "client_reply":
                    cid, text = a
                    tid = start_thread(db, contact_id=cid, inquiry_id=None, subject="Re: How did we do?",
                                       subject_key="how did we do?", at=at)
                    source = f"mail:<bench-reply-{cid}@x>"
                    add_message(db, thread_id=tid, source=source, direction="in", kind="reply", at=at,
                                subject="Re: How did we do?", new_text=text)
                    record_touch(db, contact_id=cid, direction="in", channel="email", at=at, source=source,
                                 thread_id=tid)
        for key, cid in list(contacts.items()):
            if key[0] == "client" and ("closed", cid) not in contacts:
                from opsys.followup.commands import close_job_now

                contacts[("closed", cid)] = 1
                close_job_now(db, m, now, f"client{10_000 + key[1]}@bench{(10_000 + key[1]) % 97}.example", now,
                              by="person:bench")
        app.jobs.run(now, FOLLOWUP)
        runs += 1
        for mail in list_mail(db):
            if mail.subject == "How did we do?" and mail.id not in seen_checks:
                seen_checks.add(mail.id)
                if rng.random() < 0.8:
                    label = rng.choices(["positive", "neutral", "negative"], [0.55, 0.25, 0.2])[0]
                    text = rng.choice({"positive": POSITIVE, "neutral": NEUTRAL, "negative": NEGATIVE}[label])
                    truth[mail.contact_id] = label
                    later(now + timedelta(hours=rng.uniform(1, 60)), "client_reply", mail.contact_id, text)
        now += timedelta(hours=1)
    wall = time.perf_counter() - t0
    report(db, m, bt, evidence, truth, runs, wall, args)


def report(db, m, bt, evidence, truth, runs, wall, args) -> None:
    from opsys.store.events import list_events
    from opsys.store.outbox import list_mail
    from opsys.store.timers import timer_counts

    end = START + timedelta(days=args.days)
    rows = db.execute("SELECT t.enrolment_id, t.step, t.due_at, t.fired_at, t.cancelled_at, t.late_by_seconds,"
                      " e.contact_id, e.sequence, e.started_at FROM followup_timers t JOIN followup_enrolments e"
                      " ON e.id = t.enrolment_id").fetchall()
    due = [r for r in rows if r[2] <= end.isoformat() and r[4] is None]
    fired = [r for r in rows if r[3] is not None]
    missed = [r for r in due if r[3] is None]
    after_exit = [r for r in fired if r[6] in evidence and r[8] <= evidence[r[6]].isoformat() < r[3]
                  and r[7] != "close-out"]
    sent = [x for x in list_mail(db) if x.sent_at is not None]
    outside = [x for x in sent if not bt.is_open(x.sent_at)]
    reviews = [x for x in list_mail(db) if x.subject == "A small favour"]
    bad_reviews = [x for x in reviews if truth.get(x.contact_id) != "positive"]
    reads = list_events(db, kind="reply_classified")
    right = sum(e.decision["sentiment"] == truth.get(int(e.subject_id)) for e in reads)
    unsure = sum(not e.decision["sure"] for e in reads)
    counts = timer_counts(db)
    kinds = {}
    for e in list_events(db, kind="sequence_exited") + list_events(db, kind="sequence_done"):
        k = e.decision["reason"].split(":")[0]
        kinds[k] = kinds.get(k, 0) + 1
    print(f"simulated {args.days} days hourly ({runs} runs of {', '.join(FOLLOWUP)}) in {wall:.1f} s "
          f"({1000 * wall / runs:.1f} ms a run): {args.leads} leads, {args.jobs} closed jobs")
    print(f"enrolments: {[tuple(r) for r in db.execute('SELECT sequence, COUNT(*) FROM followup_enrolments GROUP BY sequence')]}")
    print(f"endings: {kinds}")
    print(f"steps due {len(due)}, fired {len(fired)}, due but not fired {len(missed)}; timers {counts}")
    print(f"steps fired after an exit condition held: {len(after_exit)}")
    print(f"mails sent {len(sent)}, outside the sending window: {len(outside)}")
    print(f"replies read {len(reads)}: {right} as the client meant ({right / max(len(reads), 1):.0%}), "
          f"{unsure} unsure -> a person reads them")
    print(f"review requests {len(reviews)}, to clients who were not positive: {len(bad_reviews)}")
    late = [r[5] for r in fired if r[5] and r[5] > 900]
    print(f"steps fired late (> 15 min, hourly ticks): {len(late)}")


def scale(args) -> None:
    from bench._common import fresh_workspace
    from opsys.app import open_app
    from opsys.store.db import write_transaction
    from opsys.store.touches import record_touch

    ws = fresh_workspace(llm=False)
    seq = ws.system_map / "sequences.yml"
    seq.write_text(seq.read_text().replace("approval: required", "approval: auto"))
    app = open_app(ws, clock=lambda: START)
    db = app.db
    t0 = time.perf_counter()
    with write_transaction(db):
        for i in range(args.scale):
            at = START + timedelta(minutes=i % 600)
            cid = add_lead(db, i, at)
            record_touch(db, contact_id=cid, direction="out", channel="email", at=at + timedelta(hours=1),
                         source=f"answer:{cid}")
    print(f"\n{args.scale} leads stored in {time.perf_counter() - t0:.1f} s")
    day3 = START + timedelta(days=4, hours=2)  # Friday 11 Sep 11:00 Chicago: every lead quiet for 3 business days
    t = time.perf_counter()
    r = app.jobs.run(day3, ("enrol_sequences",))
    print(f"enrol_sequences enrolling {len(r.get('enrol_sequences').enrolled)}: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    r = app.jobs.run(day3, ("fire_timers",))
    print(f"fire_timers firing {len(r.get('fire_timers').fired)} day-3 mails (plain templates): "
          f"{time.perf_counter() - t:.2f} s")
    quiet = day3 + timedelta(hours=1)
    times = []
    for k in range(5):
        t = time.perf_counter()
        r = app.jobs.run(quiet + timedelta(minutes=5 * k), ("enrol_sequences", "fire_timers"))
        times.append(time.perf_counter() - t)
    n = db.execute("SELECT COUNT(*) FROM followup_enrolments WHERE state = 'active'").fetchone()[0]
    print(f"one jobs run's follow-up steps with {n} active enrolments, nothing due: "
          f"median {1000 * sorted(times)[2]:.0f} ms (target <= 200 ms)")
    with write_transaction(db):
        for i in range(200):
            record_touch(db, contact_id=i + 1, direction="in", channel="email", at=quiet, source=f"late-reply:{i}")
    t = time.perf_counter()
    r = app.jobs.run(quiet + timedelta(minutes=30), ("enrol_sequences", "fire_timers"))
    print(f"... with 200 replies to exit on: {1000 * (time.perf_counter() - t):.0f} ms "
          f"({len(r.get('fire_timers').exited)} exits)")
    t = time.perf_counter()
    r = app.jobs.run(quiet + timedelta(hours=1))
    print(f"the whole jobs.run (every step, pages included): {1000 * (time.perf_counter() - t):.0f} ms; "
          f"failed: {r.failed or 'none'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leads", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=100)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--scale", type=int, default=10_000)
    args = ap.parse_args()
    from bench._common import machine

    print(machine())
    simulate(args)
    if args.scale:
        scale(args)


if __name__ == "__main__":
    main()
