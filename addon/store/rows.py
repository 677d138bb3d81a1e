"""Parsed exchanges -> rows for the store's tables (pure functions, no database)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson

from addon.wire.final import usage_of
from addon.wire.result import ParsedExchange

TABLES: dict[str, tuple[str, ...]] = {
    "captures": (
        "capture_id", "mode", "source", "source_sha256", "format", "upstream", "started_at",
        "ended_at", "respdeck_version",
    ),
    "exchanges": (
        "exchange_id", "capture_id", "position", "started_at", "ttfb_ms", "duration_ms",
        "endpoint", "method", "host", "path", "query", "status", "streamed", "aborted", "partial",
        "model", "response_id", "previous_response_id", "conversation_id", "key_fingerprint",
        "error_code", "error_message", "request_headers", "response_headers", "request_body",
        "response_body", "response_chunks", "websocket", "url",
    ),
    "responses": (
        "exchange_id", "response_id", "object", "status", "incomplete_reason", "error_code",
        "service_tier", "model", "input_tokens", "cached_tokens", "cache_write_tokens",
        "output_tokens", "reasoning_tokens", "total_tokens", "raw", "previous_response_id",
        "conversation_id",
    ),
    "items": (
        "exchange_id", "direction", "position", "type", "item_id", "role", "status", "call_id",
        "name", "text", "raw",
    ),
    "events": (
        "exchange_id", "idx", "sequence_number", "t_ms", "type", "output_index", "item_id",
        "content_index", "delta", "from_client", "raw",
    ),
    "findings": (
        "exchange_id", "code", "severity", "message", "where", "event_index", "sequence_number",
        "path",
    ),
}  # fmt: skip


@dataclass
class Batch:
    """Column lists per table, ready to become Arrow tables."""

    columns: dict[str, dict[str, list[Any]]] = field(
        default_factory=lambda: {t: {c: [] for c in cols} for t, cols in TABLES.items()}
    )

    def add(self, table: str, *values: Any) -> None:
        for column, value in zip(self.columns[table].values(), values, strict=True):
            column.append(value)

    def rows(self, table: str) -> int:
        return len(next(iter(self.columns[table].values())))


def _json(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, default=str)


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def add_exchange(batch: Batch, exchange_id: int, capture_id: int, parsed: ParsedExchange) -> None:
    """All rows of one parsed exchange."""
    ex = parsed.exchange
    request, response = ex.request, ex.response
    raw = parsed.response_raw or {}
    previous = parsed.request.previous_response_id or _str(raw.get("previous_response_id"))
    conversation = parsed.request.conversation_id or _conversation_of(raw)
    error = parsed.error
    websocket = None
    if ex.websocket is not None:
        websocket = _json(
            [
                [m.offset_ms, m.from_client, m.content.decode("utf-8", "replace")]
                for m in ex.websocket
            ]
        )
    batch.add(
        "exchanges",
        exchange_id,
        capture_id,
        ex.index,
        ex.timings.started_at,
        ex.timings.ttfb_ms,
        ex.timings.duration_ms,
        parsed.endpoint,
        request.method,
        request.host,
        request.path,
        request.query or None,
        parsed.status,
        parsed.streamed,
        ex.aborted,
        parsed.partial,
        parsed.model,
        parsed.response_id,
        previous,
        conversation,
        ex.key_fingerprint,
        error.code if error else None,
        error.message if error else None,
        _json(request.headers),
        _json(response.headers) if response else None,
        request.body,
        response.body if response else None,
        _json(response.chunks) if response and response.chunks else None,
        websocket,
        request.url,
    )
    # A single response falls back on its request for these; WebSocket turns have their own.
    fallback = parsed.request if not parsed.turns else None
    for response_raw in _responses(parsed):
        usage = usage_of(response_raw.get("usage"))
        details = response_raw.get("incomplete_details")
        err = response_raw.get("error")
        batch.add(
            "responses",
            exchange_id,
            _str(response_raw.get("id")),
            _str(response_raw.get("object")) or "response",
            _str(response_raw.get("status")),
            _str(details.get("reason")) if isinstance(details, dict) else None,
            _str(err.get("code")) if isinstance(err, dict) else None,
            _str(response_raw.get("service_tier")),
            _str(response_raw.get("model")) or (fallback.model if fallback else None),
            usage.input_tokens if usage else None,
            usage.cached_tokens if usage else None,
            usage.cache_write_tokens if usage else None,
            usage.output_tokens if usage else None,
            usage.reasoning_tokens if usage else None,
            usage.total_tokens if usage else None,
            _json(response_raw),
            _str(response_raw.get("previous_response_id"))
            or (fallback.previous_response_id if fallback else None),
            _conversation_of(response_raw) or (fallback.conversation_id if fallback else None),
        )
    for item in parsed.items:
        batch.add(
            "items",
            exchange_id,
            item.direction,
            item.position,
            item.type,
            item.id,
            item.role,
            item.status,
            item.call_id,
            item.name,
            item.text,
            _json(item.raw),
        )
    for event in parsed.events:
        data = event.data if event.valid else None
        get = data.get if isinstance(data, dict) else (lambda _key: None)
        delta = get("delta")
        batch.add(
            "events",
            exchange_id,
            event.index,
            event.sequence_number,
            event.t_ms,
            event.type,
            _int(get("output_index")),
            _str(get("item_id")),
            _int(get("content_index")),
            delta if isinstance(delta, str) else None,
            event.from_client,
            event.raw,
        )
    for finding in parsed.findings:
        batch.add(
            "findings",
            exchange_id,
            finding.code,
            str(finding.severity),
            finding.message,
            finding.where,
            finding.event_index,
            _int(finding.sequence_number),
            finding.path,
        )


def _conversation_of(raw: dict[str, Any]) -> str | None:
    conversation = raw.get("conversation")
    if isinstance(conversation, dict):
        return _str(conversation.get("id"))
    return _str(conversation)


def _responses(parsed: ParsedExchange) -> list[dict[str, Any]]:
    """The response objects an exchange carries: one, or one per WebSocket turn."""
    if parsed.turns:
        return [raw for _, raw in parsed.turns]
    return [parsed.response_raw] if parsed.response_raw is not None else []
