"""What a mail means before it can be a lead: the steps for conversations (threads, touches, consent).

`conversation_steps(case)` decides, inside the file's transaction, whether a message takes the lead
path (LEAD_STEPS, with `fill_from_signature` and `thread_inquiry` among them) or one of these:

    outbound      the team's own mail (From team.yml, or the Sent folder): an out touch on each known
                  recipient and their thread, a line on their open task; close_by_evidence closes it
    bounce        failed recipients become undeliverable (a delay only is said)
    complaint / unsubscribe   consent withdrawn; the unsubscribe is also an in touch on the thread
    auto_reply    an auto touch (never a reply) on a known sender, on the thread it answers
    reply         a known thread by Message-ID / References (or subject): a message on it and on the
                  task it answers, an in touch, the thread answered by them; never a new lead
    resubmission  same sender (mail or form) while their inquiry's task is open: joins that inquiry
    duplicate     a Message-ID already stored (the same mail fetched and dropped): nothing new

Classification and scoring read only the new text (sources/reply_split.py split it off at parse).
"""

from __future__ import annotations

from collections.abc import Callable
from email.utils import parseaddr
from typing import TYPE_CHECKING

from opsys.records.events import EventKind, rule
from opsys.rules.mail_kinds import MailKind, mail_kind
from opsys.rules.threading import ThreadMatch, find_thread, message_ids, subject_key
from opsys.sources.reply_split import signature_details
from opsys.store import threads as st
from opsys.store.contacts import mark_undeliverable, mark_unsubscribed, upsert_contact
from opsys.store.events import record_event
from opsys.store.touches import record_touch

if TYPE_CHECKING:
    from opsys.intake.lead_steps import LeadCase

Step = Callable[["LeadCase"], "str | None"]
_CONVERSATION_CHANNELS = ("email", "web_form")


def _team(c: "LeadCase") -> set[str]:
    """The team's addresses: each person's, and the firm's own From (sources.yml outbound.from)."""
    own = parseaddr(c.map.sources.outbound.from_address or "")[1].lower()
    return {p.email.lower() for p in c.map.team.people} | ({own} if own else set())


def _refs(c: "LeadCase") -> list[str]:
    """References, then In-Reply-To last (the parent): rules/threading.py reads them newest first."""
    f = c.lead.fields
    refs = message_ids(f.get("references")) + message_ids(f.get("in_reply_to"))
    return list(dict.fromkeys(reversed(refs)))[::-1]


def _source(c: "LeadCase") -> str:
    """Where this message's evidence lives: its Message-ID, else its file and position."""
    mid = c.lead.fields.get("message_id")
    return f"mail:{mid}" if mid else f"drop:{c.sha256}:{c.lead.position}"


def _known_contact(c: "LeadCase") -> int | None:
    lead = c.lead
    if lead.email:
        return st.contact_by_email(c.db, lead.email)
    if lead.phone and lead.channel == "web_form":
        return st.contact_by_phone(c.db, lead.phone)
    return None


def conversation_steps(c: "LeadCase") -> tuple[Step, ...] | None:
    """The steps for a message that is not a new lead, or None for the lead path."""
    lead = c.lead
    if lead.channel not in _CONVERSATION_CHANNELS:
        return None
    kind = (mail_kind(lead.fields, lead.subject, lead.body, lead.email, _team(c)) if lead.channel == "email"
            else MailKind("message", "a web-form post"))
    c.mail = kind
    mid = lead.fields.get("message_id")
    if mid and st.message_stored(c.db, mid):
        return (record_duplicate,)
    if kind.kind != "message":
        return _BY_KIND[kind.kind]
    contact_id = _known_contact(c)
    if lead.channel == "email":
        refs = _refs(c)
        known = st.threads_by_message_id(c.db, refs)
        cands = st.subject_candidates(c.db, contact_id, subject_key(lead.subject)) if contact_id else []
        match = find_thread(refs, known, lead.subject, contact_id, cands, c.now)
        if match.thread_id is None and contact_id is not None:  # it answers a mail the outbox sent them
            tid = st.answered_mail_thread(c.db, contact_id, reversed(refs))
            if tid is not None:
                match = ThreadMatch(tid, "outbox", f"it answers a mail opsys sent ({refs[-1]})")
        if match.thread_id is not None:
            c.thread = match
            return (fill_from_signature, join_thread)
    if contact_id is not None:
        joins = st.open_inquiry(c.db, contact_id)
        if joins is not None and joins.channel in _CONVERSATION_CHANNELS:
            c.joins = joins
            return (fill_from_signature, join_inquiry)
    return None


