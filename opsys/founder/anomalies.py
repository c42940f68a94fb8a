"""Anomalies the system can see in its own state: alerts and mail that gave up, files in quarantine, a CRM
export older than its limit, SOPs past their review date. Each is one grouped item whose fingerprint
is what it holds, so acknowledging "6 files in quarantine" hides it until a seventh arrives; each
disappears by itself when the state is fixed (the file leaves quarantine, a fresh export lands).
Trends over time (intake silence, capacity, pipeline value) are in `trends.py`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from opsys.founder.items import FounderApp
from opsys.records.founder import FounderItem, Section
from opsys.store.crm import latest_snapshots
from opsys.store.founder import failed_notifications



def _digest(parts: list[str]) -> str:
    return hashlib.sha1("\n".join(sorted(parts)).encode()).hexdigest()[:12]


def _names(parts: list[str], n: int = 4) -> str:
    return ", ".join(parts[:n]) + (f" and {len(parts) - n} more" if len(parts) > n else "")


def failing_notifications(app: FounderApp, now: datetime) -> Iterator[FounderItem]:
    """Alerts that gave up after every retry: someone was not told about a lead or a late task."""
    failed = failed_notifications(app.db)
    if len(failed) < app.map.founder.anomalies.notification_failures:
        return
    people = sorted({f[1] for f in failed})
    last_error = next((f[3] for f in reversed(failed) if f[3]), "no error text")
    yield FounderItem(
        key="notifications:failed", section=Section.ANOMALY,
        title=f"{len(failed)} notification{'s' * (len(failed) != 1)} failed for {_names(people)}",
        why=f"delivery gave up after every retry; last error: {last_error}",
        since=failed[0][4], fingerprint=f"{len(failed)}:{failed[-1][0]}", severity=1,
        evidence=("opsys status", "opsys log --kind notification_failed"),
        resolve="fix the notify URL in system_map/team.yml, then `opsys ack {id}`")


def failing_mail(app: FounderApp, now: datetime) -> Iterator[FounderItem]:
    """Mail the outbox gave up on: a client or a lead did not get what opsys said it sent."""
    from opsys.store.outbox import list_mail

    failed = list_mail(app.db, statuses=("failed",))
    if len(failed) < app.map.founder.anomalies.notification_failures:
        return
    last = max(failed, key=lambda x: x.id)
    yield FounderItem(
        key="mail:failed", section=Section.ANOMALY,
        title=f"{len(failed)} mail{'s' * (len(failed) != 1)} failed to send: " + _names(sorted({x.to for x in failed})),
        why=f"the mail outbox gave up after its retries; last error: {last.last_error or 'none given'}",
        since=min(x.created_at for x in failed),
        fingerprint=f"{len(failed)}:{last.id}", severity=1,
        evidence=("opsys log --kind mail_send_failed", "var/outbox/mail/"),
        resolve="fix the SMTP settings (sources.yml) and resend, then `opsys ack {id}`")


def quarantined_files(app: FounderApp, now: datetime) -> Iterator[FounderItem]:
    """Files in var/quarantine/ (beside each, NAME.error.txt says what was wrong and the fix)."""
    folder = app.ws.quarantine
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(".error.txt")) \
        if folder.is_dir() else []
    if len(files) < app.map.founder.anomalies.quarantine_files:
        return
    names = [p.name for p in files]
    # the note beside a file is written when it was quarantined; the file keeps the mtime it came with
    oldest = min(datetime.fromtimestamp((note if (note := p.with_name(p.name + ".error.txt")).exists() else p)
                                        .stat().st_mtime, UTC) for p in files)
    yield FounderItem(
        key="quarantine", section=Section.ANOMALY,
        title=f"{len(files)} file{'s' * (len(files) != 1)} in quarantine: {_names(names)}",
        why="they could not be read, so nothing in them reached anyone; each NAME.error.txt says why",
        since=min(oldest, now), fingerprint=_digest(names), severity=2,
        evidence=tuple(f"var/quarantine/{n}.error.txt" for n in names[:5]),
        resolve="fix and drop them into var/inbox/ again (or delete them), or `opsys ack {id}`")


def stale_crm_export(app: FounderApp, now: datetime) -> Iterator[FounderItem]:
    """The newest CRM export is older than its limit: the pipeline and the links run on old data."""
    from opsys.rules.pipeline_diff import to_datetime

    snaps = latest_snapshots(app.db)
    if not snaps:
        return
    limit = app.map.founder.anomalies.crm_export_hours or app.map.pipeline.stale_export_hours
    newest = max(snaps, key=lambda s: s.as_of)
    as_of = to_datetime(newest.as_of)
    if as_of is None or now - as_of <= timedelta(hours=limit):
        return
    hours = (now - as_of).total_seconds() / 3600
    yield FounderItem(
        key="crm:stale", section=Section.ANOMALY,
        title=f"the newest CRM export is {hours / 24:.1f} days old ({newest.crm} {newest.object})",
        why=f"older than {limit:g} hours (founder.yml anomalies.crm_export_hours, else pipeline.yml "
            "stale_export_hours): the pipeline page and lead links run on old data",
        since=as_of + timedelta(hours=limit), fingerprint=newest.sha256[:12], severity=3,
        evidence=("pipeline.md", "opsys pipeline"), resolve="export from the CRM into var/crm/")


_REVIEWS: dict[Path, tuple[tuple, list]] = {}  # library folder -> (files' mtimes, parsed review dates)


def _reviews(folder: Path) -> list:
    """(review due, SOP) of every SOP with frontmatter; parsed again only when a page changed."""
    from opsys.knowledge.sop import load_library

    stamp = tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*.md")))
    cached = _REVIEWS.get(folder)
    if cached is None or cached[0] != stamp:
        cached = _REVIEWS[folder] = (stamp, [(s.meta.review_due(), s) for s in load_library(folder) if s.meta])
    return cached[1]


def overdue_sops(app: FounderApp, now: datetime) -> Iterator[FounderItem]:
    """SOPs past their review date by more than the grace days: the owner did nothing."""
    if not app.ws.sops.is_dir():
        return
    grace = timedelta(days=app.map.founder.anomalies.sop_review_grace_days)
    today = now.date()
    late = sorted(((due, s) for due, s in _reviews(app.ws.sops) if due + grace < today), key=lambda x: x[0])
    if not late:
        return
    titles = [f"{s.title} (owner {s.meta.owner}, due {due})" for due, s in late]  # type: ignore[union-attr]
    first = late[0][0]
    yield FounderItem(
        key="sops:review", section=Section.ANOMALY,
        title=f"{len(late)} SOP{'s' * (len(late) != 1)} past their review date: {_names(titles, 3)}",
        why=f"more than {grace.days} days past `review_every` with no review by their owner",
        since=datetime(first.year, first.month, first.day, tzinfo=UTC) + grace,
        fingerprint=_digest([s.rel for _, s in late]), severity=3,
        evidence=tuple(f"sops/{s.rel}" for _, s in late[:5]),
        resolve="review them and update `last_reviewed` (opsys check lists them)")
