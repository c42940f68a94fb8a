"""The audit log's vocabulary: every event kind and every kind of decider, in one enumerated list.

`record_event` refuses anything not listed here, and a test keeps the README's audit-log table in
step with it, so a new kind of decision cannot reach the log undocumented.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """What happened; the README's audit-log table says what each kind means."""

    # intake: files
    FILE_PROCESSED = "file_processed"
    FILE_QUARANTINED = "file_quarantined"
    FILE_RECOVERED = "file_recovered"
    DUPLICATE_DROP = "duplicate_drop"
    # intake: inquiries
    CONTACT_CREATED = "contact_created"
    CONTACT_MATCHED = "contact_matched"
    CLASSIFIED = "classified"
    SCORED = "scored"
    ROUTED = "routed"
    LLM_UNAVAILABLE = "llm_unavailable"
    # notifications
    NOTIFICATION_QUEUED = "notification_queued"
    NOTIFICATION_SKIPPED = "notification_skipped"
    NOTIFICATION_SENT = "notification_sent"
    NOTIFICATION_FAILED = "notification_failed"
    # CRM sync
    CRM_SNAPSHOT_IMPORTED = "crm_snapshot_imported"
    CRM_EXPORT_QUARANTINED = "crm_export_quarantined"
    CRM_EXPORT_REFUSED = "crm_export_refused"
    CRM_LINKED = "crm_linked"
    CRM_WRITEBACK = "crm_writeback"
    DEAL_CREATED = "deal_created"
    DEAL_STAGE_CHANGED = "deal_stage_changed"
    DEAL_VALUE_CHANGED = "deal_value_changed"
    DEAL_OWNER_CHANGED = "deal_owner_changed"
    DEAL_WON = "deal_won"
    DEAL_LOST = "deal_lost"
    DEAL_REOPENED = "deal_reopened"
    DEAL_MISSING = "deal_missing"
    DEAL_REAPPEARED = "deal_reappeared"
    DEAL_GONE_QUIET = "deal_gone_quiet"
    CONTACT_UPDATED = "contact_updated"  # a CRM contact changed (CRM contacts are created as contact_created)
    ACTIVITY_RECORDED = "activity_recorded"
    # tasks
    TASK_CREATED = "task_created"
    TASK_ASSIGNED = "task_assigned"
    TASK_DONE = "task_done"
    TASK_REASSIGNED = "task_reassigned"
    TASK_SNOOZED = "task_snoozed"
    TASK_CANCELLED = "task_cancelled"
    TASK_CLOSED_BY_EVIDENCE = "task_closed_by_evidence"
    TASK_REDISPATCHED = "task_redispatched"
    TASK_ESCALATED = "task_escalated"
    TASK_REROUTED_AWAY = "task_rerouted_away"
    PERSON_AWAY = "person_away"
    # executable workflows (opsys/work/workflows.py)
    WORKFLOW_STEP_OPENED = "workflow_step_opened"
    CLIENT_ADDED = "client_added"
    # the periodic jobs
    JOBS_RUN = "jobs_run"
    # follow-up sequences (opsys/followup/)
    SEQUENCE_ENROLLED = "sequence_enrolled"
    SEQUENCE_STEP = "sequence_step"
    SEQUENCE_EXITED = "sequence_exited"
    SEQUENCE_DONE = "sequence_done"
    JOB_CLOSED = "job_closed"
    REPLY_CLASSIFIED = "reply_classified"
    # mailboxes (opsys/intake/mail_fetch.py, mail_reconcile.py)
    MAIL_FETCHED = "mail_fetched"
    MAILBOX_UNREACHABLE = "mailbox_unreachable"
    MAILBOX_RESYNC = "mailbox_resync"
    MAIL_RECONCILED = "mail_reconciled"
    MAIL_REFETCH = "mail_refetch"
    # the founder's page
    JUDGMENT_CLASSIFIED = "judgment_classified"
    FOUNDER_ITEM_ACKNOWLEDGED = "founder_item_acknowledged"
    FOUNDER_DIGEST_QUEUED = "founder_digest_queued"
    # documents that disagree (invoices, timesheets, measurement sheets)
    DOCUMENT_STORED = "document_stored"
    DOCUMENT_MISMATCH = "document_mismatch"
    DOCUMENT_MISMATCH_RESOLVED = "document_mismatch_resolved"
    DOCUMENT_NEEDS_CHECK = "document_needs_check"
    DOCUMENT_CHECKED = "document_checked"
    # threads and what a mail means (opsys/intake/thread_steps.py)
    THREAD_REPLY = "thread_reply"
    RESUBMISSION_JOINED = "resubmission_joined"
    MAIL_SENT_RECORDED = "mail_sent_recorded"
    AUTO_REPLY_RECEIVED = "auto_reply_received"
    MAIL_BOUNCED = "mail_bounced"
    UNSUBSCRIBED = "unsubscribed"
    MAIL_ALREADY_STORED = "mail_already_stored"
    # outbound mail and drafts (opsys/work/mail.py, opsys/notify/mail_out.py)
    MAIL_QUEUED = "mail_queued"
    MAIL_REFUSED = "mail_refused"
    MAIL_SENT = "mail_sent"
    MAIL_SEND_FAILED = "mail_send_failed"
    MAIL_WRITTEN = "mail_written"
    MAIL_COPY_FAILED = "mail_copy_failed"
    DRAFT_MADE = "draft_made"
    DRAFT_APPROVED = "draft_approved"
    DRAFT_EDITED = "draft_edited"
    DRAFT_REJECTED = "draft_rejected"
    # labels checked against the evidence and corrected by people (opsys/intake/label_steps.py)
    LABEL_CHECKED = "label_checked"
    INQUIRY_RELABELLED = "inquiry_relabelled"
    CONTACT_MISSING = "contact_missing"


class Decider(StrEnum):
    """Who decided: the part before the first ':' of every event's `decided_by`."""

    INTAKE = "intake"  # the consume pipeline itself (file moves, quarantine)
    RULE = "rule"  # a deterministic rule of system_map/, e.g. rule:routing.yml#hot-lead
    EMBEDDING = "embedding"  # the embedding classifier
    LLM = "llm"  # the local LLM
    RULES = "rules"  # the keyword fallback when no model can load
    NOTIFY = "notify"  # the notification sender
    JOBS = "jobs"  # the periodic jobs (opsys tick, the watcher)
    PERSON = "person"  # a person, through a command (opsys task done …)


_DECIDERS = frozenset(str(d) for d in Decider)


def rule(name: str) -> str:
    """`decided_by` for a deterministic rule: rule:<file or rule name>."""
    return f"{Decider.RULE}:{name}"


def check_decider(decided_by: str) -> str:
    """Refuse a decider outside the list: a typo here would make the audit log unsearchable."""
    head = decided_by.split(":", 1)[0].split(" ", 1)[0]
    if head not in _DECIDERS:
        raise ValueError(f"unknown decider {decided_by!r}; add its kind to opsys.records.events.Decider")
    return decided_by
