"""A stream parsed as it grows (addon/wire/incremental) reads, at every cut, exactly as the
whole partial stream parsed by parse_exchange: events, response, items, findings, rows."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addon.importers import load_file
from addon.store.rows import Batch, add_exchange
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse
from addon.wire.findings import check_sequence
from addon.wire.incremental import IncrementalStream, SequenceCheck, eligible
from addon.wire.parse import parse_exchange
from addon.wire.result import ParsedExchange, StreamEvent
from tests.helpers import API, ROOT, sse_body, text_stream

RECORDINGS = [
    ex
    for name in (
        "stream_text.har",
        "reasoning.har",
        "web_search.har",
        "stream_error.har",
        "function_call_roundtrip.har",
        "stream_cut.har",
    )
    for ex in load_file(ROOT / "recordings" / name)
    if ex.response is not None and eligible(ex)
]


def odd_stream() -> bytes:
    """What the decoder and builder handle leniently, each once: comments, CRLF, an event
    with no blank line before the next, invalid JSON, [DONE], a gap and a repeat in the
    sequence numbers, an error event, a function call, non-ASCII text, an event after the
    terminal one."""
    events = text_stream(["caf\u00e9 ", "\u2713 ", "\U0001f600 done"])
    body = sse_body(events[:5]).decode()
    body += ": keepalive\r\n\r\n"
    body += (
        "event: response.output_text.delta\r\ndata: "
        + json.dumps({**events[5], "sequence_number": 9})
        + "\r\nevent: response.output_text.delta\r\ndata: "
        + json.dumps({**events[6], "sequence_number": 9})
        + "\r\n\r\n"
    )
    body += "data: {not json\n\n"
    body += "data: " + json.dumps({"type": "error", "code": "x", "message": "boom"}) + "\n\n"
    call = {
        "type": "response.function_call_arguments.delta",
        "output_index": 1,
        "item_id": "fc_1",
        "delta": '{"a": ',
    }
    body += "data: " + json.dumps(call) + "\n\n"
    body += sse_body(events[7:]).decode()
    body += "data: [DONE]\n\n"
    body += "data: " + json.dumps({"type": "response.in_progress", "sequence_number": 99})
    return body.encode()  # no final blank line


def exchange_of(body: bytes, chunks: list[tuple[float, int]]) -> Exchange:
    request = {"model": "gpt-4o", "input": "hi", "stream": True}
    return Exchange(
        HttpRequest(
            "POST",
            f"{API}/responses",
            [("content-type", "application/json")],
            json.dumps(request).encode(),
        ),
        HttpResponse(200, [("content-type", "text/event-stream")], body, chunks),
    )


def event_key(e: StreamEvent) -> tuple[Any, ...]:
    return (
        e.index,
        e.t_ms,
        e.type,
        e.sequence_number,
        e.raw,
        e.valid,
        e.sse_event,
        e.from_client,
        e.columns,
    )


def rows_of(parsed: ParsedExchange) -> dict[str, Any]:
    """The rows the store gets for it, less events (compared as events)."""
    batch = Batch()
    add_exchange(
        batch,
        "00000000-0000-0000-0000-000000000001",
        "00000000-0000-0000-0000-000000000002",
        -1,
        parsed,
    )
    return {
        table: columns
        for table, columns in batch.columns.items()
        if table not in ("events", "exchanges")
    }


def check_every_cut(exchange: Exchange, cuts: list[int]) -> None:
    """Grow a stream chunk by chunk, comparing the view with a whole parse at each cut
    (a chunk count); events kept as a live store keeps them: stable ones once, the rest
    replaced at the next view."""
    response = exchange.response
    assert response is not None and response.chunks
    pieces = [(ms, bytes(data)) for ms, data in response.iter_chunks()]
    head = Exchange(exchange.request, HttpResponse(response.status, response.headers, b""))
    stream = IncrementalStream(head)
    stored: list[StreamEvent] = []
    fed = stable = 0
    for cut in cuts:
        stream.feed(pieces[fed:cut])
        fed = cut
        body = b"".join(data for _, data in pieces[:cut])
        partial = exchange_of(body, [(ms or 0.0, len(d)) for ms, d in pieces[:cut]])
        partial.request = exchange.request
        view = stream.view(partial, stable)
        assert view.since == stable
        stored = stored[: view.since] + view.parsed.events
        stable = view.stable
        whole = parse_exchange(partial)
        assert [event_key(e) for e in stored] == [event_key(e) for e in whole.events], cut
        assert view.parsed.response_raw == whole.response_raw, cut
        assert view.parsed.partial == whole.partial
        assert view.parsed.error == whole.error
        assert view.parsed.usage == whole.usage
        assert type(view.parsed.response) is type(whole.response)
        assert [
            (f.code, f.severity, f.message, f.event_index, f.sequence_number, f.path)
            for f in view.parsed.findings
        ] == [
            (f.code, f.severity, f.message, f.event_index, f.sequence_number, f.path)
            for f in whole.findings
        ], cut
        assert view.parsed.unknown_types == whole.unknown_types
        assert rows_of(view.parsed) == rows_of(whole), cut
        firsts = [
            e for e in whole.events if e.type and e.type.endswith(".delta") and e.t_ms is not None
        ]
        first = view.first_delta
        assert (event_key(first) if first else None) == (event_key(firsts[0]) if firsts else None)


def rechunked(body: bytes, bounds: list[int]) -> Exchange:
    edges = [0, *sorted({b for b in bounds if 0 < b < len(body)}), len(body)]
    chunks = [(10.0 * i, b - a) for i, (a, b) in enumerate(itertools.pairwise(edges))]
    return exchange_of(body, chunks)


@pytest.mark.parametrize("index", range(len(RECORDINGS)))
def test_a_recording_reads_the_same_at_every_chunk(index: int) -> None:
    exchange = RECORDINGS[index]
    assert exchange.response is not None and exchange.response.chunks
    check_every_cut(exchange, list(range(len(exchange.response.chunks) + 1)))


def test_the_recordings_are_there() -> None:
    assert len(RECORDINGS) >= 5  # streams of every kind above, not a silently empty list


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_an_odd_stream_cut_anywhere_reads_the_same(data: st.DataObject) -> None:
    body = odd_stream()
    bounds = data.draw(st.lists(st.integers(1, len(body) - 1), max_size=40))
    exchange = rechunked(body, bounds)
    assert exchange.response is not None and exchange.response.chunks is not None
    count = len(exchange.response.chunks)
    cuts = data.draw(st.lists(st.integers(0, count), max_size=12).map(sorted))
    check_every_cut(exchange, [*cuts, count])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_recording_split_anywhere_reads_the_same(data: st.DataObject) -> None:
    exchange = data.draw(st.sampled_from(RECORDINGS))
    assert exchange.response is not None
    body = exchange.response.body
    bounds = data.draw(st.lists(st.integers(1, len(body) - 1), max_size=30))
    again = rechunked(body, bounds)
    again.request = exchange.request
    assert again.response is not None and again.response.chunks is not None
    check_every_cut(again, list(range(len(again.response.chunks) + 1)))


def test_a_stream_fed_byte_by_byte_reads_the_same() -> None:
    """One chunk per byte (mid-line, mid UTF-8 sequence, between CR and LF), viewed at every
    fourth (a whole parse at each is what takes the time)."""
    body = odd_stream()
    exchange = rechunked(body, list(range(1, len(body))))
    check_every_cut(exchange, [*range(0, len(body), 4), len(body)])


@given(
    st.lists(st.one_of(st.none(), st.integers(-2, 30), st.booleans()), max_size=80),
    st.integers(0, 80),
)
def test_the_sequence_check_one_at_a_time_is_check_sequence(seqs: list[Any], cut: int) -> None:
    """Also through a fork at `cut`: the fork sees its parent's numbers, the parent is as
    it was before the fork."""
    numbers = list(enumerate(seqs))
    check = SequenceCheck()
    for index, seq in numbers[:cut]:
        check.add(index, seq)
    fork = check.fork()
    for index, seq in numbers[cut:]:
        fork.add(index, seq)
    assert fork.findings() == check_sequence(numbers)
    assert check.findings() == check_sequence(numbers[:cut])


def test_only_plain_declared_event_streams_go_incrementally() -> None:
    plain = exchange_of(b"", [])
    assert eligible(plain)
    assert plain.response is not None
    plain.response.headers = [("content-type", "text/event-stream"), ("content-encoding", "gzip")]
    assert not eligible(plain)
    plain.response.headers = [("content-type", "application/json")]
    assert not eligible(plain)
