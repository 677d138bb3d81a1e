"""Parsed exchanges -> rows for the store's tables (pure functions, no database)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa

from addon.wire.exchange import WsMessage
from addon.wire.final_response import usage_of
from addon.wire.result import ParsedExchange

from .ids import id_bytes
from .migrations_list import SEVERITY_RANK
from .redacted import redacted_parts
from .thread_keys import exchange_turns

# Ids are UUIDs in the database, 16-byte values in a batch (see addon/store/ids.py)
_UUID, _ID, _INT, _REAL, _BOOL = pa.uuid(), pa.int64(), pa.int32(), pa.float64(), pa.bool_()
_TEXT, _BYTES, _TIME = pa.string(), pa.binary(), pa.timestamp("us", tz="UTC")

# Each table's columns with the Arrow type of its column in the database (see migrations), so
# that a batch becomes Arrow arrays directly, with no type inference and no cast on insert.
COLUMNS: dict[str, tuple[tuple[str, pa.DataType], ...]] = {
    "captures": (
        ("capture_id", _UUID), ("mode", _TEXT), ("source", _TEXT), ("source_sha256", _TEXT),
        ("format", _TEXT), ("upstream", _TEXT), ("started_at", _TIME), ("ended_at", _TIME),
        ("respdeck_version", _TEXT), ("machine", _TEXT), ("user_name", _TEXT),
    ),
    "exchanges": (
        ("exchange_id", _UUID), ("capture_id", _UUID), ("seq", _ID), ("position", _INT),
        ("started_at", _TIME),
        ("ttfb_ms", _REAL), ("duration_ms", _REAL), ("endpoint", _TEXT), ("method", _TEXT),
        ("host", _TEXT), ("path", _TEXT), ("query", _TEXT), ("status", _INT),
        ("streamed", _BOOL), ("aborted", _BOOL), ("partial", _BOOL), ("model", _TEXT),
        ("response_id", _TEXT), ("previous_response_id", _TEXT), ("conversation_id", _TEXT),
        ("key_fingerprint", _TEXT), ("error_code", _TEXT), ("error_message", _TEXT),
        ("request_headers", _TEXT), ("response_headers", _TEXT), ("request_body", _BYTES),
        ("response_body", _BYTES), ("response_chunks", _TEXT), ("websocket", _TEXT),
        ("url", _TEXT), ("truncated", _BOOL), ("closed_early", _BOOL), ("abort_reason", _TEXT),
        ("websocket_frames", _TEXT), ("websocket_payload", _BYTES), ("redacted", _TEXT),
        # what the list shows (migrations_list): kept here, so sorting reads this table alone
        ("input_tokens", _ID), ("cached_tokens", _ID), ("cache_write_tokens", _ID),
        ("output_tokens", _ID), ("reasoning_tokens", _ID), ("total_tokens", _ID),
        ("response_count", _INT), ("response_status", _TEXT), ("response_model", _TEXT),
        ("service_tier", _TEXT), ("ttft_ms", _REAL), ("findings", _INT),
        ("worst_severity", _TEXT),
    ),
    "responses": (
        ("exchange_id", _UUID), ("response_id", _TEXT), ("object", _TEXT), ("status", _TEXT),
        ("incomplete_reason", _TEXT), ("error_code", _TEXT), ("service_tier", _TEXT),
        ("model", _TEXT), ("input_tokens", _ID), ("cached_tokens", _ID),
        ("cache_write_tokens", _ID), ("output_tokens", _ID), ("reasoning_tokens", _ID),
        ("total_tokens", _ID), ("raw", _TEXT), ("previous_response_id", _TEXT),
        ("conversation_id", _TEXT), ("response_index", _INT), ("session_key", _TEXT),
        ("content_hash", _ID), ("parent_hashes", pa.list_(_ID)), ("new_input_position", _INT),
    ),
    "items": (
        ("exchange_id", _UUID), ("direction", _TEXT), ("position", _INT), ("type", _TEXT),
        ("item_id", _TEXT), ("role", _TEXT), ("status", _TEXT), ("call_id", _TEXT),
        ("name", _TEXT), ("text", _TEXT), ("raw", _TEXT), ("response_index", _INT),
    ),
    "events": (
        ("exchange_id", _UUID), ("idx", _INT), ("sequence_number", _ID), ("t_ms", _REAL),
        ("type", _TEXT), ("output_index", _INT), ("item_id", _TEXT), ("content_index", _INT),
        ("delta", _TEXT), ("from_client", _BOOL), ("raw", _TEXT),
    ),
    "findings": (
        ("exchange_id", _UUID), ("code", _TEXT), ("severity", _TEXT), ("message", _TEXT),
        ("where", _TEXT), ("event_index", _INT), ("sequence_number", _ID), ("path", _TEXT),
    ),
}  # fmt: skip
TABLES: dict[str, tuple[str, ...]] = {
    table: tuple(name for name, _ in columns) for table, columns in COLUMNS.items()
}
SCHEMAS: dict[str, pa.Schema] = {table: pa.schema(columns) for table, columns in COLUMNS.items()}


@dataclass
class Batch:
    """Column lists per table, ready to become Arrow tables."""

    columns: dict[str, dict[str, list[Any]]] = field(
        default_factory=lambda: {t: {c: [] for c in cols} for t, cols in TABLES.items()}
    )
    body_bytes: int = 0  # raw request and response bytes held, to bound a batch's memory

    def add(self, table: str, *values: Any) -> None:
        for column, value in zip(self.columns[table].values(), values, strict=True):
            column.append(value)

    def rows(self, table: str) -> int:
        return len(next(iter(self.columns[table].values())))

    def models(self) -> set[tuple[str | None, str | None]]:
        """The (host, model) pairs of the batch's responses: who served a model prices it."""
        exchanges, responses = self.columns["exchanges"], self.columns["responses"]
        hosts = dict(zip(exchanges["exchange_id"], exchanges["host"], strict=True))
        return {
            (hosts.get(exchange_id), model)
            for exchange_id, model in zip(responses["exchange_id"], responses["model"], strict=True)
            if model
        }

    def arrow(self, table: str) -> pa.Table:
        """One table's rows as Arrow, built column by column with the database's types."""
        columns = self.columns[table]
        schema = SCHEMAS[table]
        return pa.Table.from_arrays(
            [pa.array(columns[f.name], type=f.type) for f in schema], schema=schema
        )