# -- on the lead path -----------------------------------------------------------------------------


def fill_from_signature(c: "LeadCase") -> str | None:
    """A phone or company the sender left out, taken from the signature of their new text."""
    sig = c.lead.fields.get("signature")
    if not sig:
        return None
    raw_phone, company = signature_details(sig)
    filled = []
    if raw_phone and not c.lead.phone:
        phone = _e164(raw_phone, c.map.team.firm.default_region)
        if phone:
            c.lead.phone = phone
            c.lead.fields["phone_source"] = "signature"
            filled.append("phone")
    if company and not c.lead.company:
        c.lead.company = company
        c.lead.fields["company_source"] = "signature"
        filled.append("company")
    return f"from the signature: {', '.join(filled)}" if filled else None


def _e164(raw: str, region: str | None) -> str | None:
    import phonenumbers

    try:
        n = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164) if phonenumbers.is_valid_number(n) \
        else None


def thread_inquiry(c: "LeadCase") -> str:
    """A new inquiry opens its thread (or joins the one its headers name) and is an in touch."""
    lead, contact_id = c.lead, c.contact.contact_id
    refs = _refs(c) if lead.channel == "email" else []
    known = st.threads_by_message_id(c.db, refs)
    tid = find_thread(refs, known, "", contact_id, [], c.now).thread_id
    if tid is None:
        tid = st.start_thread(c.db, contact_id=contact_id, inquiry_id=c.inquiry_id, subject=lead.subject,
                              subject_key=subject_key(lead.subject), at=lead.received_at)
    st.add_message(c.db, thread_id=tid, source=f"inquiry:{c.inquiry_id}", direction="in", kind="inquiry",
                   at=lead.received_at, subject=lead.subject, new_text=lead.body[:4000],
                   message_id=lead.fields.get("message_id"), refs=refs, sender=lead.email, inquiry_id=c.inquiry_id)
    record_touch(c.db, contact_id=contact_id, direction="in", channel=lead.channel, at=lead.received_at,
                 source=f"inquiry:{c.inquiry_id}", thread_id=tid, inquiry_id=c.inquiry_id)
    c.thread_id = tid
    return f"thread {tid}"


# -- conversations --------------------------------------------------------------------------------


def _contact(c: "LeadCase") -> int:
    lead = c.lead
    match = upsert_contact(c.db, name=lead.name, email=lead.email, phone=lead.phone, company=lead.company,
                           client_account=None, tier=None, match_phone=lead.fields.get("phone_source") != "body")
    if match.created:
        record_event(c.db, EventKind.CONTACT_CREATED, decided_by=rule("dedupe-email-then-phone"),
                     subject_type="contact", subject_id=match.contact_id,
                     inputs={"email": lead.email, "phone": lead.phone, "name": lead.name},
                     message=f"new contact {match.contact_id} (wrote on a known conversation)")
    return match.contact_id


def _line(c: "LeadCase", what: str) -> str:
    text = " ".join(c.lead.body.split())
    return f"{c.lead.received_at:%Y-%m-%d %H:%M} {what}: {text[:140]!r}"


