"""JSON text for the store's columns: orjson, because every decision writes several rows of it (a lead
list thousands), and the standard library for what orjson refuses (integers past 64 bits)."""

from __future__ import annotations

import json
from typing import Any

import orjson

_KEYS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    """Compact JSON, non-ASCII kept as is; anything JSON has no type for is written as its str()."""
    try:
        return orjson.dumps(value, option=_KEYS | (orjson.OPT_SORT_KEYS if sort_keys else 0), default=str).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, default=str)


def loads(text: str) -> Any:
    return orjson.loads(text)