def _json(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, default=str)


_INT32 = range(-(2**31), 2**31)
_INT64 = range(-(2**63), 2**63)


def _int(value: Any, bounds: range = _INT64) -> int | None:
    """An int that fits its column (BIGINT, or INTEGER with _INT32); else None."""
    return value if type(value) is int and value in bounds else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def websocket_columns(
    messages: list[WsMessage] | None,
) -> tuple[str | None, str | None, bytes | None]:
    """(websocket, websocket_frames, websocket_payload) of a socket's messages.

    `websocket` is for reading: [[offset_ms, from_client, text], ...]. `websocket_frames` makes
    it exact: [[is_text, size], ...] where size is null when the message is its text in UTF-8,
    else the count of its bytes, which follow in `websocket_payload` (binary frames, text
    frames that are not valid UTF-8)."""
    if messages is None:
        return None, None, None
    shown, frames, payload = [], [], []
    for m in messages:
        try:
            text, size = m.content.decode(), None
        except UnicodeDecodeError:
            text, size = m.content.decode("utf-8", "replace"), len(m.content)
        if not m.is_text and size is None:
            size = len(m.content)
        if size is not None:
            payload.append(m.content)
        shown.append([m.offset_ms, m.from_client, text])
        frames.append([m.is_text, size])
    return _json(shown), _json(frames), b"".join(payload) if payload else None


def add_exchange(
    batch: Batch,
    exchange_id: str,
    capture_id: str,
    seq: int,
    parsed: ParsedExchange,
    *,
    earlier_delta_ms: float | None = None,
) -> None:
    """All rows of one parsed exchange; `seq` is its place in its capture. A stream in flight
    passes only its new events, and the arrival of a delta stored before them, if any, in
    `earlier_delta_ms` (its time to first token)."""
    ex = parsed.exchange
    request, response = ex.request, ex.response
    raw = parsed.response_raw or {}
    previous = parsed.request.previous_response_id or _str(raw.get("previous_response_id"))
    conversation = parsed.request.conversation_id or _conversation_of(raw)
    error = parsed.error
    websocket, frames, payload = websocket_columns(ex.websocket)
    uid = id_bytes(exchange_id)
    responses = _response_rows(parsed)
    batch.body_bytes += len(request.body) + (len(response.body) if response else 0)
    batch.body_bytes += len(payload) if payload else 0
    batch.add(
        "exchanges",
        uid,
        id_bytes(capture_id),
        seq,
        ex.index,
        ex.timings.started_at,
        ex.timings.ttfb_ms,
        ex.timings.duration_ms,
        parsed.endpoint,
        request.method,
        request.host,
        request.path,
        request.query or None,
        _int(parsed.status, _INT32),
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
        _json(response.chunks) if response and response.chunks is not None else None,
        websocket,
        request.url,
        response.truncated if response else None,
        ex.closed_early,
        ex.abort_reason,
        frames,
        payload,
        _json(redacted_parts(ex)),
        *_list_values(parsed, responses, earlier_delta_ms),
    )
    raws = [raw for raw, _ in responses]
    turns = exchange_turns(parsed, raws)
    fallback = _fallback(parsed)
    for index, ((response_raw, values), keys) in enumerate(zip(responses, turns.keys, strict=True)):
        batch.add(
            "responses",
            uid,
            *values,
            _json(response_raw),
            _str(response_raw.get("previous_response_id"))
            or (fallback.previous_response_id if fallback else None),
            _conversation_of(response_raw) or (fallback.conversation_id if fallback else None),
            index,
            keys.session_key,
            keys.content_hash,
            keys.parent_hashes or None,
            keys.new_input_position,
        )
    for item, response_index in zip(parsed.items, turns.item_response, strict=True):
        batch.add(
            "items",
            uid,
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
            response_index,
        )
    if parsed.events:
        _add_events(batch, uid, parsed)
    for finding in parsed.findings:
        batch.add(
            "findings",
            uid,
            finding.code,
            str(finding.severity),
            finding.message,
            finding.where,
            finding.event_index,
            _int(finding.sequence_number),
            finding.path,
        )


