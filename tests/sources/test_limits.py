"""What one message may keep: a huge subject, body or field is cut with a warning, quickly, and the file read whole."""

from __future__ import annotations

import json
import time
from pathlib import Path

from opsys.records import InboundMessage
from opsys.sources import read_source
from opsys.sources.limits import BODY_MAX, FIELD_MAX, FIELDS_MAX, SUBJECT_MAX, cap_message

_HEAD = b"From: Dana <dana@whitfield.example>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
_LINE = "We need a new booking site for our three clinics, budget around 8k. "


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_huge_subject_header_is_cut_before_parsing(tmp_path):
    """Issue 14: a 10 MB Subject was stored verbatim (1.29 GB, 70 s through intake)."""
    words = (_LINE * (3_000_000 // len(_LINE)))
    folded = "\r\n ".join(words[i:i + 900] for i in range(0, len(words), 900))
    path = _write(tmp_path, "s.eml", _HEAD + b"Subject: " + folded.encode() + b"\r\n\r\nHello.\r\n")
    started = time.perf_counter()
    (msg,) = read_source(path)
    assert time.perf_counter() - started < 5
    assert len(msg.subject) == SUBJECT_MAX and msg.subject.startswith("We need a new booking site")
    assert msg.body == "Hello." and msg.email == "dana@whitfield.example"
    assert any("Subject header is" in w and "bytes" in w for w in msg.warnings)
    assert any(w.startswith(f"subject cut to {SUBJECT_MAX:,}") and "archive" in w for w in msg.warnings)


def test_a_huge_plain_body_is_cut_with_a_warning(tmp_path):
    body = (_LINE * (2_000_000 // len(_LINE))).encode()
    (msg,) = read_source(_write(tmp_path, "b.eml", _HEAD + b"Subject: big\r\n\r\n" + body))
    assert len(msg.body) == BODY_MAX
    assert any(f"body cut to {BODY_MAX:,} of its" in w for w in msg.warnings)


def test_a_huge_json_form_is_cut_field_by_field(tmp_path):
    doc = {"name": "N" * 5_000, "email": "dana@whitfield.example", "message": _LINE * 40_000,
           "budget": "8k " * 2_000, **{f"q{i}": f"answer {i}" for i in range(FIELDS_MAX + 50)}}
    (msg,) = read_source(_write(tmp_path, "f.json", json.dumps(doc).encode()))
    assert len(msg.body) == BODY_MAX and len(msg.name or "") == FIELD_MAX
    assert len(msg.fields) == FIELDS_MAX and len(msg.fields["budget"]) == FIELD_MAX
    assert msg.email == "dana@whitfield.example"
    text = " | ".join(msg.warnings)
    assert "body cut" in text and "name cut" in text and f"first {FIELDS_MAX} of" in text and "field value" in text


def test_small_messages_are_untouched():
    msg = InboundMessage(channel="email", source_name="x.eml", subject="Hi", body="Hello", fields={"a": "b"})
    assert cap_message(msg) == InboundMessage(channel="email", source_name="x.eml", subject="Hi", body="Hello",
                                              fields={"a": "b"})


def test_warnings_themselves_are_bounded():
    msg = InboundMessage(channel="csv", source_name="x.csv", warnings=["w" * 5_000] * 500)
    capped = cap_message(msg).warnings
    assert len(capped) == 51 and max(map(len, capped)) <= 500 and "450 more warnings" in capped[-1]
