"""One side of a diff: what was asked, what came back, and what it cost, as plain data.

Built from a store (`sides.side_from_store`) or from a recording file through a scratch
store, so every number (tokens, cost, time to first token) has the one definition the store's
SQL gives it. The comparison itself (`document.diff_exchanges`) is pure over two of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

USAGE_FIELDS = (
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "reasoning_tokens",
    "total_tokens",
    "cost_usd",
)
TIMING_FIELDS = ("ttft_ms", "duration_ms")


@dataclass(slots=True)
class DiffSide:
    """An exchange to compare. `request` is the create body (a WebSocket session's last
    `response.create`); `response` the final response object (or the HTTP error body)."""

    label: str  # how it was named: a short id, a response id, FILE#N
    request: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] | None = None
    http_status: int | None = None
    endpoint: str | None = None
    usage: dict[str, float | int | None] = field(default_factory=dict)
    timing: dict[str, float | None] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)  # stream event type -> count
    findings: list[str] = field(default_factory=list)  # finding codes, one per finding
    exchange_id: str | None = None
    capture_id: str | None = None
    response_id: str | None = None
    started_at: str | None = None
    # the request as sent, for pairing by similarity (`--capture`): method, path, body
    method: str = "POST"
    path: str = ""
    request_body: bytes = b""
    turn_requests: list[dict[str, Any]] = field(default_factory=list)  # a WebSocket's creates
