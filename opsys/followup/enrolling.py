"""Triggers -> enrolments, once a jobs run: who starts which sequence of sequences.yml, and why.

    lead_quiet   a lead (not spam, no closed deal, consent ok) with no touch for the trigger's time,
                 the last one ours (`waiting_on: contact`); never twice in a row in the same sequence
                 unless they answered in between
    deal_quiet   an open deal in the stage with no touch since it entered the stage; once per stage entry
    job_closed   a deal entered a `delivered` stage (or `opsys job close`): the close-out replaces any
                 other sequence of the contact (they are a client now) and skips the cool-down
A contact is in one sequence at a time (the store refuses a second) and waits `cool_down` after one
ends. Each enrolment is one `sequence_enrolled` event naming the trigger and its evidence; the first
step's timer is set in the same transaction. Touches come from `opsys.store.touches` only.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from opsys.config.models import SystemMap
from opsys.config.sequence_models import Sequence
from opsys.followup.schedule import next_action
from opsys.records.events import EventKind, rule
from opsys.rules.business_time import BusinessTime
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.timers import (
    active_contact_ids,
    active_enrolment_of,
    add_timer,
    cooling_down,
    deals_in_stages,
    enrol,
    end_enrolment,
    lead_contacts,
    open_deal_of,
    pending_closures,
    record_job_closure,
    returning_leads,
    settle_closure,
    subjects_enrolled,
)
from opsys.store.touches import last_touch_at_many, touches_since

RE_ENGAGED = ("reply", "meeting", "deal_advanced")  # a contact who answered may enter the same sequence again


@dataclass(frozen=True)
class Enrolled:
    enrolled: tuple[str, ...]  # "quiet-lead: contact 12"
    jobs_closed: int

    def summary(self) -> str:
        return f"{len(self.enrolled)} enrolled in sequences, {self.jobs_closed} jobs closed"


def enrol_sequences(db: sqlite3.Connection, m: SystemMap, now: datetime) -> Enrolled:
    """Record closed jobs from delivered stages, then enrol whoever a trigger names, in sequences.yml order."""
    bt = BusinessTime.for_firm(m.team.firm)
    out: list[str] = []
    with write_transaction(db):
        closed = record_delivered_deals(db, m, now)
        excluded = active_contact_ids(db) | cooling_down(db, now)  # grows as this run enrols
        for name, seq in m.sequences.sequences.items():
            kind = seq.trigger.kind
            if kind == "job_closed":
                out += start_closeouts(db, m, now, bt, name, seq)
            elif kind == "lead_quiet":
                out += _quiet_leads(db, m, now, bt, name, seq, excluded)
            else:
                out += _quiet_deals(db, m, now, bt, name, seq, excluded)
    return Enrolled(tuple(out), closed)


def start(db: sqlite3.Connection, m: SystemMap, now: datetime, bt: BusinessTime, name: str, seq: Sequence, *,
          contact_id: int, started_at: datetime, why: str, subject: str | None, inputs: dict,
          deal: tuple[str, str, str | None] | None = None, context: dict | None = None) -> int | None:
    """Enrol one contact, set the first step's timer and write the event; None when they are busy."""
    eid = enrol(db, contact_id=contact_id, sequence=name, trigger=why, subject=subject, started_at=started_at,
                deal=deal, context=context)
    if eid is None:
        return None
    first = next_action(bt, seq, -1, started_at)
    if first is not None:
        add_timer(db, key=f"enrolment:{eid}:step:{first[0]}", enrolment_id=eid, step=first[0], due_at=first[1],
                  rule=rule(f"sequences.yml#{name}.steps[{first[0]}]"), now=now)
    record_event(db, EventKind.SEQUENCE_ENROLLED, decided_by=rule(f"sequences.yml#{name}.trigger"),
                 subject_type="contact", subject_id=contact_id,
                 inputs={**inputs, "trigger": seq.trigger.kind, "started_at": started_at.isoformat()},
                 decision={"enrolment": eid, "sequence": name, "approval": seq.approval,
                           "first_step": first[0] if first else None,
                           "first_due": first[1].isoformat() if first else None},
                 message=f"contact {contact_id} enters {name}: {why}")
    return eid


def _quiet_leads(db: sqlite3.Connection, m: SystemMap, now: datetime, bt: BusinessTime, name: str, seq: Sequence,
                 excluded: set[int]) -> list[str]:
    quiet = seq.trigger.lead_quiet
    assert quiet is not None
    may = returning_leads(db, name, RE_ENGAGED)
    candidates = [c for c in lead_contacts(db) if c not in excluded and c in may]
    out = []
    # oldest silence first: business time only moves forward, so the first lead not yet quiet long
    # enough ends the scan (10,000 waiting leads cost one computation, not 10,000)
    for cid, last in sorted(last_touch_at_many(db, candidates).items(), key=lambda x: x[1]):
        ended = may[cid]
        if ended is not None and last <= ended:
            continue  # no touch since they last left this sequence: this is the same silence
        since = bt.add(last, quiet)
        if since > now:
            break
        if seq.trigger.waiting_on == "contact":
            latest = [t for t in touches_since(db, cid, last) if not t.auto]
            if not latest or latest[-1].direction != "out":
                continue  # they wrote last: that is the firm's turn (tasks escalate), not a nudge
        deal = open_deal_of(db, cid)
        eid = start(db, m, now, bt, name, seq, contact_id=cid, started_at=since, subject=None,
                    why=f"no touch since {last:%Y-%m-%d %H:%M} UTC ({quiet})",
                    inputs={"last_touch_at": last.isoformat(), "quiet_for": str(quiet)},
                    deal=(deal[0], deal[1], deal[2]) if deal else None,
                    context={"deal": deal[3]} if deal else None)
        if eid is not None:
            out.append(f"{name}: contact {cid}")
            excluded.add(cid)
    return out