_NO_COLUMNS = (None, None, None, None)


def _add_events(batch: Batch, exchange_id: bytes, parsed: ParsedExchange) -> None:
    """The events table's rows: the hot loop of an import, so columns are appended directly."""
    columns = batch.columns["events"]
    exchange_ids, indexes, sequences, times, types = (
        columns["exchange_id"], columns["idx"], columns["sequence_number"], columns["t_ms"],
        columns["type"],
    )  # fmt: skip
    output_indexes, item_ids, content_indexes, deltas, from_clients, raws = (
        columns["output_index"], columns["item_id"], columns["content_index"],
        columns["delta"], columns["from_client"], columns["raw"],
    )  # fmt: skip
    for event in parsed.events:
        # taken by the parser while it had the dict: no second parse of the payload here
        output_index, item_id, content_index, delta = event.columns or _NO_COLUMNS
        exchange_ids.append(exchange_id)
        indexes.append(event.index)
        sequences.append(_int(event.sequence_number))
        times.append(event.t_ms)
        types.append(event.type)
        output_indexes.append(_int(output_index, _INT32))
        item_ids.append(item_id if type(item_id) is str else None)
        content_indexes.append(_int(content_index, _INT32))
        deltas.append(delta if type(delta) is str else None)
        from_clients.append(event.from_client)
        raws.append(event.raw)


def _fallback(parsed: ParsedExchange) -> Any:
    """A single response falls back on its request for model and threading; WebSocket turns
    have their own."""
    return parsed.request if not parsed.turns else None


# a response's columns from response_id to total_tokens, in the table's order
_STATUS, _TIER, _MODEL, _TOKENS, _OUTPUT = 2, 5, 6, (7, 13), 10


def _response_rows(parsed: ParsedExchange) -> list[tuple[dict[str, Any], tuple[Any, ...]]]:
    """(raw, its columns from response_id to total_tokens) per response of the exchange."""
    fallback = _fallback(parsed)
    out = []
    for raw in _responses(parsed):
        usage = usage_of(raw.get("usage"))
        details = raw.get("incomplete_details")
        err = raw.get("error")
        values = (
            _str(raw.get("id")),
            _str(raw.get("object")) or "response",
            _str(raw.get("status")),
            _str(details.get("reason")) if isinstance(details, dict) else None,
            _str(err.get("code")) if isinstance(err, dict) else None,
            _str(raw.get("service_tier")),
            _str(raw.get("model")) or (fallback.model if fallback else None),
            _int(usage.input_tokens) if usage else None,
            _int(usage.cached_tokens) if usage else None,
            _int(usage.cache_write_tokens) if usage else None,
            _int(usage.output_tokens) if usage else None,
            _int(usage.reasoning_tokens) if usage else None,
            _int(usage.total_tokens) if usage else None,
        )
        out.append((raw, values))
    return out


def _list_values(
    parsed: ParsedExchange,
    responses: list[tuple[dict[str, Any], tuple[Any, ...]]],
    earlier_delta_ms: float | None,
) -> tuple[Any, ...]:
    """The exchange's list columns, as migrations_list.fill_list_columns defines them in SQL:
    token counts summed (NULL when no response has one), the status of the first response
    with output tokens (else the first with a status), the one response's model and tier,
    the first delta's arrival, the findings' count and worst severity."""
    rows = [values for _, values in responses]
    sums = []
    for i in range(*_TOKENS):
        counts = [v[i] for v in rows if v[i] is not None]
        sums.append(_int(sum(counts)) if counts else None)
    statuses = [(v[_STATUS], v[_OUTPUT] is not None) for v in rows if v[_STATUS] is not None]
    status = next((s for s, out in statuses if out), statuses[0][0] if statuses else None)
    one = rows[0] if len(rows) == 1 else None
    firsts = [
        e.t_ms
        for e in parsed.events
        if e.t_ms is not None and not e.from_client and e.type and e.type.endswith(".delta")
    ]
    if earlier_delta_ms is not None:
        firsts.append(earlier_delta_ms)
    ranks = [SEVERITY_RANK.get(str(f.severity), 1) for f in parsed.findings]
    worst = {3: "error", 2: "warning", 1: "info"}[max(ranks)] if ranks else None
    return (
        *sums,
        len(rows),
        status,
        one[_MODEL] if one else None,
        one[_TIER] if one else None,
        min(firsts) if firsts else None,
        len(parsed.findings),
        worst,
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
