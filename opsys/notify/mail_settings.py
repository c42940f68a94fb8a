"""The outbound settings as the sender and `opsys check` read them: where the SMTP password lives,
and whether `sources.yml outbound:` can be used as written (said without the password)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from opsys.config.models import SystemMap
from opsys.config.outbound_models import Smtp
from opsys.config.secrets import SecretMissing, read_secret
from opsys.knowledge.checks import Finding


class SmtpSettingsError(Exception):
    """The SMTP settings cannot be used as written (a password variable unset, a file missing)."""


def smtp_password(smtp: Smtp, root: Path, environ: Mapping[str, str] | None = None) -> str | None:
    """The SMTP password from the environment or a file outside git (None when no login is set)."""
    if not smtp.user:
        return None
    try:
        return read_secret(smtp, root, "sources.yml outbound.smtp", environ)
    except SecretMissing as e:
        raise SmtpSettingsError(str(e)) from None


def outbound_findings(root: Path, m: SystemMap, environ: Mapping[str, str] | None = None) -> list[Finding]:
    """What `opsys check` says about `outbound:`: the password is where it is said to be (a warning: the
    watcher's environment may have what this shell lacks), `sent_copy` names an IMAP mailbox with a Sent folder."""
    smtp = m.sources.outbound.smtp
    if smtp is None:
        return []
    out = []
    file = m.lines.path("sources.yml")
    try:
        smtp_password(smtp, root, environ)
    except SmtpSettingsError as e:
        key = "password_env" if smtp.password_env else "password_file"
        out.append(Finding(file, m.lines.line("sources.yml", "outbound", "smtp", key), "warning", f"outbound.smtp.{key}: {e}"))
    if smtp.sent_copy:
        box = next((b for b in m.sources.mailboxes if b.name == smtp.sent_copy), None)
        if box is None or box.kind != "imap" or not box.sent_folder:
            out.append(Finding(file, m.lines.line("sources.yml", "outbound", "smtp", "sent_copy"), "error",
                               f"outbound.smtp.sent_copy: {smtp.sent_copy!r} is not an imap mailbox with a sent_folder "
                               f"under `mailboxes:` (known: {', '.join(b.name for b in m.sources.mailboxes) or 'none'})"))
    return out
