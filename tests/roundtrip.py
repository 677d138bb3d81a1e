"""What "the same exchange" means for an export round trip: import(export(x)) == x.

Compared part by part, so a failure names what was lost: request method, URL, headers
(order and duplicates) and body bytes; response status, headers, body bytes, chunk table,
`truncated`; WebSocket messages (direction, text or binary, bytes, time); timings; the abort
flags; and, parsed again, the stream events' payloads and the usage. A format that cannot
carry a part says so with `without=` (e.g. a Batch input has no response at all).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from addon.wire.exchange import Exchange
from addon.wire.parse import parse_exchange

PARTS = (
    "request",
    "request_headers",
    "response",
    "response_headers",
    "chunks",
    "chunk_times",
    "websocket",
    "timings",
    "flags",
    "events",
    "usage",
)


def _times(values: Sequence[float | None], places: int) -> list[float | None]:
    return [None if v is None else round(v, places) for v in values]


def parts_of(ex: Exchange, places: int = 3) -> dict[str, Any]:
    """Each comparable part of an exchange (times rounded to `places` decimals of a ms)."""
    response = ex.response
    parsed = parse_exchange(ex)
    return {
        "request": (ex.request.method, ex.request.url, bytes(ex.request.body)),
        "request_headers": list(ex.request.headers),
        "response": None if response is None else (response.status, bytes(response.body)),
        "response_headers": None if response is None else list(response.headers),
        "chunks": None if response is None or response.chunks is None
        else [size for _, size in response.chunks],
        "chunk_times": None if response is None or response.chunks is None
        else _times([t for t, _ in response.chunks], places),
        "websocket": None if ex.websocket is None else [
            (m.from_client, m.is_text, bytes(m.content), None if m.offset_ms is None
             else round(m.offset_ms, places))
            for m in ex.websocket
        ],
        "timings": (
            ex.timings.started_at.timestamp() if ex.timings.started_at else None,
            *_times([ex.timings.ttfb_ms, ex.timings.duration_ms], places),
        ),
        "flags": (ex.aborted, response.truncated if response else False),
        "events": [(e.type, e.raw) for e in parsed.events],
        "usage": [u.to_json() for u in parsed.usages],
    }  # fmt: skip


def differences(
    before: Sequence[Exchange],
    after: Sequence[Exchange],
    without: Collection[str] = (),
    places: int = 3,
) -> list[str]:
    """What differs, one line per exchange and part (empty: the round trip kept everything
    but the parts named in `without`)."""
    if len(before) != len(after):
        return [f"{len(before)} exchanges exported, {len(after)} read back"]
    found = []
    for n, (a, b) in enumerate(zip(before, after, strict=True)):
        pa, pb = parts_of(a, places), parts_of(b, places)
        for part in PARTS:
            if part not in without and pa[part] != pb[part]:
                found.append(
                    f"exchange {n}: {part} differs: {pa[part]!r:.200} != {pb[part]!r:.200}"
                )
    return found
