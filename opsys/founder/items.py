"""Small shared pieces of items: what a provider reads (`FounderApp`), a short id to type in
`opsys ack`, and text cut to fit one line."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Protocol

from opsys.config.models import SystemMap
from opsys.records.founder import FounderItem
from opsys.workspace import Workspace


class FounderApp(Protocol):
    """What a provider may read of the opened workspace: `opsys.app.App` is one (founder/ sits below
    app/ on the floors, so it names the shape, not the class)."""

    ws: Workspace
    map: SystemMap
    db: sqlite3.Connection


def item_id(item: FounderItem | str) -> str:
    """Six hex digits from the item's stable key: what `opsys ack ID` takes (the key works too)."""
    key = item if isinstance(item, str) else item.key
    return hashlib.sha1(key.encode()).hexdigest()[:6]


def short(text: str, limit: int = 80) -> str:
    """One line, cut at `limit` characters."""
    s = " ".join((text or "").split())
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"
