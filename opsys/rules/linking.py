"""Link CRM contacts and deals to the contacts intake created: by email, then phone, then company name.

Pure: takes both sides as plain records and returns one Link per CRM record it could place, with
the rule that matched and its reason. Company names are compared after dropping case, punctuation
and legal suffixes (Inc, LLC, GmbH...), with rapidfuzz's token-sort ratio.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

EMAIL, PHONE, COMPANY = "rule:link#email", "rule:link#phone", "rule:link#company-fuzzy"
COMPANY_MIN_SCORE = 90
_LEGAL = re.compile(r"\b(inc|incorporated|llc|ltd|limited|gmbh|ag|co|corp|corporation|company|plc|pty|sa|sarl|bv|"
                    r"srl|the)\b")
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


@dataclass(frozen=True)
class LeadContact:
    """A contact from intake (table `contacts`)."""

    id: int
    email: str | None
    phone: str | None
    company: str | None


@dataclass(frozen=True)
class CrmParty:
    """The identifying fields of a CRM contact or deal; key says which record it is."""

    key: tuple[str, ...]
    email: str | None
    phone: str | None
    company: str | None


@dataclass(frozen=True)
class Link:
    key: tuple[str, ...]
    contact_id: int
    rule: str
    score: float
    reason: str


def phone_key(phone: str | None) -> str | None:
    """Last nine digits: `+1 (555) 010-2030` and `555.010.2030` agree; too short to be a phone is None."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    return digits[-9:] if len(digits) >= 7 else None


def company_key(name: str | None) -> str | None:
    """`Möbelwerk Schäfer G.m.b.H.` and `Moebelwerk Schaefer` give the same key."""
    if not name:
        return None
    s = name.casefold().translate(_FOLD).replace("&", " and ").replace(".", "")
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = _LEGAL.sub(" ", s)
    s = " ".join(re.sub(r"[^\w ]+", " ", s).split())
    return s if len(s) >= 3 else None


def link_parties(leads: list[LeadContact], parties: list[CrmParty],
                 min_company_score: int = COMPANY_MIN_SCORE) -> list[Link]:
    """Email first (exact, case-insensitive), then phone, then the best fuzzy company match above the bar."""
    by_email = {c.email.lower(): c.id for c in leads if c.email}
    by_phone = {k: c.id for c in leads if (k := phone_key(c.phone))}
    companies: dict[str, int] = {}
    for c in sorted(leads, key=lambda c: c.id):
        k = company_key(c.company)
        if k and k not in companies:
            companies[k] = c.id
    links: list[Link] = []
    fuzzy_wanted: dict[str, list[CrmParty]] = {}
    for p in parties:
        if p.email and (cid := by_email.get(p.email.lower())):
            links.append(Link(p.key, cid, EMAIL, 100.0, f"same email {p.email}"))
        elif (pk := phone_key(p.phone)) and (cid := by_phone.get(pk)):
            links.append(Link(p.key, cid, PHONE, 100.0, f"same phone number (…{pk[-4:]})"))
        elif companies and (ck := company_key(p.company)):
            fuzzy_wanted.setdefault(ck, []).append(p)
    if fuzzy_wanted:
        links += _fuzzy(fuzzy_wanted, companies, min_company_score)
    return links


def _fuzzy(wanted: dict[str, list[CrmParty]], companies: dict[str, int], min_score: int) -> list[Link]:
    from rapidfuzz import fuzz, process

    names = list(companies)
    queries = list(wanted)
    out: list[Link] = []
    exact = [q for q in queries if q in companies]
    for q in exact:
        for p in wanted[q]:
            out.append(Link(p.key, companies[q], COMPANY, 100.0, f"same company {p.company!r}"))
    rest = [q for q in queries if q not in companies]
    if not rest:
        return out
    import numpy as np

    scores = process.cdist(rest, names, scorer=fuzz.token_sort_ratio, score_cutoff=min_score,
                           dtype=np.uint8, workers=-1)
    best = scores.argmax(axis=1)
    for i, q in enumerate(rest):
        j = int(best[i])
        s = int(scores[i, j])
        if s >= min_score:
            for p in wanted[q]:
                out.append(Link(p.key, companies[names[j]], COMPANY, float(s),
                                f"company {p.company!r} ≈ {names[j]!r} ({s}%)"))
    return out
