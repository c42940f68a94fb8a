"""Follow-up tests: a real workspace (`opsys init`), real SQLite, real intake of .eml drops and the real
jobs, with the clock walked by `now` (as `opsys tick --now` walks it). The LLM is switched off for
drafting in these workspaces (the plain templates go), so a run takes milliseconds, not seconds."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

import pytest

CHICAGO = ZoneInfo("America/Chicago")
_n = itertools.count()


def ct(y: int, mo: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    """A Chicago wall time (the sample firm's), as an aware datetime."""
    return datetime(y, mo, d, h, mi, tzinfo=CHICAGO)


class Clock:
    """The app's clock, moved by the test (intake reads it; jobs get `now` passed)."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at.astimezone(UTC)


def set_map_text(ws, name: str, pattern: str, repl: str) -> None:
    p = ws.system_map / name
    text = p.read_text()
    new = re.sub(pattern, repl, text, count=1, flags=re.M)
    assert new != text, f"{pattern!r} not found in {name}"
    p.write_text(new)


@pytest.fixture
def clock():
    return Clock(ct(2026, 11, 2, 9))


@pytest.fixture
def fapp(workspace, shared_classifier, clock):
    """The sample firm with drafting by plain template (llm.enabled: false for the drafts)."""
    from opsys.app import open_app

    set_map_text(workspace, "classifier.yml", r"^  enabled: true", "  enabled: false")
    a = open_app(workspace, classifier=shared_classifier, clock=clock)
    yield a
    a.db.close()


def drop_mail(app, clock: Clock, *, frm: str, to: str, subject: str, body: str, at: datetime,
              headers: dict[str, str] | None = None, in_reply_to: str | None = None) -> str:
    """Write one RFC 5322 mail into the inbox and consume it through intake, as the watcher would; its Message-ID."""
    mid = make_msgid(domain="test.example")
    extra = "".join(f"{k}: {v}\n" for k, v in (headers or {}).items())
    refs = f"In-Reply-To: {in_reply_to}\nReferences: {in_reply_to}\n" if in_reply_to else ""
    text = (f"From: {frm}\nTo: {to}\nSubject: {subject}\nDate: {format_datetime(at)}\nMessage-ID: {mid}\n{refs}"
            f"{extra}MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{body}\n")
    path = app.ws.inbox / f"m{next(_n):04d}.eml"
    path.write_text(text)
    clock.at = at
    app.intake.consume([path])
    return mid


def walk(app, start: datetime, end: datetime, step: timedelta = timedelta(hours=3), clock: Clock | None = None,
         hours: tuple[int, int] = (8, 19)) -> list:
    """Run the real jobs every `step` from start to end while the local hour is within `hours` (the
    watcher's tick, thinned out at night to keep the test fast); the reports, in order."""
    reports, at = [], start
    while at <= end:
        if hours[0] <= at.astimezone(CHICAGO).hour < hours[1]:
            if clock is not None:
                clock.at = at
            reports.append(app.jobs.run(at.astimezone(UTC)))
        at += step
    return reports


def events(app, kind: str) -> list:
    from opsys.store.events import list_events

    return list_events(app.db, kind=kind)


def outbox(app) -> list:
    """The mails the sequences queued (the founder's digest goes through the same outbox), oldest first."""
    from opsys.store.outbox import list_mail

    return sorted((x for x in list_mail(app.db) if x.rule.startswith("rule:sequences.yml")), key=lambda x: x.id)
