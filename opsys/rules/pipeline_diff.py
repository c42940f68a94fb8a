"""Diff one CRM snapshot against the state left by the previous ones: which changes happened.

Pure: takes the stored state, the new export's records, the snapshot's as-of time and
`system_map/pipeline.yml`; returns the new state of what changed and one Change (with its reason)
per event to record. The caller stores both in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from opsys.config.pipeline_models import PipelineSettings, Stage
from opsys.records.crm import CrmContact, CrmDeal, DealState
from opsys.records.events import EventKind, rule

RULE = rule("pipeline_diff")


@dataclass(slots=True)
class Change:
    """One event to record: kind, which record, a sentence, and what the rule saw and decided."""

    kind: EventKind
    subject_type: str  # deal | crm_contact
    subject_id: str
    message: str
    inputs: dict[str, Any] = field(default_factory=dict)
    decision: dict[str, Any] = field(default_factory=dict)
    decided_by: str = RULE


@dataclass
class Diff:
    deals: dict[str, DealState] = field(default_factory=dict)  # new or changed deals only
    contacts: dict[tuple[str, str], CrmContact] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # ids present before, absent from this export
    changes: list[Change] = field(default_factory=list)


def to_datetime(iso: str | None) -> datetime | None:
    """Stored dates are ISO dates or UTC datetimes; a bare date counts as its midnight UTC."""
    if not iso:
        return None
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def days_between(earlier: str | None, later: datetime) -> float | None:
    when = to_datetime(earlier)
    return None if when is None else (later - when).total_seconds() / 86400


def resolve_status(deal: CrmDeal, stage: Stage | None) -> str:
    """The export's own status (Pipedrive Status, Salesforce IsWon/IsClosed) wins; else the stage's outcome."""
    if deal.status in ("open", "won", "lost"):
        return deal.status
    return stage.outcome if stage else "open"


def quiet_limit(stage: Stage | None, pipeline: PipelineSettings) -> int:
    return (stage.quiet_after_days if stage and stage.quiet_after_days else pipeline.quiet_after_days)


def diff_deals(prev: dict[str, DealState], deals: list[CrmDeal], as_of: str, pipeline: PipelineSettings,
               snapshot: dict[str, Any]) -> Diff:
    """Created, stage/value/owner changed, won, lost, reopened, activity recorded, gone quiet, missing."""
    out = Diff()
    now = to_datetime(as_of)  # the export's own time: rules read no clock
    if now is None:
        raise ValueError(f"as_of {as_of!r} is not an ISO time")
    base = {"snapshot": snapshot}
    seen: set[str] = set()
    stage_cache: dict[str, Stage | None] = {}
    for d in deals:
        seen.add(d.external_id)
        if d.stage not in stage_cache:
            stage_cache[d.stage] = pipeline.stage_for(d.stage)
        stage = stage_cache[d.stage]
        status = resolve_status(d, stage)
        old = prev.get(d.external_id)
        state = _state_from(d, stage, status, old, as_of)
        sid = d.external_id
        if old is None:
            out.changes.append(Change(
                EventKind.DEAL_CREATED, "deal", sid, f"new deal {d.name!r} in {d.stage} ({_money(d.value, d.currency)})",
                {**base, "stage": d.stage, "value": d.value, "owner": d.owner},
                {"stage_key": state.stage_key, "status": status}))
        else:
            out.changes += _deal_changes(old, state, base)
        state = _quiet(state, stage, pipeline, now, as_of, base, out)
        if state != old:
            out.deals[sid] = state
    for sid, old in prev.items():
        if old.present and sid not in seen:
            out.missing.append(sid)
            out.deals[sid] = replace(old, present=False)
            out.changes.append(Change(EventKind.DEAL_MISSING, "deal", sid,
                                      f"deal {old.name!r} is not in this export (deleted or filtered out in the CRM)",
                                      base, {"present": False}))
    return out


def _state_from(d: CrmDeal, stage: Stage | None, status: str, old: DealState | None, as_of: str) -> DealState:
    stage_key = stage.key if stage else None
    if old is None:
        stage_since = d.stage_changed_at or d.created_at or as_of
        closed_at = (d.closed_at or d.close_date or d.modified_at or as_of) if status != "open" else None
        quiet_since = None
    else:
        moved = _stage_id(old.stage_key, old.stage) != _stage_id(stage_key, d.stage)
        stage_since = (d.stage_changed_at or as_of) if moved else (d.stage_changed_at or old.stage_since)
        if status == "open":
            closed_at = None
        elif old.status == status and old.closed_at:
            closed_at = old.closed_at
        else:
            closed_at = d.closed_at or (d.close_date if d.close_date and d.close_date <= as_of else None) or as_of
        quiet_since = old.quiet_since
    return DealState(
        external_id=d.external_id, name=d.name, stage=d.stage, stage_key=stage_key, status=status, value=d.value,
        currency=d.currency, owner=d.owner, company=d.company, contact_name=d.contact_name,
        contact_email=d.contact_email, contact_phone=d.contact_phone, created_at=d.created_at,
        close_date=d.close_date, closed_at=closed_at, last_activity_at=d.last_activity_at,
        next_activity_at=d.next_activity_at, next_step=d.next_step, stage_since=stage_since,
        modified_at=d.modified_at, pipeline=d.pipeline, quiet_since=quiet_since, present=True,
    )


def _deal_changes(old: DealState, new: DealState, base: dict) -> list[Change]:
    sid, out = new.external_id, []
    if not old.present:
        out.append(Change(EventKind.DEAL_REAPPEARED, "deal", sid, f"deal {new.name!r} is back in the export", base,
                          {"present": True}))
    if _stage_id(old.stage_key, old.stage) != _stage_id(new.stage_key, new.stage):
        out.append(Change(EventKind.DEAL_STAGE_CHANGED, "deal", sid, f"{new.name!r}: {old.stage} → {new.stage}",
                          {**base, "from": old.stage, "to": new.stage},
                          {"from_key": old.stage_key, "to_key": new.stage_key, "stage_since": new.stage_since}))
    if old.status != new.status:
        kind = {"won": EventKind.DEAL_WON, "lost": EventKind.DEAL_LOST}.get(new.status, EventKind.DEAL_REOPENED)
        verb = {EventKind.DEAL_WON: "won", EventKind.DEAL_LOST: "lost",
                EventKind.DEAL_REOPENED: f"reopened (was {old.status})"}[kind]
        out.append(Change(kind, "deal", sid, f"{new.name!r} {verb} ({_money(new.value, new.currency)})",
                          {**base, "from": old.status, "to": new.status, "stage": new.stage},
                          {"status": new.status, "closed_at": new.closed_at}))
    if (old.value or 0) != (new.value or 0) and abs((old.value or 0) - (new.value or 0)) >= 0.005:
        out.append(Change(EventKind.DEAL_VALUE_CHANGED, "deal", sid,
                          f"{new.name!r}: {_money(old.value, old.currency)} → {_money(new.value, new.currency)}",
                          {**base, "from": old.value, "to": new.value}, {"value": new.value}))
    if (old.owner or "") != (new.owner or ""):
        out.append(Change(EventKind.DEAL_OWNER_CHANGED, "deal", sid,
                          f"{new.name!r}: owner {old.owner or 'none'} → {new.owner or 'none'}",
                          {**base, "from": old.owner, "to": new.owner}, {"owner": new.owner}))
    if new.last_activity_at and (not old.last_activity_at or new.last_activity_at > old.last_activity_at):
        out.append(Change(EventKind.ACTIVITY_RECORDED, "deal", sid, f"{new.name!r}: activity on {new.last_activity_at[:10]}",
                          {**base, "previous": old.last_activity_at, "last_activity_at": new.last_activity_at},
                          {"last_activity_at": new.last_activity_at}))
    return out


def _quiet(state: DealState, stage: Stage | None, pipeline: PipelineSettings, now: datetime, as_of: str,
           base: dict, out: Diff) -> DealState:
    """An open deal with no activity for its stage's quiet_after_days has gone quiet (said once per lull).

    `state` is the fresh object `_state_from` built for this snapshot, so it is updated in place."""
    if state.status != "open":
        state.quiet_since = None
        return state
    limit = quiet_limit(stage, pipeline)
    last = state.last_activity_at or state.created_at or state.stage_since
    idle = days_between(last, now)
    if idle is not None and idle >= limit:
        if state.quiet_since is None:
            out.changes.append(Change(
                EventKind.DEAL_GONE_QUIET, "deal", state.external_id,
                f"{state.name!r}: no activity for {int(idle)} days (limit {limit} in {state.stage})",
                {**base, "last_activity": last, "idle_days": round(idle, 1), "quiet_after_days": limit,
                 "stage": state.stage},
                {"quiet_since": as_of}, decided_by=f"{RULE}#quiet_after_days"))
            state.quiet_since = as_of
        return state
    state.quiet_since = None
    return state


def diff_contacts(prev: dict[tuple[str, str], CrmContact], contacts: list[CrmContact],
                  snapshot: dict[str, Any]) -> Diff:
    """Contact created, updated (which fields) and activity recorded."""
    out = Diff()
    base = {"snapshot": snapshot}
    for c in contacts:
        key = (c.kind, c.external_id)
        old = prev.get(key)
        if old == c:
            continue
        out.contacts[key] = c
        sid = f"{c.kind}:{c.external_id}"
        who = c.name or c.email or c.external_id
        if old is None:
            out.changes.append(Change(EventKind.CONTACT_CREATED, "crm_contact", sid, f"new CRM {c.kind} {who}",
                                      {**base, "email": c.email, "company": c.company, "owner": c.owner},
                                      {"kind": c.kind}))
            continue
        if c.last_activity_at and (not old.last_activity_at or c.last_activity_at > old.last_activity_at):
            out.changes.append(Change(EventKind.ACTIVITY_RECORDED, "crm_contact", sid,
                                      f"{who}: activity on {c.last_activity_at[:10]}",
                                      {**base, "previous": old.last_activity_at},
                                      {"last_activity_at": c.last_activity_at}))
        changed = [f.name for f in fields(CrmContact)
                   if f.name not in ("last_activity_at", "modified_at") and getattr(old, f.name) != getattr(c, f.name)]
        if changed:
            out.changes.append(Change(EventKind.CONTACT_UPDATED, "crm_contact", sid, f"{who}: {', '.join(changed)} changed",
                                      {**base, "before": {f: getattr(old, f) for f in changed}},
                                      {"after": {f: getattr(c, f) for f in changed}}))
    return out


def _stage_id(key: str | None, raw: str) -> str:
    """Two names of one configured stage are the same stage; unmapped names compare as written."""
    return key or f"raw:{raw.strip().casefold()}"


def _money(value: float | None, currency: str | None) -> str:
    if value is None:
        return "no value"
    return f"{value:,.0f} {currency or ''}".strip()
