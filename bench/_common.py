"""Bench helpers: a fresh workspace made by `opsys init`, and realistic generated drops."""

from __future__ import annotations

import platform
import random
import tempfile
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path

from opsys.workspace import Workspace, init_workspace

COMPANIES = ["Lakeshore Credit Union", "Ridgeway Outdoor", "Pinecrest Senior Living", "Marchetti Law",
             "Tallgrass Software", "Summit Ridge Vet", "Old Mill Distilling", "Greenleaf Lawn Care",
             "Bayview Orthodontics", "Casa Marisol Catering", "Pryce Joinery", "Acme Plumbing"]
ASKS = ["Could you send a proposal?", "Can we book a call next week?", "What would a rough estimate be?",
        "Please send over pricing.", "We'd like to get started soon.", ""]
NEEDS = ["a full website redesign with about {n} pages and a booking integration",
         "a Shopify store migration with {n}0 products and a new checkout",
         "local SEO for our {n} locations, we are not ranking on Google",
         "Google Ads and Meta ads campaigns for a spring launch",
         "a rebrand: new logo, style guide and brand guidelines",
         "a care plan for hosting, updates and small fixes each month"]
BUDGETS = ["Budget is around ${n}k.", "We have EUR {n}.000 set aside.", "Budget: ${n},000 - ${m},000.", "",
           "Six figures is not out of the question.", "We can spend {n}k USD."]
WHEN = ["We need it live by March.", "Timeline: ASAP.", "Ideally within 6 weeks.", "No rush, sometime next year.",
        "Launch by Q2."]
SPAM = ["Boost your SEO with 500 high-DA backlinks for $99!!! Reply YES.",
        "Your wallet has a pending crypto reward, claim within 24h: http://claim.example",
        "Guest post opportunity on our high authority blog, only $50 per link."]
SUPPORT = ["Our checkout is down since this morning, customers cannot pay. Please help urgently!",
           "Quick question about the events page: when will the new photos be up?",
           "Can you reset the password for the admin account? Thanks."]


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def fresh_workspace(llm: bool) -> Workspace:
    ws = init_workspace(Path(tempfile.mkdtemp(prefix="opsys-bench-")) / "ws")
    cfg = ws.system_map / "classifier.yml"
    if not llm:
        cfg.write_text(cfg.read_text().replace("enabled: true", "enabled: false"))
    return ws


def generated_mail(i: int, rng: random.Random) -> bytes:
    """A realistic inbound mail: mostly leads, some support, some spam; unique per i."""
    msg = EmailMessage()
    company = rng.choice(COMPANIES)
    first = rng.choice(["Dana", "Tom", "Priya", "Marco", "Elena", "Sam", "Gary", "Lena", "Omar", "Jo"])
    domain = company.lower().replace(" ", "") + ".example"
    kind = rng.random()
    n, m = rng.randint(2, 60), rng.randint(61, 90)
    if kind < 0.7:
        body = (f"Hi Brightside team,\n\nI'm {first} from {company}. We're looking for "
                f"{rng.choice(NEEDS).format(n=n)}. {rng.choice(BUDGETS).format(n=n, m=m)} "
                f"{rng.choice(WHEN)} We are a team of {rng.randint(3, 400)} people. {rng.choice(ASKS)}\n\n"
                f"Thanks,\n{first}\n{company}\n(312) 555-{rng.randint(100, 199):04d}\n")
        subject = f"Project enquiry from {company}"
    elif kind < 0.85:
        body, subject = rng.choice(SUPPORT) + f"\n\n{first}", "Website question"
    else:
        body, subject = rng.choice(SPAM), "Opportunity for your business"
    msg["From"] = f"{first} {company.split()[0]} <{first.lower()}.{i}@{domain}>"
    msg["To"] = "hello@brightside.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 16, tzinfo=timezone.utc) + timedelta(minutes=7 * i))
    msg["Message-ID"] = f"<bench-{i}@{domain}>"
    msg.set_content(body)
    return bytes(msg)
