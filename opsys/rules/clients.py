"""Tell whether a sender belongs to a client account we already serve (clients.yml), and why.

Only the sender's address domain grants a client's tier, and not when the receiving mail server
recorded that the domain failed authentication (the email reader's `auth_failed` field): a
`From:` line is easy to forge. A company name typed into a form is a hint for a person to check,
never a tier. A domain one or two edits from a client's (`harb0rdental.example`), or the
client's name under another ending, is flagged as a look-alike and gets no tier either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from opsys.config.models import ClientAccount, Clients
from opsys.records import Lead

# Digits and letter pairs that read as letters at a glance, folded before comparing domains.
_GLYPHS = str.maketrans({"0": "o", "1": "l", "i": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"})
_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_MAX_EDITS = 2


@dataclass(frozen=True)
class ClientMatch:
    """The account that grants a tier (or None), the reason in words, and what a person should check."""

    client: ClientAccount | None
    reason: str
    # The client domain the sender's domain imitates, e.g. "harbordental.example" for "harb0rdental.example".
    lookalike: str | None = None
    # The account the company field names when the address does not back it: a hint, no tier.
    named: ClientAccount | None = None
    # What was read, for the audit event: the sender's domain, the company given, the auth verdict.
    inputs: dict[str, str | None] = field(default_factory=dict)


def find_client(lead: Lead, clients: Clients) -> ClientMatch:
    """The client account the sender's domain proves, or None with the reason and any look-alike or name hint."""
    domain = _domain(lead.email)
    named = _named(lead.company, clients)
    failed = (lead.fields.get("auth_failed") or "").strip()
    inputs = {"domain": domain or None, "company": lead.company, "auth_failed": failed or None}
    owner = next((c for c in clients.clients if domain and any(_within(domain, d) for d in _domains(c))), None)
    if owner is not None:
        if failed:
            return ClientMatch(None, f"{domain} is {owner.name}'s domain, but the receiving server's "
                               f"authentication failed ({failed.replace(',', ', ')}): no client tier",
                               named=owner, inputs=inputs)
        return ClientMatch(owner, f"{domain} is {owner.name}'s domain", inputs=inputs)
    for client in clients.clients:
        imitated = next((d for d in _domains(client) if domain and _looks_like(domain, d)), None)
        if imitated is not None:
            return ClientMatch(None, f"{domain} looks like {client.name}'s domain {imitated} but is not it: "
                               "no client tier, check the sender", lookalike=imitated, named=client,
                               inputs=inputs)
    if named is not None:
        return ClientMatch(None, f"the company given is {named.name}, but {domain or 'no address'} is not its "
                           "domain: a hint for a person, no client tier", named=named, inputs=inputs)
    return ClientMatch(None, "not a known client", inputs=inputs)


def _domain(email: str | None) -> str:
    return email.rsplit("@", 1)[1].strip().lower().rstrip(".") if email and "@" in email else ""


def _domains(client: ClientAccount) -> list[str]:
    return [d for d in (d.strip().lower().lstrip("@").rstrip(".") for d in client.domains) if d]


def _within(domain: str, client_domain: str) -> bool:
    """The domain itself or a subdomain of it (mail.harbordental.example), never a longer name."""
    return domain == client_domain or domain.endswith("." + client_domain)


def _named(company: str | None, clients: Clients) -> ClientAccount | None:
    name = " ".join((company or "").split()).casefold()
    return next((c for c in clients.clients if name and " ".join(c.name.split()).casefold() == name), None)


@lru_cache(maxsize=4096)  # a lead list repeats a few domains thousands of times
def _looks_like(domain: str, client_domain: str) -> bool:
    """One or two edits away, the same after folding look-alike glyphs, or the same name under another ending."""
    # Compare as many trailing labels as the client's domain has: mail.harb0rdental.example counts.
    if _within(domain, client_domain):
        return False
    if f".{client_domain}." in f".{domain}.":
        return True  # harbordental.example.evil.com: the client's name as a subdomain of another
    tail = ".".join(domain.split(".")[-client_domain.count(".") - 1:])
    # Short names are near many others (acme/acne): one edit for them, two from 8 letters.
    limit = _MAX_EDITS if len(client_domain.split(".")[0]) >= 8 else 1
    if _fold(tail) == _fold(client_domain) or _edits(tail, client_domain, limit) <= limit:
        return True
    name, client_name = tail.rsplit(".", 1)[0], client_domain.rsplit(".", 1)[0]
    # harbordental.com for harbordental.example; short names (ab.com) are too common to flag.
    return "." in tail and len(client_name) >= 6 and name.split(".")[-1] == client_name.split(".")[-1]


def _fold(domain: str) -> str:
    out = domain.translate(_GLYPHS).replace("-", "")
    for pair, letter in _PAIRS:
        out = out.replace(pair, letter)
    return out


def _edits(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, stopped early once it passes `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