def join_thread(c: "LeadCase") -> str:
    """A reply in a known thread: a message on it and on the task it answers; never a new lead."""
    lead, match = c.lead, c.thread
    contact_id = _contact(c)
    thread = st.get_thread(c.db, match.thread_id)
    replied_to = message_ids(lead.fields.get("in_reply_to"))
    kind = "follow_up" if replied_to and set(replied_to) <= st.own_message_ids(c.db, contact_id) else "reply"
    joins = (st.open_inquiry(c.db, thread.contact_id, thread.inquiry_id) if thread.inquiry_id and thread.contact_id
             else None) or st.open_inquiry(c.db, contact_id)
    source = _source(c)
    msg = st.add_message(c.db, thread_id=thread.id, source=source, direction="in", kind=kind, at=lead.received_at,
                         subject=lead.subject, new_text=lead.body[:4000], message_id=lead.fields.get("message_id"),
                         refs=_refs(c), sender=lead.email, inquiry_id=None,
                         task_id=joins.task_id if joins else None)
    record_touch(c.db, contact_id=contact_id, direction="in", channel=lead.channel, at=lead.received_at,
                 source=source, thread_id=thread.id, inquiry_id=thread.inquiry_id)
    if joins:
        st.append_task_history(c.db, joins.task_id, _line(c, f"{lead.name or lead.email} replied on the thread"))
    c.handled = f"reply on thread {thread.id}" + (f" (task {joins.task_id})" if joins else "")
    record_event(c.db, EventKind.THREAD_REPLY, decided_by=rule("threading"), subject_type="thread",
                 subject_id=thread.id, inputs={"how": match.how, "message_id": lead.fields.get("message_id"),
                                               "subject": lead.subject, "from": lead.email},
                 decision={"thread_id": thread.id, "message": msg, "kind": kind, "contact_id": contact_id,
                           "task_id": joins.task_id if joins else None, "new_lead": False},
                 message=f"{kind} on thread #{thread.id}, not a new lead: {match.reason}")
    return c.handled


def join_inquiry(c: "LeadCase") -> str:
    """The same sender again while their inquiry is open: it joins that inquiry, no new queue entry."""
    lead, joins = c.lead, c.joins
    contact_id = _contact(c)
    tid = st.thread_of_inquiry(c.db, joins.inquiry_id) or st.start_thread(
        c.db, contact_id=contact_id, inquiry_id=joins.inquiry_id, subject=lead.subject,
        subject_key=subject_key(lead.subject), at=lead.received_at)
    source = _source(c)
    st.add_message(c.db, thread_id=tid, source=source, direction="in", kind="resubmission", at=lead.received_at,
                   subject=lead.subject, new_text=lead.body[:4000], message_id=lead.fields.get("message_id"),
                   refs=_refs(c) if lead.channel == "email" else [], sender=lead.email, task_id=joins.task_id)
    record_touch(c.db, contact_id=contact_id, direction="in", channel=lead.channel, at=lead.received_at,
                 source=source, thread_id=tid, inquiry_id=joins.inquiry_id)
    st.append_task_history(c.db, joins.task_id, _line(c, f"{lead.name or lead.email} wrote again ({lead.channel})"))
    c.handled = f"joins inquiry {joins.inquiry_id} (task {joins.task_id})"
    record_event(c.db, EventKind.RESUBMISSION_JOINED, decided_by=rule("threading"), subject_type="inquiry",
                 subject_id=joins.inquiry_id, inputs={"channel": lead.channel, "from": lead.email,
                                                      "subject": lead.subject, "source": source},
                 decision={"thread_id": tid, "task_id": joins.task_id, "new_lead": False},
                 message=f"{lead.name or lead.email} wrote again while inquiry #{joins.inquiry_id} is open "
                         f"(task #{joins.task_id}, {joins.owner_id or 'unassigned'}): joined it, no new queue entry")
    return c.handled


