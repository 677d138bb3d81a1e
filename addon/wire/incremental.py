"""A stream still arriving, parsed as it grows: each byte is decoded, typed and accumulated once.

The recorder shows a stream in flight as provisional rows that grow (addon/recorder/in_flight).
Parsing the whole partial stream again at each refresh costs time quadratic in its events; an
`IncrementalStream` keeps the SSE decoder, the event builder, the accumulator and the checks
that run over all events (sequence numbers, error events) between refreshes, and `view` gives
what `parse_exchange` gives for the bytes so far: the same events, response, items, findings.

The end of a partial stream is read as parse_exchange reads it, as if the stream ended there
(a last event without its blank line is dispatched, a cut payload is invalid): on copies
(`fork`) of the decoder, accumulator and collector, so the next bytes continue from the state
before. Those tail events are tentative: `view` says which events are stable (they never change)
and which may read otherwise once more bytes arrive.

Only what the incremental path reproduces exactly goes this way: an HTTP event stream without
Content-Encoding, declared as one. Anything else (`eligible` says) is parsed whole each time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .accumulate import Accumulator
from .body_events import EventBuilder, decoder_findings
from .collect import Collector
from .endpoints import classify
from .exchange import Exchange, header
from .findings import MAX_LISTED, Finding, Severity
from .parse import _http_error, settle_abort
from .request import parse_request
from .result import ParsedExchange, StreamEvent
from .sse import SseDecoder
from .stream_assembly import finish_stream


def eligible(exchange: Exchange) -> bool:
    """Whether `IncrementalStream` parses this exchange exactly as parse_exchange does."""
    response = exchange.response
    if exchange.websocket is not None or response is None:
        return False
    if header(response.headers, "content-encoding"):
        return False
    return "text/event-stream" in (header(response.headers, "content-type") or "").lower()


class SequenceCheck:
    """findings.check_sequence, one event at a time. A fork reads the set of numbers seen
    through to its parent (which does not change while the fork is in use): no copy."""

    __slots__ = ("_base", "_seen", "counts", "first_missing", "last", "listed", "missing")

    def __init__(self, base: set[int] | frozenset[int] = frozenset()) -> None:
        self._base = base
        self._seen: set[int] = set()
        self.counts: dict[str, int] = {}
        self.listed: list[Finding] = []
        self.last: int | None = None
        self.missing = 0
        self.first_missing: int | None = None

    def fork(self) -> SequenceCheck:
        assert not self._base, "a fork of a fork is not needed"
        other = SequenceCheck(self._seen)
        other.counts = dict(self.counts)
        other.listed = list(self.listed)
        other.last, other.missing, other.first_missing = self.last, self.missing, self.first_missing
        return other

    def add(self, index: int, seq: object) -> None:
        if not isinstance(seq, int) or isinstance(seq, bool):
            self.missing += 1
            if self.first_missing is None:
                self.first_missing = index
            return
        last = self.last
        if seq in self._seen or seq in self._base:
            self._note("sequence_duplicate", f"sequence_number {seq} seen before", index, seq)
        elif last is not None and seq < last:
            self._note("sequence_reorder", f"sequence_number {seq} after {last}", index, seq)
        elif last is not None and seq > last + 1:
            self._note("sequence_gap", f"sequence_number jumps from {last} to {seq}", index, seq)
        self._seen.add(seq)
        self.last = seq if last is None else max(last, seq)

    def _note(self, code: str, message: str, index: int, seq: int) -> None:
        self.counts[code] = self.counts.get(code, 0) + 1
        if self.counts[code] <= MAX_LISTED:
            self.listed.append(Finding(code, Severity.WARNING, message, index, seq))

    def findings(self) -> list[Finding]:
        out = list(self.listed)
        for code, count in self.counts.items():
            if count > MAX_LISTED:
                out.append(
                    Finding(code, Severity.WARNING, f"{count - MAX_LISTED} more {code} not listed")
                )
        if self.missing:
            out.append(
                Finding(
                    "sequence_missing",
                    Severity.WARNING,
                    f"{self.missing} event(s) without an integer sequence_number",
                    self.first_missing,
                )
            )
        return out


@dataclass(slots=True)
class InFlightView:
    """The stream so far, as parse_exchange parses it, less the events the caller has.

    `parsed.events` are the events from index `since` on; the first `stable` events of the
    stream never change, those from `stable` on (at most the unfinished tail's) may."""

    parsed: ParsedExchange
    since: int
    stable: int
    first_delta: StreamEvent | None  # the stream's first `.delta` event, wherever it is


class IncrementalStream:
    """Feed the body's chunks as they arrive (`feed`); `view` the exchange at any point."""

    def __init__(self, exchange: Exchange) -> None:
        request = exchange.request
        self.endpoint = classify(request.method, request.path, websocket=False)
        self.collector = Collector()  # the request's findings first, as parse_exchange's
        self.request = parse_request(request, self.endpoint, self.collector)
        self.acc = Accumulator()
        self.builder = EventBuilder(self.collector, self.acc.feed)
        self.decoder = SseDecoder()
        self.sequence = SequenceCheck()
        self.errors: list[StreamEvent] = []
        self.first_delta: StreamEvent | None = None
        self.size = 0  # bytes decoded
        self.last: float | None = None  # the last chunk's arrival with one
        self._noted = 0  # events seen by the checks

    def feed(self, chunks: Iterable[tuple[float | None, bytes | memoryview]]) -> None:
        """Decode more of the body: (arrival offset in ms, bytes) per chunk, in order."""
        add = self.builder.add_payload
        for offset, data in chunks:
            if not data:
                continue
            self.size += len(data)
            if offset is not None:
                self.last = offset
            for payload, name, _, _ in self.decoder.feed_fields(data):
                add(payload, offset, name)
        events = self.builder.events
        first = _note(events[self._noted :], self.sequence, self.errors)
        self.first_delta = self.first_delta or first
        self._noted = len(events)

    def view(self, exchange: Exchange, since: int = 0) -> InFlightView:
        """parse_exchange(exchange) for the body fed so far, its events from `since` on.

        `exchange` is what the rows are written from (timings, head, as much body as the
        caller writes); the parse uses only its request, status and headers."""
        builder, events = self.builder, self.builder.events
        stable = len(events)
        decoder, collector, acc = self.decoder.fork(), self.collector.fork(), self.acc.fork()
        sequence, errors = self.sequence.fork(), list(self.errors)
        builder.collector, builder.sink = collector, acc.feed
        try:
            for payload, name, _, _ in decoder.close_fields():
                builder.add_payload(payload, self.last, name)
            tail_first = _note(events[stable:], sequence, errors)
            first = self.first_delta or tail_first
            decoder_findings(decoder, collector, len(events))
            parsed = ParsedExchange(exchange, self.endpoint, self.request, streamed=True)
            parsed.items.extend(self.request.input_items)
            parsed.events = events
            finish_stream(
                parsed, collector, self.size, acc, sequence=sequence.findings(), errors=errors
            )
            _http_error(parsed, collector)
            settle_abort(parsed, collector)
            parsed.findings = collector.finish()
            parsed.unknown_types = collector.unknown_types
            parsed.events = events[since:]
        finally:
            builder.collector, builder.sink = self.collector, self.acc.feed
            del events[stable:]
        return InFlightView(parsed, since, stable, first)


def _note(
    events: list[StreamEvent], sequence: SequenceCheck, errors: list[StreamEvent]
) -> StreamEvent | None:
    """Run the checks over more events; returns the first `.delta` among them that has an
    arrival time (what the exchange's time to first token is read from)."""
    first = None
    for event in events:
        kind = event.type
        if kind is not None and kind != "keepalive":
            sequence.add(event.index, event.sequence_number)
        if kind == "error" and not event.from_client:
            errors.append(event)
        if first is None and kind and kind.endswith(".delta") and event.t_ms is not None:
            first = event
    return first
