"""Tell whether a sender belongs to a client account we already serve (clients.yml)."""

from __future__ import annotations

from opsys.config.models import ClientAccount, Clients


def find_client(email: str | None, company: str | None, clients: Clients) -> ClientAccount | None:
    """The account whose domain (or a subdomain of it) the email is from, else whose name the company is."""
    domain = email.rsplit("@", 1)[1].strip().lower().rstrip(".") if email and "@" in email else ""
    if domain:
        for client in clients.clients:
            for d in client.domains:
                d = d.strip().lower().lstrip("@").rstrip(".")
                if d and (domain == d or domain.endswith("." + d)):
                    return client
    name = " ".join((company or "").split()).casefold()
    if name:
        for client in clients.clients:
            if " ".join(client.name.split()).casefold() == name:
                return client
    return None
