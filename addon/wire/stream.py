"""Response body bytes -> stream events: content decoding, SSE framing, JSON, typing, timing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson

from .collect import Collector
from .decoding import BodyDecoder
from .exchange import HttpResponse, WsMessage, header
from .findings import Finding, Severity
from .result import StreamEvent
from .sse import SseDecoder
from .typing_ import EVENT_ALIASES, Typed, build, type_event

SLICE = 1 << 16  # bodies recorded without chunking are decoded in 64 KiB slices
RAW_TEXT_LIMIT = 1 << 16  # invalid payloads are kept up to this many characters

try:
    from openai.types.responses import ResponseErrorEvent
except ImportError:  # pragma: no cover - every supported openai has it
    ResponseErrorEvent = None  # type: ignore[assignment,misc]


def loads(data: str | bytes) -> Any:
    """orjson, falling back to json for what orjson refuses (NaN, huge integers)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def iter_body(response: HttpResponse) -> Iterator[tuple[float | None, memoryview]]:
    """Chunks as recorded; an unchunked body in bounded slices."""
    for offset, chunk in response.iter_chunks():
        if len(chunk) <= SLICE:
            yield offset, chunk
        else:
            for start in range(0, len(chunk), SLICE):
                yield offset, chunk[start : start + SLICE]


def decoded_body(
    response: HttpResponse, collector: Collector
) -> Iterator[tuple[float | None, bytes]]:
    """Content-decoded body pieces with their arrival offsets; problems become findings."""
    decoder = BodyDecoder(header(response.headers, "content-encoding"))
    if decoder.unsupported:
        collector.add(
            Finding(
                "unsupported_encoding",
                Severity.WARNING,
                f"cannot decode Content-Encoding {', '.join(decoder.unsupported)}",
            )
        )
    last: float | None = None
    for offset, chunk in iter_body(response):
        last = offset if offset is not None else last
        out = decoder.feed(chunk)
        if out:
            yield offset, out
    tail = decoder.close()
    if tail:
        yield last, tail
    if decoder.mismatch:
        collector.add(
            Finding(
                "encoding_mismatch",
                Severity.INFO,
                "Content-Encoding header over a body that is not encoded",
            )
        )
    if decoder.error:
        collector.add(Finding("body_decode_error", Severity.ERROR, decoder.error))


def _typed_error(data: dict[str, Any]) -> Typed:
    """The nested error form {type:error, error:{...}} typed as the flat SDK model."""
    inner = data.get("error") if isinstance(data.get("error"), dict) else {}
    flat = {"type": "error", "sequence_number": data.get("sequence_number")}
    flat.update({k: inner.get(k) for k in ("code", "message", "param")})
    typed = build(ResponseErrorEvent, flat)
    return Typed(typed.model, typed.mismatches)


class EventBuilder:
    """Turns payload strings into StreamEvents, typing each and noting problems."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self.events: list[StreamEvent] = []
        self.done_marker = False

    def add_payload(
        self,
        payload: str,
        t_ms: float | None,
        sse_event: str | None = None,
        from_client: bool = False,
    ) -> None:
        if payload == "[DONE]" or payload.startswith("[DONE]"):
            self.done_marker = True
            return
        try:
            data = loads(payload)
        except ValueError:
            if "\n" in payload and self._split_lines(payload, t_ms, sse_event):
                return
            self._invalid(payload, t_ms, sse_event, "not valid JSON")
            return
        self.add_json(data, t_ms, sse_event, from_client)

    def _split_lines(self, payload: str, t_ms: float | None, sse_event: str | None) -> bool:
        """`data:` lines of several events with no blank line between them."""
        try:
            parts = [loads(line) for line in payload.split("\n") if line.strip()]
        except ValueError:
            return False
        if not all(isinstance(p, dict) for p in parts):
            return False
        self.collector.add(
            Finding(
                "sse_missing_blank_line",
                Severity.WARNING,
                f"{len(parts)} events in one SSE event (no blank line between them)",
                len(self.events),
            )
        )
        for part in parts:
            self.add_json(part, t_ms, sse_event)
        return True

    def _invalid(self, payload: str, t_ms: float | None, sse_event: str | None, why: str) -> None:
        index = len(self.events)
        self.collector.add(
            Finding(
                "json_invalid",
                Severity.ERROR,
                f"event payload is {why} ({len(payload)} chars)",
                index,
            )
        )
        self.events.append(
            StreamEvent(index, t_ms, None, None, None, None, sse_event, payload[:RAW_TEXT_LIMIT])
        )

    def add_json(
        self, data: Any, t_ms: float | None, sse_event: str | None = None, from_client: bool = False
    ) -> None:
        index = len(self.events)
        if not isinstance(data, dict):
            self._invalid(json.dumps(data)[:RAW_TEXT_LIMIT], t_ms, sse_event, "not a JSON object")
            return
        kind = data.get("type")
        seq = data.get("sequence_number")
        seq = seq if isinstance(seq, int) and not isinstance(seq, bool) else None
        if from_client:
            self.events.append(
                StreamEvent(index, t_ms, str(kind), seq, data, None, sse_event, from_client=True)
            )
            return
        if kind is None and isinstance(data.get("error"), dict):
            kind = "error"  # a bare {"error": {...}} payload inside a stream
        if kind == "error" and isinstance(data.get("error"), dict):
            typed = _typed_error(data)
        else:
            typed = type_event(data)
        name = EVENT_ALIASES.get(kind, kind) if isinstance(kind, str) else None
        self.collector.typed(str(name), typed, "event", index, seq)
        self.events.append(StreamEvent(index, t_ms, name, seq, data, typed.model, sse_event))


def sse_events(response: HttpResponse, collector: Collector) -> tuple[list[StreamEvent], int]:
    """Decode an SSE body; returns the events and the number of decoded bytes."""
    builder = EventBuilder(collector)
    decoder = SseDecoder()
    last: float | None = None
    size = 0
    for offset, data in decoded_body(response, collector):
        size += len(data)
        last = offset if offset is not None else last
        for ev in decoder.feed(data):
            builder.add_payload(ev.data, offset, ev.event)
    for ev in decoder.close():
        builder.add_payload(ev.data, last, ev.event)
    if decoder.merged_events:
        collector.add(
            Finding(
                "sse_missing_blank_line",
                Severity.WARNING,
                f"{decoder.merged_events} SSE events started without a blank line",
            )
        )
    if decoder.unterminated:
        collector.add(
            Finding(
                "sse_unterminated",
                Severity.INFO,
                "the stream ended inside an event (no final blank line)",
                len(builder.events) - 1 if builder.events else None,
            )
        )
    return builder.events, size


def websocket_events(messages: list[WsMessage], collector: Collector) -> list[StreamEvent]:
    """WebSocket mode: each message is one JSON event; client messages are kept as such."""
    builder = EventBuilder(collector)
    for message in messages:
        text = message.content.decode("utf-8", "replace")
        builder.add_payload(text, message.offset_ms, None, from_client=message.from_client)
    return builder.events
