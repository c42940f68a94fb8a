"""Business time, measured: cost of one add_business_days / add_business_hours / sending_window /
business_minutes_between call on the sample firm's calendar (US holidays, closed days, Chicago).

Start moments are spread at random over two years, so the per-day and per-year caches are warm
after the first pass, as they are in a long-running daemon; the first call (holiday tables built)
is timed apart.

Run: python bench/business_time.py [--calls N]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import machine  # noqa: E402
from opsys.config.loader import load_system_map  # noqa: E402
from opsys.rules.business_time import BusinessTime  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=100_000)
    args = ap.parse_args()
    firm = load_system_map(REPO / "system_map").team.firm
    bt = BusinessTime.for_firm(firm)
    tz = ZoneInfo(firm.timezone)
    rng = random.Random(0)
    base = datetime(2026, 1, 1, tzinfo=tz)
    starts = [base + timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60)) for _ in range(args.calls)]
    days = [rng.randint(0, 10) for _ in range(args.calls)]
    hours = [rng.choice((0.5, 1, 4, 8, 24)) for _ in range(args.calls)]
    zones = [rng.choice((None, "Europe/London", "America/New_York", "Asia/Tokyo")) for _ in range(args.calls)]

    t = time.perf_counter()
    BusinessTime.for_firm(firm).add_business_days(starts[0], 3)
    print(f"first call, holiday tables built: {(time.perf_counter() - t) * 1e3:.1f} ms")

    runs = {
        "add_business_days": lambda i: bt.add_business_days(starts[i], days[i]),
        "add_business_hours": lambda i: bt.add_business_hours(starts[i], hours[i]),
        "sending_window": lambda i: bt.sending_window(starts[i], zones[i]),
        "business_minutes_between (0-10 days apart)":
            lambda i: bt.business_minutes_between(starts[i], starts[i] + timedelta(days=days[i])),
    }
    print(f"{args.calls:,} calls each, {machine()}")
    for name, call in runs.items():
        t = time.perf_counter()
        for i in range(args.calls):
            call(i)
        took = time.perf_counter() - t
        print(f"  {name:44s} {took / args.calls * 1e6:6.2f} µs/call  ({took:.2f} s)")


if __name__ == "__main__":
    main()
