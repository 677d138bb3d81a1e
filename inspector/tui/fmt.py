"""Plain formatting of numbers, times and sizes for the TUI (no Textual, no database)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any


def tokens(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def cost(value: float | None, priced: bool = True) -> str:
    """Dollars; '?' for a response that has tokens but no price."""
    if value is None:
        return "" if priced else "?"
    if value == 0:
        return "0"
    if value < 0.0001:
        return f"{value:.6f}"
    if value < 100:
        return f"{value:.4f}"
    return f"{value:,.2f}"


def ms(value: float | None) -> str:
    """A duration given in milliseconds, always with its unit: 0.4ms, 608ms, 4.3s, 2m05.
    The one way every screen shows a time (the list's cells fit in six characters)."""
    if value is None:
        return ""
    if value < 9.95:
        return f"{value:.1f}ms"  # a local upstream answers in under a millisecond
    if value < 999.5:
        return f"{value:.0f}ms"
    if value < 59_950:
        return f"{value / 1000:.1f}s"
    minutes, seconds = divmod(round(value / 1000), 60)
    return f"{minutes}m{seconds:02d}"


def when(value: datetime | None, full: bool = False) -> str:
    """Local time: 05-22 17:41:12 in the list, with the year and milliseconds in full."""
    if value is None:
        return ""
    local = value.astimezone() if value.tzinfo else value
    if full:
        stamp = local.strftime("%Y-%m-%d %H:%M:%S")
        return f"{stamp}.{local.microsecond // 1000:03d} {local.strftime('%Z')}".rstrip()
    return local.strftime("%m-%d %H:%M:%S")


def size(n: int | None) -> str:
    if n is None:
        return ""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024 / 1024:.1f} MiB"


def fit(text: str, width: int) -> str:
    """Cut or pad to exactly `width` cells (one cell per character; wide characters aside)."""
    if width <= 0:
        return ""
    if len(text) > width:
        return text[: max(width - 1, 0)] + "…"
    return text.ljust(width)


def one_line(text: str | None, limit: int = 200) -> str:
    """Whitespace and line breaks shown visibly, cut to `limit` characters."""
    if not text:
        return ""
    out = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    return out if len(out) <= limit else out[: limit - 1] + "…"


def pretty_json(text: str | bytes | None) -> str | None:
    """Indented JSON, or None when `text` is not JSON."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return None
    return json.dumps(value, indent=2, ensure_ascii=False)


def loads(text: str | bytes | None) -> Any:
    """json.loads that gives None for anything that is not JSON."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return None


def headers(text: str | None) -> list[tuple[str, str]]:
    """Stored headers ([[name, value], ...]) as pairs."""
    value = loads(text)
    if not isinstance(value, list):
        return []
    return [(str(p[0]), str(p[1])) for p in value if isinstance(p, list | tuple) and len(p) == 2]


def compact(value: Any, limit: int = 120) -> str:
    """A value as short JSON on one line."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return one_line(text, limit)
