"""Response body bytes -> stream events: content decoding, SSE framing, JSON, typing, timing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from pydantic import ValidationError

from .accumulate import TERMINAL
from .collect import Collector
from .decoding import BodyDecoder
from .exchange import HttpResponse, WsMessage, header
from .findings import Finding, Severity
from .lenient import Typed
from .models import type_label
from .result import StreamEvent, TooDeep, loads, too_deep
from .sse import MAX_LINE, SseDecoder
from .verdicts import event_verdict, flat_validator

SLICE = 1 << 16  # bodies recorded without chunking are decoded in 64 KiB slices
RAW_TEXT_LIMIT = 1 << 16  # invalid payloads are kept up to this many characters


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


# Events whose typed model is kept: the few that carry a whole Response.
_KEEP_MODEL = TERMINAL

EventSink = Callable[[int, dict[str, Any]], None]


class EventBuilder:
    """Turns payload strings into StreamEvents, typing each and noting problems.

    Every event is parsed and validated here, once; what is kept is the payload text (exact, and
    small) rather than the dict and model, which are rebuilt on demand. `sink` receives each
    parsed dict while it exists, so accumulation needs no second parse.
    """

    def __init__(self, collector: Collector, sink: EventSink | None = None) -> None:
        self.collector = collector
        self.events: list[StreamEvent] = []
        self.sink = sink

    def add_payload(
        self,
        payload: str,
        t_ms: float | None,
        sse_event: str | None = None,
        from_client: bool = False,
    ) -> None:
        # The hot path, inlined: a flat server event (a delta, a .done) that validates.
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            if too_deep(exc):
                self._invalid(payload, t_ms, sse_event, str(TooDeep()), from_client)
                return
            data = None
        if type(data) is dict and not from_client:
            kind = data.get("type")
            # a validator that builds nothing: the model is rebuilt when asked for
            validator = flat_validator(kind) if type(kind) is str else None
            if validator is not None:
                try:
                    validator.validate_python(data)
                except ValidationError:
                    pass  # the general path names what is wrong
                else:
                    index = len(self.events)
                    seq = data.get("sequence_number")
                    if type(seq) is not int:
                        seq = None
                    self.events.append(
                        StreamEvent(index, t_ms, kind, seq, payload, True, sse_event, False,
                                    (data.get("output_index"), data.get("item_id"),
                                     data.get("content_index"), data.get("delta")))
                    )  # fmt: skip
                    if self.sink is not None:
                        self.sink(index, data)
                    return
        if data is not None:
            self.add_json(data, payload, t_ms, sse_event, from_client)
            return
        self._add_slow(payload, t_ms, sse_event, from_client)

    def _add_slow(
        self, payload: str, t_ms: float | None, sse_event: str | None, from_client: bool
    ) -> None:
        """[DONE], JSON orjson refuses, several events in one payload, invalid payloads."""
        if payload.startswith("[DONE]"):
            return  # the end-of-stream marker some servers send: not an event
        try:
            data = json.loads(payload)  # orjson has refused it already (NaN, huge integers)
        except RecursionError:
            self._invalid(payload, t_ms, sse_event, str(TooDeep()), from_client)
            return
        except ValueError:
            if "\n" in payload and self._split_lines(payload, t_ms, sse_event):
                return
            self._invalid(payload, t_ms, sse_event, "not valid JSON", from_client)
            return
        self.add_json(data, payload, t_ms, sse_event, from_client)

    def _split_lines(self, payload: str, t_ms: float | None, sse_event: str | None) -> bool:
        """`data:` lines of several events with no blank line between them."""
        lines = [line for line in payload.split("\n") if line.strip()]
        try:
            parts = [loads(line) for line in lines]
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
        for part, line in zip(parts, lines, strict=True):
            self.add_json(part, line, t_ms, sse_event)
        return True

    def _invalid(
        self,
        payload: str,
        t_ms: float | None,
        sse_event: str | None,
        why: str,
        from_client: bool = False,
    ) -> None:
        index = len(self.events)
        what = "client message" if from_client else "event payload"
        self.collector.add(
            Finding(
                "json_invalid", Severity.ERROR, f"{what} is {why} ({len(payload)} chars)", index
            )
        )
        raw = payload[:RAW_TEXT_LIMIT]
        self.events.append(StreamEvent(index, t_ms, None, None, raw, False, sse_event, from_client))

    def add_json(
        self,
        data: Any,
        payload: str,
        t_ms: float | None,
        sse_event: str | None = None,
        from_client: bool = False,
    ) -> None:
        index = len(self.events)
        if type(data) is not dict:
            self._invalid(payload, t_ms, sse_event, "not a JSON object", from_client)
            return
        seq = data.get("sequence_number")
        if type(seq) is not int:
            seq = None
        columns = (data.get("output_index"), data.get("item_id"), data.get("content_index"),
                   data.get("delta"))  # fmt: skip
        if from_client:
            kind = data.get("type")
            self.events.append(
                StreamEvent(
                    index, t_ms, type_label(kind), seq, payload, True, sse_event, True, columns
                )
            )
            return
        kind, typed = event_verdict(data)
        if typed.mismatches or typed.unknown or typed.missing:
            self.collector.typed(type_label(kind), typed, "event", index, seq)
        event = StreamEvent(index, t_ms, kind, seq, payload, True, sse_event, False, columns)
        if isinstance(typed, Typed) and kind in _KEEP_MODEL:
            event.keep_model(typed.model)
        self.events.append(event)
        if self.sink is not None:
            self.sink(index, data)


def sse_events(
    response: HttpResponse, collector: Collector, sink: EventSink | None = None
) -> tuple[list[StreamEvent], int]:
    """Decode an SSE body; returns the events and the number of decoded bytes."""
    builder = EventBuilder(collector, sink)
    decoder = SseDecoder()
    last: float | None = None
    size = 0
    add = builder.add_payload
    for offset, data in decoded_body(response, collector):
        size += len(data)
        last = offset if offset is not None else last
        for payload, name, _, _ in decoder.feed_fields(data):
            add(payload, offset, name)
    for payload, name, _, _ in decoder.close_fields():
        add(payload, last, name)
    decoder_findings(decoder, collector, len(builder.events))
    return builder.events, size


def decoder_findings(decoder: SseDecoder, collector: Collector, count: int) -> None:
    """What the SSE decoder noticed once the body ended (`count`: the events built)."""
    if decoder.merged_events:
        collector.add(
            Finding(
                "sse_missing_blank_line",
                Severity.WARNING,
                f"{decoder.merged_events} SSE events started without a blank line",
            )
        )
    if decoder.overlong_lines:
        collector.add(
            Finding(
                "sse_line_too_long",
                Severity.ERROR,
                f"{decoder.overlong_lines} SSE line(s) longer than {MAX_LINE >> 20} MiB were cut",
            )
        )
    if decoder.unterminated:
        collector.add(
            Finding(
                "sse_unterminated",
                Severity.INFO,
                "the stream ended inside an event (no final blank line)",
                count - 1 if count else None,
            )
        )


def websocket_events(
    messages: list[WsMessage], collector: Collector, sink: EventSink | None = None
) -> list[StreamEvent]:
    """WebSocket mode: each message is one JSON event; client messages are kept as such."""
    builder = EventBuilder(collector, sink)
    for message in messages:
        text = message.content.decode("utf-8", "replace")
        builder.add_payload(text, message.offset_ms, None, from_client=message.from_client)
    return builder.events
