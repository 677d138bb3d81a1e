"""Canonical JSON: one byte form per JSON value, so equal values compare and hash equal.

Keys sorted, no whitespace, text as UTF-8 (not \\u escapes). Replay matching, content keys,
the diff and the cassette writer all compare JSON this way; none writes its own.
"""

from __future__ import annotations

from typing import Any

import orjson


def canonical_json(value: Any) -> bytes:
    """`value` as canonical JSON bytes (orjson: sorted keys, compact, UTF-8).

    Integers beyond 64 bits, which orjson refuses, fall back to the standard library with the
    same settings, so any value `json.loads` produced can be written.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        import json

        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_text(value: Any) -> str:
    """Canonical JSON as a string (for keys and comparisons held in memory)."""
    return canonical_json(value).decode()
