"""A stored exchange back as the Exchange it was stored from, exactly.

Request and response bytes, headers (order and duplicates), chunk offsets and sizes, timings,
WebSocket messages (text and binary, direction, time), `truncated` and the abort flags come
back as stored: as the parser left them (it settles `aborted`, see parse.settle_abort), so
parsing a loaded exchange again gives the same rows. What it reads is only `execute(sql)`: a
Reader, a live one included, or a DuckDB connection.

The loaded exchange is a `StoredExchange`: an Exchange that also says where it is stored and
which of its parts were redacted (they hold fingerprints, not what was sent).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings, WsMessage

from .ids import as_uuid
from .redacted import redacted_parts


class Executes(Protocol):
    """A Reader, a Query or a DuckDB connection: what returns a DuckDB result for SQL."""

    def execute(self, sql: str) -> Any: ...


@dataclass(slots=True)
class StoredExchange(Exchange):
    """An Exchange as stored, with its ids and its redacted parts ("request.body",
    "response.body", "websocket.<index>"): non-empty means not what was sent."""

    exchange_id: str = ""
    capture_id: str = ""
    seq: int = 0
    redacted: tuple[str, ...] = ()


COLUMNS = (
    "exchange_id", "capture_id", "seq", "position", "started_at", "ttfb_ms", "duration_ms",
    "method", "url", "host", "path", "query", "status", "aborted", "closed_early",
    "abort_reason", "truncated", "request_headers", "response_headers", "request_body",
    "response_body", "response_chunks", "websocket", "websocket_frames", "websocket_payload",
    "redacted",
)  # fmt: skip
_SELECT = (
    "SELECT "
    + ", ".join(f"e.{c}" for c in COLUMNS)
    + ", c.mode AS capture_mode, c.source AS capture_source "
    "FROM exchanges e LEFT JOIN captures c ON c.capture_id = e.capture_id"
)


class NotStored(LookupError):
    """No exchange has that id."""


def load_exchange(reader: Executes, exchange_id: str) -> StoredExchange:
    """The exchange stored under `exchange_id` (NotStored if none is)."""
    found = _load(reader, f"WHERE e.exchange_id = '{as_uuid(exchange_id)}'")
    if not found:
        raise NotStored(exchange_id)
    return found[0]


def load_ids(reader: Executes, ids: Sequence[str]) -> list[StoredExchange]:
    """The exchanges of `ids`, in that order (NotStored naming the first id not stored)."""
    if not ids:
        return []
    listed = ", ".join(f"'{as_uuid(i)}'" for i in ids)
    found = {e.exchange_id: e for e in _load(reader, f"WHERE e.exchange_id IN ({listed})")}
    missing = next((i for i in ids if as_uuid(i) not in found), None)
    if missing is not None:
        raise NotStored(missing)
    return [found[as_uuid(i)] for i in ids]


def load_exchanges(reader: Executes, after: str | None, limit: int) -> list[StoredExchange]:
    """Up to `limit` exchanges in id order, after the id `after` (None: from the first): pages
    that hold whatever is written meanwhile to exchanges not yet reached."""
    where = f"WHERE e.exchange_id > '{as_uuid(after)}'" if after is not None else ""
    return _load(reader, f"{where} ORDER BY e.exchange_id LIMIT {int(limit)}")


def _load(reader: Executes, where: str) -> list[StoredExchange]:
    result = reader.execute(f"{_SELECT} {where}")
    names = [d[0] for d in result.description]
    return [from_row(dict(zip(names, values, strict=True))) for values in result.fetchall()]


def from_row(row: dict[str, Any]) -> StoredExchange:
    """The exchange from its stored columns (COLUMNS, capture_mode and capture_source)."""
    url = row["url"] or (
        f"https://{row['host'] or ''}{row['path']}" + (f"?{row['query']}" if row["query"] else "")
    )
    request = HttpRequest(
        row["method"], url, _pairs(row["request_headers"]), _bytes(row["request_body"])
    )
    response = None
    if row["response_headers"] is not None or row["response_body"] is not None:
        chunks = orjson.loads(row["response_chunks"]) if row["response_chunks"] else None
        response = HttpResponse(
            row["status"] or 0,
            _pairs(row["response_headers"]),
            _bytes(row["response_body"]),
            [(float(t), int(n)) for t, n in chunks] if chunks is not None else None,
            bool(row["truncated"]),
        )
    started = row["started_at"]
    exchange = StoredExchange(
        request,
        response,
        Timings(
            started.astimezone(UTC) if isinstance(started, datetime) else None,
            row["ttfb_ms"],
            row["duration_ms"],
        ),
        # an import's exchanges came from the file its capture names; a recording's had none
        source=(row.get("capture_source") or "") if row.get("capture_mode") == "import" else "",
        index=row["position"],
        websocket=websocket_messages(
            row["websocket"], row["websocket_frames"], row["websocket_payload"]
        ),
        aborted=bool(row["aborted"]),
        abort_reason=row["abort_reason"],
        closed_early=bool(row["closed_early"]),
        exchange_id=as_uuid(row["exchange_id"]),
        capture_id=as_uuid(row["capture_id"]),
        seq=int(row["seq"]),
    )
    if row["redacted"] is not None:
        exchange.redacted = tuple(orjson.loads(row["redacted"]))
    else:  # stored before the store said: recognised now, as the writer would
        exchange.redacted = tuple(redacted_parts(exchange))
    return exchange


def websocket_messages(
    shown: str | None, frames: str | None, payload: bytes | None
) -> list[WsMessage] | None:
    """The messages from rows.websocket_columns' three columns (frames: NULL before
    migration 5, when every message was stored as its text)."""
    if shown is None:
        return None
    texts: Iterable[Any] = orjson.loads(shown)
    kinds = orjson.loads(frames) if frames is not None else None
    data = memoryview(payload or b"")
    pos = 0
    messages = []
    for index, (offset, from_client, text) in enumerate(texts):
        is_text, size = kinds[index] if kinds is not None else (True, None)
        if size is None:
            content = str(text).encode()
        else:
            content = bytes(data[pos : pos + size])
            pos += size
        messages.append(WsMessage(offset, bool(from_client), content, bool(is_text)))
    return messages


def _bytes(value: Any) -> bytes:
    return bytes(value) if value is not None else b""


def _pairs(raw: str | None) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in orjson.loads(raw)] if raw else []
