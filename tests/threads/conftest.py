"""Threads tests: a real workspace (`opsys init`), real SQLite, the real intake path.

Most tests are about threading, not labels, so they use opsys's own model-free classifier
(ai/fallback.py); tests/threads/test_end_to_end.py runs the real models.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import REALDATA

FIXTURES = REALDATA / "email_fixtures"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class KeywordClassifier:
    """The keyword fallback of ai/fallback.py, the path intake takes when no model loads."""

    llm_status = None

    def classify_many(self, texts):
        from opsys.ai.fallback import keyword_classify

        return [keyword_classify(t) for t in texts]


class Clock:
    """A clock the test walks: intake and jobs read `now` from it, nothing sleeps."""

    def __init__(self, at: datetime = T0):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def walk(self, **delta) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def fixtures() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip("../shared/realdata/email_fixtures is not beside this checkout (only next to dev and CI clones)")
    return FIXTURES


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(workspace, clock):
    from opsys.app import open_app

    rt = open_app(workspace, classifier=KeywordClassifier(), clock=clock)
    yield rt
    rt.db.close()


def mail(*, sender: str = "Dana Whitfield <dana@harbordental.example>", to: str = "hello@brightside.example",
         subject: str = "New website for Harbor Dental", body: str = "", date: datetime = T0,
         message_id: str | None = None, in_reply_to: str | None = None, references: str | None = None,
         extra: str = "") -> bytes:
    """One RFC 5322 mail as a mail client saves it."""
    head = [f"From: {sender}", f"To: {to}", f"Subject: {subject}",
            f"Date: {date.strftime('%a, %d %b %Y %H:%M:%S +0000')}"]
    if message_id:
        head.append(f"Message-ID: {message_id}")
    if in_reply_to:
        head.append(f"In-Reply-To: {in_reply_to}")
    if references:
        head.append(f"References: {references}")
    head += [line for line in extra.splitlines() if line.strip()]
    head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join(head) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


def drop(app, name: str, data: bytes):
    """Drop a file into var/inbox/ and run intake on it, as the watcher does."""
    path = app.ws.inbox / name
    path.write_bytes(data)
    report = app.intake.consume([path])
    [outcome] = report.outcomes
    assert outcome.status == "processed", outcome.detail
    return outcome


LEAD_BODY = """Hello,

we are a dental practice in Bristol and need a new website with online booking.
Our budget is around £12,000. Could someone call me?

Dana Whitfield
Harbor Dental Ltd
"""

REPLY_BODY = """Wednesday 10am is perfect.

Best,
Dana Whitfield
Harbor Dental Ltd
+44 117 496 0123

On Tue, 1 Dec 2026 at 14:02, Maya Brightside <maya@brightside.example> wrote:
> Hi Dana, thanks for your note. Could we have a call this week? You said you
> need the new site live within two weeks, so let's start soon. Wednesday 10am?
>
> Maya
"""