def record_outbound(c: "LeadCase") -> str:
    """The team's own mail: an out touch on each known recipient and their thread (evidence of an answer)."""
    lead, kind = c.lead, c.mail
    sender = (lead.fields.get("from_addresses") or lead.email or "").split(",")[0].strip()
    refs = _refs(c)
    source = _source(c)
    done, strangers = [], []
    for address in kind.addresses:
        contact_id = st.contact_by_email(c.db, address)
        if contact_id is None:
            strangers.append(address)
            continue
        known = st.threads_by_message_id(c.db, refs)
        cands = st.subject_candidates(c.db, contact_id, subject_key(lead.subject))
        tid = find_thread(refs, known, lead.subject, contact_id, cands, c.now).thread_id
        joins = st.open_inquiry(c.db, contact_id)
        if tid is None and joins is not None:
            tid = st.thread_of_inquiry(c.db, joins.inquiry_id)
        if tid is None:
            tid = st.start_thread(c.db, contact_id=contact_id, inquiry_id=joins.inquiry_id if joins else None,
                                  subject=lead.subject, subject_key=subject_key(lead.subject), at=lead.received_at)
        per = source if len(kind.addresses) == 1 else f"{source}#{address}"
        st.add_message(c.db, thread_id=tid, source=per, direction="out", kind="outbound", at=lead.received_at,
                       subject=lead.subject, new_text=lead.body[:4000], message_id=lead.fields.get("message_id"),
                       refs=refs, sender=sender, task_id=joins.task_id if joins else None)
        record_touch(c.db, contact_id=contact_id, direction="out", channel="email", at=lead.received_at,
                     source=per, thread_id=tid, inquiry_id=joins.inquiry_id if joins else None, auto=kind.auto)
        if joins:
            st.append_task_history(c.db, joins.task_id, _line(c, f"{sender} mailed {address}"))
        done.append({"contact_id": contact_id, "address": address, "thread_id": tid,
                     "task_id": joins.task_id if joins else None})
    c.handled = f"the team's mail: {len(done)} touch(es)" + (f", {len(strangers)} not a contact" if strangers else "")
    record_event(c.db, EventKind.MAIL_SENT_RECORDED, decided_by=rule("mail_kinds#outbound"), subject_type="mail",
                 subject_id=source, inputs={"from": sender, "to": list(kind.addresses), "subject": lead.subject,
                                            "folder": lead.fields.get("folder")},
                 decision={"touches": done, "not_contacts": strangers, "new_lead": False},
                 message=f"{kind.reason}: recorded as an out touch on {len(done)} contact(s), never a lead")
    return c.handled


def record_auto_reply(c: "LeadCase") -> str:
    """An auto-reply: stored as an auto touch on a known sender, never counted as a reply, never a lead."""
    lead, kind = c.lead, c.mail
    contact_id = st.contact_by_email(c.db, lead.email) if lead.email else None
    source, tid = _source(c), None
    if contact_id is not None:
        refs = _refs(c)
        tid = find_thread(refs, st.threads_by_message_id(c.db, refs), "", contact_id, [], c.now).thread_id
        if tid is not None:
            st.add_message(c.db, thread_id=tid, source=source, direction="in", kind="auto_reply",
                           at=lead.received_at, subject=lead.subject, new_text=lead.body[:1000],
                           message_id=lead.fields.get("message_id"), refs=refs, sender=lead.email)
        record_touch(c.db, contact_id=contact_id, direction="in", channel=lead.channel, at=lead.received_at,
                     source=source, thread_id=tid, auto=True)
    c.handled = "auto-reply" + (f" from contact {contact_id}" if contact_id else " (not a contact)")
    record_event(c.db, EventKind.AUTO_REPLY_RECEIVED, decided_by=rule("mail_kinds#auto_reply"), subject_type="mail",
                 subject_id=source, inputs={"from": lead.email, "subject": lead.subject},
                 decision={"contact_id": contact_id, "thread_id": tid, "counted_as_reply": False, "new_lead": False},
                 message=f"{kind.reason}: kept as an automatic touch, not a reply and not a lead")
    return c.handled


