"""What the receiving mail server said about the sender's domain (the Authentication-Results header, RFC 8601).

A `From:` address is easy to forge; the server that received the mail checked SPF, DKIM and
DMARC and wrote the verdict on top of the message. Only the topmost Authentication-Results is
read: the receiving server adds its own above everything the sender wrote, so a header the
sender forged lies below it (and a forged one could only claim a pass, which grants nothing).
A failure counts when it is about the From domain (or names no domain): a failed DKIM
signature of a mailing service relaying the mail says nothing about the sender.
The verdict goes into the message fields; `opsys/rules/clients.py` decides what it means.
"""

from __future__ import annotations

import re

_METHODS = ("spf", "dkim", "dmarc")
_FAILED = {"fail", "softfail"}
_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z][a-z0-9_.-]*)\s*=\s*([a-z]+)", re.I)
_PROPERTY = re.compile(r"\b(?:smtp|header|policy)\.[a-z-]+\s*=\s*([^\s;]+)", re.I)


def auth_fields(headers: list[tuple[str, str]], sender: str | None) -> dict[str, str]:
    """`auth_results` (e.g. "spf=fail dkim=pass") and `auth_failed` ("spf,dmarc") from the topmost header."""
    value = next((v for k, v in headers if k.lower() == "authentication-results"), None)
    if value is None:
        return {}
    domain = sender.rsplit("@", 1)[1].strip().lower().rstrip(".") if sender and "@" in sender else ""
    results: list[str] = []
    failed: list[str] = []
    text = " ".join(_COMMENT.sub(" ", _COMMENT.sub(" ", value[:20_000])).split())
    for part in text.split(";"):  # the first part is the server's name, except in Microsoft's form
        found = _RESULT.match(part)
        if found is None:
            continue
        method, result = found.group(1).lower(), found.group(2).lower()
        if method not in _METHODS:
            continue
        results.append(f"{method}={result}")
        if result in _FAILED and method not in failed and _about(part, domain):
            failed.append(method)
    out = {"auth_results": " ".join(results)} if results else {}
    if failed:
        out["auth_failed"] = ",".join(failed)
    return out


def _about(part: str, domain: str) -> bool:
    """Whether a result concerns the sender's domain: it names no domain, or that one or a relative."""
    named = [v.rsplit("@", 1)[-1].strip("<>\"'").lower().rstrip(".") for v in _PROPERTY.findall(part)]
    named = [n for n in named if "." in n]
    if not named or not domain:
        return True
    return any(n == domain or n.endswith("." + domain) or domain.endswith("." + n) for n in named)