def _quiet_deals(db: sqlite3.Connection, m: SystemMap, now: datetime, bt: BusinessTime, name: str, seq: Sequence,
                 excluded: set[int]) -> list[str]:
    dq = seq.trigger.deal_quiet
    assert dq is not None
    seen = subjects_enrolled(db, name)
    deals = [d for d in deals_in_stages(db, [dq.stage], open_only=True) if d.contact_id not in excluded]
    last = last_touch_at_many(db, [d.contact_id for d in deals])
    out = []
    for d in deals:
        subject = f"deal:{d.crm}:{d.external_id}:{d.stage_since.isoformat() if d.stage_since else ''}"
        if subject in seen:
            continue
        marks = [t for t in (d.stage_since, last.get(d.contact_id)) if t is not None]
        if not marks:
            continue
        quiet_from = max(marks)
        since = bt.add(quiet_from, dq.after)
        if since > now:
            continue
        eid = start(db, m, now, bt, name, seq, contact_id=d.contact_id, started_at=since, subject=subject,
                    why=f"deal {d.name!r} in {dq.stage} with no touch since {quiet_from:%Y-%m-%d %H:%M} UTC "
                        f"({dq.after})",
                    inputs={"deal": f"{d.crm}:{d.external_id}", "stage": dq.stage,
                            "stage_since": d.stage_since.isoformat() if d.stage_since else None,
                            "last_touch_at": last[d.contact_id].isoformat() if d.contact_id in last else None},
                    deal=(d.crm, d.external_id, d.stage_key), context={"deal": d.name, "owner": d.owner})
        if eid is not None:
            out.append(f"{name}: contact {d.contact_id}")
            excluded.add(d.contact_id)
    return out


# --- closed jobs ------------------------------------------------------------------------------


def record_delivered_deals(db: sqlite3.Connection, m: SystemMap, now: datetime) -> int:
    """A deal in a `delivered: true` stage of pipeline.yml closes its job, once per deal."""
    delivered = [s.key for s in m.pipeline.stages if s.delivered]
    n = 0
    for d in deals_in_stages(db, delivered, open_only=False):
        at = d.stage_since or now
        cid = record_job_closure(db, contact_id=d.contact_id, source=f"deal:{d.crm}:{d.external_id}", closed_at=at,
                                 deal_name=d.name, now=now)
        if cid is None:
            continue
        n += 1
        record_event(db, EventKind.JOB_CLOSED, decided_by=rule(f"pipeline.yml#{d.stage_key}.delivered"),
                     subject_type="contact", subject_id=d.contact_id,
                     inputs={"deal": f"{d.crm}:{d.external_id}", "stage": d.stage_key, "stage_since":
                             d.stage_since.isoformat() if d.stage_since else None},
                     decision={"closure": cid, "closed_at": at.isoformat()},
                     message=f"job closed: deal {d.name!r} entered {d.stage_key}")
    return n


def close_job(db: sqlite3.Connection, m: SystemMap, now: datetime, *, contact_id: int, at: datetime, by: str,
              deal_name: str | None = None) -> int | None:
    """`opsys job close`: the closure's id (None when this contact's job was already closed at `at`)."""
    cid = record_job_closure(db, contact_id=contact_id, source=f"command:{contact_id}:{at.isoformat()}",
                             closed_at=at, deal_name=deal_name, now=now)
    if cid is not None:
        record_event(db, EventKind.JOB_CLOSED, decided_by=by, subject_type="contact", subject_id=contact_id,
                     inputs={"closed_at": at.isoformat()}, decision={"closure": cid},
                     message=f"job closed by command for contact {contact_id}")
    return cid


def start_closeouts(db: sqlite3.Connection, m: SystemMap, now: datetime, bt: BusinessTime, name: str,
                    seq: Sequence) -> list[str]:
    """Each recorded closure starts the close-out, unless its last step would already be past."""
    out = []
    for c in pending_closures(db):
        end = c.closed_at
        for s in seq.steps:
            if s.wait is not None:
                end = bt.add(end, s.wait)
        if end < now:
            settle_closure(db, c.id, enrolment_id=None, note=f"closed {c.closed_at:%Y-%m-%d}: its close-out would "
                                                            f"have ended before {now:%Y-%m-%d}, so none is sent")
            continue
        other = active_enrolment_of(db, c.contact_id)
        if other is not None:
            end_enrolment(db, other.id, state="exited", reason=f"superseded: job closed ({name})", at=now)
            record_event(db, EventKind.SEQUENCE_EXITED, decided_by=rule(f"sequences.yml#{name}.trigger"),
                         subject_type="contact", subject_id=c.contact_id,
                         inputs={"enrolment": other.id, "sequence": other.sequence},
                         decision={"state": "exited", "reason": "superseded"},
                         message=f"{other.sequence} stopped for contact {c.contact_id}: the job closed, {name} starts")
        eid = start(db, m, now, bt, name, seq, contact_id=c.contact_id, started_at=c.closed_at,
                    subject=f"job:{c.id}", why=f"job closed {c.closed_at:%Y-%m-%d %H:%M} UTC ({c.source})",
                    inputs={"closure": c.id, "source": c.source}, context={"deal": c.deal_name})
        settle_closure(db, c.id, enrolment_id=eid, note=None if eid else "contact already in a sequence")
        if eid is not None:
            out.append(f"{name}: contact {c.contact_id}")
    return out
