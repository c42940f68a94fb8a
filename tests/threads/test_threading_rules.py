"""rules/threading.py: which conversation a mail belongs to, as pure decisions with their reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opsys.rules.threading import SUBJECT_WINDOW, ThreadCandidate, find_thread, message_ids, subject_key

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("subject,key", [
    ("Re: New website", "new website"),
    ("RE: Fwd: AW: New   Website", "new website"),
    ("Re[2]: New website", "new website"),
    ("SV: Antw: WG: New website", "new website"),
    ("[Ticket 12] Re: New website", "new website"),
    ("Réf : New website", "new website"),
    ("Rework of the site", "rework of the site"),  # "Re" inside a word is not a prefix
])
def test_subject_key_strips_reply_and_forward_prefixes(subject, key):
    assert subject_key(subject) == key


def test_message_ids_keep_order_and_each_once():
    assert message_ids("<a@x> <b@x>\r\n <a@x>") == ["<a@x>", "<b@x>"]
    assert message_ids("c@x") == ["<c@x>"]
    assert message_ids(None) == [] and message_ids("") == []


def test_in_reply_to_beats_references_and_subject():
    refs = ["<root@x>", "<parent@x>"]
    m = find_thread(refs, {"<root@x>": 1, "<parent@x>": 2}, "Re: Other", 5,
                    [ThreadCandidate(3, 5, "other", NOW)], NOW)
    assert (m.thread_id, m.how) == (2, "in-reply-to")
    m = find_thread(refs, {"<root@x>": 1}, "", None, [], NOW)
    assert (m.thread_id, m.how) == (1, "references")


def test_the_subject_fallback_needs_the_same_contact_a_reply_mark_and_an_active_thread():
    cand = [ThreadCandidate(7, 5, "new website", NOW - timedelta(days=3))]
    assert find_thread([], {}, "Re: New website", 5, cand, NOW).thread_id == 7
    assert find_thread([], {}, "Re: New website", 6, cand, NOW).thread_id is None  # someone else
    assert find_thread([], {}, "New website", 5, cand, NOW).thread_id is None  # two words, no reply mark
    old = [ThreadCandidate(7, 5, "new website", NOW - SUBJECT_WINDOW - timedelta(days=1))]
    assert find_thread([], {}, "Re: New website", 5, old, NOW).thread_id is None
    generic = [ThreadCandidate(8, 5, "hello", NOW)]
    assert find_thread([], {}, "Hello", 5, generic, NOW).thread_id is None
    assert find_thread([], {}, "Re: Hello", 5, generic, NOW).thread_id == 8
    m = find_thread([], {}, "New website for the clinic", 5, [ThreadCandidate(9, 5, "new website for the clinic",
                                                                                NOW - timedelta(days=1))], NOW)
    assert m.thread_id == 9 and "same contact and subject" in m.reason