def record_bounce(c: "LeadCase") -> str:
    """A delivery report: each failed address that is a contact is marked undeliverable."""
    lead, kind = c.lead, c.mail
    source, marked, unknown = _source(c), [], []
    for address in kind.addresses:
        contact_id = st.contact_by_email(c.db, address)
        if contact_id is None or not kind.permanent:
            unknown.append(address)
            continue
        mark_undeliverable(c.db, contact_id, lead.received_at, source)
        marked.append({"contact_id": contact_id, "address": address})
    c.handled = f"bounce: {len(marked)} contact(s) undeliverable"
    record_event(c.db, EventKind.MAIL_BOUNCED, decided_by=rule("mail_kinds#bounce"), subject_type="mail",
                 subject_id=source, inputs={"from": lead.fields.get("from_addresses"), "subject": lead.subject,
                                            "failed": list(kind.addresses) if kind.permanent else [],
                                            "delayed": [] if kind.permanent else list(kind.addresses)},
                 decision={"undeliverable": marked, "not_contacts_or_delayed": unknown, "new_lead": False},
                 message=f"{kind.reason}; " + (f"{len(marked)} contact(s) marked undeliverable" if marked
                                               else "no contact marked"))
    return c.handled


def record_unsubscribe(c: "LeadCase") -> str:
    """An unsubscribe request or an abuse complaint: consent withdrawn, every sequence stops."""
    lead, kind = c.lead, c.mail
    source, marked = _source(c), []
    for address in kind.addresses:
        contact_id = st.contact_by_email(c.db, address)
        if contact_id is None:
            continue
        mark_unsubscribed(c.db, contact_id, lead.received_at, source)
        marked.append(contact_id)
        if kind.kind == "unsubscribe":
            refs = _refs(c)
            tid = find_thread(refs, st.threads_by_message_id(c.db, refs), lead.subject, contact_id,
                              st.subject_candidates(c.db, contact_id, subject_key(lead.subject)), c.now).thread_id
            joins = st.open_inquiry(c.db, contact_id)
            if tid is not None:
                st.add_message(c.db, thread_id=tid, source=source, direction="in", kind="unsubscribe",
                               at=lead.received_at, subject=lead.subject, new_text=lead.body[:1000],
                               message_id=lead.fields.get("message_id"), refs=refs, sender=lead.email,
                               task_id=joins.task_id if joins else None)
            record_touch(c.db, contact_id=contact_id, direction="in", channel=lead.channel, at=lead.received_at,
                         source=source, thread_id=tid)
            if joins:
                st.append_task_history(c.db, joins.task_id, _line(c, "asked to hear no more (unsubscribed)"))
    c.handled = f"{kind.kind}: {len(marked)} contact(s) unsubscribed"
    record_event(c.db, EventKind.UNSUBSCRIBED, decided_by=rule(f"mail_kinds#{kind.kind}"), subject_type="mail",
                 subject_id=source, inputs={"from": lead.email, "subject": lead.subject, "addresses": list(kind.addresses)},
                 decision={"contacts": marked, "consent": "unsubscribed", "new_lead": False},
                 message=f"{kind.reason}; consent withdrawn for {len(marked)} contact(s)")
    return c.handled


def record_duplicate(c: "LeadCase") -> str:
    """The same Message-ID was stored before (fetched and also dropped): nothing new is stored."""
    mid = c.lead.fields.get("message_id")
    c.handled = f"already stored ({mid})"
    record_event(c.db, EventKind.MAIL_ALREADY_STORED, decided_by=rule("threading#message-id"), subject_type="mail",
                 subject_id=f"mail:{mid}", inputs={"message_id": mid, "source_name": c.lead.source_name},
                 message=f"{mid} is already stored; this copy changes nothing")
    return c.handled


_BY_KIND: dict[str, tuple[Step, ...]] = {
    "outbound": (record_outbound,),
    "bounce": (record_bounce,),
    "complaint": (record_unsubscribe,),
    "unsubscribe": (record_unsubscribe,),
    "auto_reply": (record_auto_reply,),
}
