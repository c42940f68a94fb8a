"""Score a lead 0-100 from scoring.yml, with one Signal per rule evaluated so every point is explained."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from opsys.config.models import ClientAccount, Currency, SystemMap
from opsys.records import Lead, Score, Signal
from opsys.rules.budget import extract_budget
from opsys.rules.company import extract_company_size
from opsys.rules.services import first_word, detect_service, keyword_hits
from opsys.rules.timeline import extract_timeline

_REFERRAL_TEXT = re.compile(
    r"\b(?:referred\s+(?:me|us)?\s*(?:by|to\s+you)|(?:who|they|he|she)\s+referred\s+(?:me|us)|"
    r"(?:\w+\s+)?referred\s+(?:me|us)\b|recommended\s+(?:you|your\s+(?:agency|team|firm|company|studio))|"
    r"(?:gave|passed)\s+(?:me|us)\s+your\s+(?:name|details|number|email|contact)|referral\s+from|"
    r"(?:suggested|told)\s+(?:me|us)\s+to\s+(?:contact|reach\s+out|get\s+in\s+touch))",
    re.I,
)


@lru_cache(maxsize=512)
def _phrase_pattern(phrase: str) -> re.Pattern:
    body = r"\s+".join(re.escape(p) for p in phrase.split())
    # A trailing plural still counts: "quotes", "estimates".
    return re.compile(rf"(?<!\w){body}(?:s|es)?(?!\w)", re.I)


def _money(x: float) -> str:
    return f"{x:,.0f}"


def in_base_currency(amount: float, currency: str | None, rates: Currency) -> tuple[float, str]:
    """The amount in scoring.yml's base currency, and the conversion as shown (empty when none was needed).
    An unknown currency is compared as written, and the reason says so."""
    if not currency or currency == rates.base:
        return amount, ""
    rate = rates.rates.get(currency)
    if rate is None:
        return amount, f" (no rate for {currency} in scoring.yml currency.rates: compared as {rates.base})"
    return amount * rate, f" = {_money(amount * rate)} {rates.base} at {rate:g}"


def score_lead(lead: Lead, client: ClientAccount | None, m: SystemMap, now: datetime) -> Score:
    """Every signal in scoring.yml, each with its points and the reason; the total is clamped to 0-100."""
    s = m.scoring
    q = s.quality
    text = lead.text
    folded = text.casefold()
    fields = {k.lower(): v for k, v in lead.fields.items() if v is not None}
    signals: list[Signal] = []

    words = len(text.split())
    if words >= q.length.min_words:
        signals.append(Signal("length", q.length.points, f"{words} words (at least {q.length.min_words})"))
    else:
        signals.append(Signal("length", 0, f"{words} words, fewer than {q.length.min_words}"))

    terms = [t for t in q.specificity.terms if keyword_hits(text, [t], folded)]
    if terms:
        pts = min(len(terms) * q.specificity.points_per_hit, q.specificity.max_points)
        signals.append(Signal("specificity", pts, f"mentions {', '.join(terms)}"))
    else:
        signals.append(Signal("specificity", 0, "no specific project details"))

    asks = [(mm.start(), i, mm[0]) for i, p in enumerate(q.concrete_ask.phrases)
            if first_word(p) in folded and (mm := _phrase_pattern(p).search(text))]
    if asks:
        signals.append(Signal("concrete_ask", q.concrete_ask.points, f'asks for a next step: "{min(asks)[2]}"'))
    else:
        signals.append(Signal("concrete_ask", 0, "no concrete next step asked for"))

    # The form's own field is what the sender chose to state; the text is the fallback.
    budget = extract_budget(fields.get("budget", ""), now.year) or extract_budget(text, now.year)
    if budget is None:
        signals.append(Signal("budget", 0, "no budget mentioned"))
    else:
        amount, converted = in_base_currency(budget.low, budget.currency, s.currency)
        cur = f" {budget.currency}" if budget.currency else ""
        shown = f'budget "{budget.matched}" read as {_money(budget.low)}{cur}{converted}'
        band = next((b for b in s.budget if amount >= b.min), None)
        if band is None:
            signals.append(Signal("budget", 0, f"{shown}, below every band"))
        else:
            signals.append(Signal("budget", band.points, f"{shown} (band from {_money(band.min)})"))

    timeline = extract_timeline(fields.get("timeline", ""), now) or extract_timeline(text, now)
    if timeline is None:
        signals.append(Signal("timeline", 0, "no timeline mentioned"))
    else:
        band = next((b for b in s.timeline if timeline.days <= b.within_days), None)
        shown = f'timeline "{timeline.matched}" is {timeline.days} days away'
        if band is None:
            signals.append(Signal("timeline", 0, f"{shown}, beyond {s.timeline[-1].within_days} days"))
        else:
            signals.append(Signal("timeline", band.points, f"{shown} (within {band.within_days})"))

    size = extract_company_size(text, fields.get("company_size"))
    if size is None:
        signals.append(Signal("company_size", 0, "company size not given"))
    else:
        band = next((b for b in s.company_size if size >= b.min_employees), None)
        if band is None:
            signals.append(Signal("company_size", 0, f"{size} employees, below every band"))
        else:
            signals.append(Signal("company_size", band.points,
                                  f"{size} employees (at least {band.min_employees})"))

    channel = m.sources.channels.get(lead.channel)
    if channel is None:
        signals.append(Signal("source", 0, f"channel {lead.channel!r} has no weight in sources.yml"))
    else:
        signals.append(Signal("source", channel.weight, f"arrived by {channel.label.lower()}"))

    referred_by = (fields.get("referred_by") or "").strip()
    said = _REFERRAL_TEXT.search(text)
    if lead.channel == "referral":
        signals.append(Signal("referral", s.referral, "logged as a referral"
                              + (f" from {referred_by}" if referred_by else "")))
    elif referred_by:
        signals.append(Signal("referral", s.referral, f"referred by {referred_by}"))
    elif said:
        signals.append(Signal("referral", s.referral, f'says "{said[0].strip()}"'))
    else:
        signals.append(Signal("referral", 0, "no referral mentioned"))

    service = detect_service(text, fields.get("service"), m.team.firm, folded)
    if service is None:
        signals.append(Signal("service", 0, "no service we sell recognised"))
    else:
        signals.append(Signal("service", s.service_match,
                              f"asks for {m.team.firm.services[service].label} ({service})"))

    if client is None:
        signals.append(Signal("client_tier", 0, "not a known client"))
    else:
        pts = s.client_tier.get(client.tier, 0)
        signals.append(Signal("client_tier", pts, f"{client.name} is a {client.tier} client"))

    value = max(0, min(100, sum(sig.points for sig in signals)))
    return Score(
        value=value,
        hot=value >= s.hot_threshold,
        signals=tuple(signals),
        budget=budget.low if budget else None,
        service=service,
    )
