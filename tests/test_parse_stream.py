"""Streams: typed events, accumulation, integrity findings."""

from __future__ import annotations

import copy
import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.responses import Response, ResponseTextDeltaEvent

from addon.wire.lenient import Unknown
from addon.wire.parse import parse_exchange

from .helpers import sse_body, stream_exchange, text_stream


def codes(parsed) -> list[str]:
    return sorted(f.code for f in parsed.findings)


def test_clean_stream_has_typed_events_final_response_and_no_findings() -> None:
    parsed = parse_exchange(stream_exchange(sse_body(text_stream(["Hel", "lo ", "café"]))))
    assert parsed.streamed and not parsed.partial
    assert codes(parsed) == []
    assert isinstance(parsed.events[4].model, ResponseTextDeltaEvent)
    assert isinstance(parsed.response, Response)
    assert parsed.output_text == "Hello café"
    assert parsed.usage is not None and parsed.usage.cached_tokens == 4
    assert [i.type for i in parsed.items] == ["message", "message"]
    assert [i.direction for i in parsed.items] == ["input", "output"]


def test_cut_stream_gives_a_partial_response_marked_incomplete() -> None:
    events = text_stream(["Hel", "lo"], terminal=False)[:6]  # up to the second delta
    body = sse_body(events)
    body = body + b'event: response.output_text.delta\ndata: {"type":"response.outp'
    parsed = parse_exchange(stream_exchange(body))
    assert parsed.partial
    assert parsed.response_raw is not None and parsed.response_raw["status"] == "incomplete"
    assert parsed.output_text == "Hello"
    assert {"no_terminal_event", "json_invalid", "sse_unterminated"} <= set(codes(parsed))
    bad = [e for e in parsed.events if e.type is None]
    assert bad and bad[0].raw.startswith('{"type":"response.outp')


def test_sequence_gap_duplicate_reorder() -> None:
    events = text_stream(["a", "b", "c", "d"])
    events[5]["sequence_number"] = 40  # gap, then reorder
    events[7]["sequence_number"] = 6  # duplicate of the one before
    parsed = parse_exchange(stream_exchange(sse_body(events)))
    found = set(codes(parsed))
    assert {"sequence_gap", "sequence_reorder", "sequence_duplicate"} <= found


def test_delta_mismatch_and_item_done_mismatch() -> None:
    events = text_stream(["a", "b"])
    done = next(e for e in events if e["type"] == "response.output_text.done")
    done["text"] = "ab!"
    parsed = parse_exchange(stream_exchange(sse_body(events)))
    assert "delta_mismatch" in codes(parsed)
    events = text_stream(["a", "b"])
    item_done = next(e for e in events if e["type"] == "response.output_item.done")
    item_done["item"]["content"][0]["text"] = "zz"
    parsed = parse_exchange(stream_exchange(sse_body(events)))
    assert "item_done_mismatch" in codes(parsed)


def test_final_output_mismatch_and_missing_usage() -> None:
    events = text_stream(["a", "b"])
    events[-1]["response"]["output"][0]["content"][0]["text"] = "other"
    events[-1]["response"]["usage"] = None
    parsed = parse_exchange(stream_exchange(sse_body(events)))
    assert {"final_output_mismatch", "usage_missing"} <= set(codes(parsed))


def test_unknown_event_and_item_types_are_kept_and_counted() -> None:
    events = text_stream(["x"])
    events.insert(3, {"type": "keepalive", "sequence_number": 99})
    events.insert(3, {"type": "response.some_future_event", "sequence_number": 98, "foo": 1})
    parsed = parse_exchange(stream_exchange(sse_body(events)))
    assert parsed.unknown_types == {"keepalive": 1, "response.some_future_event": 1}
    future = next(e for e in parsed.events if e.type == "response.some_future_event")
    assert isinstance(future.model, Unknown) and future.model.foo == 1  # type: ignore[attr-defined]
    assert "unknown_type" in codes(parsed)


def test_unknown_output_item_type_survives_accumulation() -> None:
    events = text_stream(["x"])
    future = {"id": "fx_1", "type": "some_future_type", "payload": {"a": [1, 2]}}
    events.insert(
        -1,
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": future,
            "sequence_number": 50,
        },
    )
    events.insert(
        -1,
        {
            "type": "response.output_item.done",
            "output_index": 1,
            "item": future,
            "sequence_number": 51,
        },
    )
    final = events[-1]["response"]
    final["output"].append(copy.deepcopy(future))
    parsed = parse_exchange(stream_exchange(sse_body(events)))
    assert parsed.response_raw["output"][1] == future
    assert parsed.unknown_types["some_future_type"] >= 1


def test_missing_required_field_builds_leniently_with_schema_mismatch() -> None:
    events = text_stream(["x"])
    del events[-1]["response"]["usage"]["input_tokens_details"]["cached_tokens"]
    parsed = parse_exchange(stream_exchange(sse_body(events)))
    assert isinstance(parsed.response, Response)
    mismatch = [f for f in parsed.findings if f.code == "schema_mismatch"]
    assert mismatch and "cached_tokens" in mismatch[0].message
    assert mismatch[0].severity == "warning"


def test_in_stream_errors_flat_and_nested() -> None:
    head = text_stream(["x"], terminal=False)[:2]
    nested = {
        "type": "error",
        "sequence_number": 2,
        "error": {"type": "server_error", "code": "server_error", "message": "boom", "param": None},
    }
    flat = {
        "type": "error",
        "code": "rate_limit_exceeded",
        "message": "slow down",
        "param": None,
        "sequence_number": 2,
    }
    for event, code in ((nested, "server_error"), (flat, "rate_limit_exceeded")):
        parsed = parse_exchange(stream_exchange(sse_body([*head, event])))
        assert parsed.error is not None and parsed.error.code == code
        assert "stream_error" in codes(parsed)
        assert "no_terminal_event" not in codes(parsed)
        assert "schema_mismatch" not in codes(parsed)


def test_old_event_names_are_aliases() -> None:
    events = [
        {
            "type": "response.reasoning_summary.delta",
            "item_id": "rs",
            "output_index": 0,
            "summary_index": 0,
            "delta": "hm",
            "sequence_number": 0,
        }
    ]
    parsed = parse_exchange(stream_exchange(sse_body(events)))
    assert parsed.events[0].type == "response.reasoning_summary_text.delta"
    assert parsed.unknown_types == {}


def test_gzip_stream_decodes_and_raw_bytes_stay() -> None:
    raw = gzip.compress(sse_body(text_stream(["a", "b"])))
    exchange = stream_exchange(
        raw, [("content-type", "text/event-stream"), ("content-encoding", "gzip")]
    )
    parsed = parse_exchange(exchange)
    assert parsed.output_text == "ab" and codes(parsed) == []
    assert exchange.response.body == raw


def test_truncated_gzip_stream_is_a_finding_with_the_prefix_parsed() -> None:
    raw = gzip.compress(sse_body(text_stream(["a", "b"])))
    exchange = stream_exchange(
        raw[: len(raw) - 30], [("content-type", "text/event-stream"), ("content-encoding", "gzip")]
    )
    parsed = parse_exchange(exchange)
    assert "body_decode_error" in codes(parsed)
    assert parsed.events  # what could be decoded was parsed


def test_chunk_arrival_offsets_become_event_times() -> None:
    body = sse_body(text_stream(["a", "b"]))
    exchange = stream_exchange(body)
    half = len(body) // 2
    exchange.response.chunks = [(350.0, half), (420.0, len(body) - half)]
    parsed = parse_exchange(exchange)
    times = [e.t_ms for e in parsed.events]
    assert times[0] == 350.0 and times[-1] == 420.0
    assert times == sorted(times)


def test_merged_events_without_blank_lines() -> None:
    events = text_stream(["a", "b"])
    body = "".join(f"data: {__import__('json').dumps(e)}\n" for e in events).encode()
    parsed = parse_exchange(stream_exchange(body))
    assert parsed.output_text == "ab"
    assert "sse_missing_blank_line" in codes(parsed)
    assert len(parsed.events) == len(events)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_chunk_table_gives_the_same_parse(data: st.DataObject) -> None:
    """Network chunking (recorded as the chunk table) changes times, never the result."""
    body = sse_body(text_stream(["Hé", "llo ", "wörld", " 🙂"]))
    for encoding in (None, "gzip"):
        raw = gzip.compress(body) if encoding else body
        headers = [("content-type", "text/event-stream")]
        if encoding:
            headers.append(("content-encoding", encoding))
        reference = parse_exchange(stream_exchange(raw, headers))
        cuts = sorted(set(data.draw(st.lists(st.integers(1, len(raw) - 1), max_size=30))))
        sizes = [b - a for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
        exchange = stream_exchange(raw, headers)
        exchange.response.chunks = [(float(i), size) for i, size in enumerate(sizes)]
        parsed = parse_exchange(exchange)
        assert [(e.type, e.raw) for e in parsed.events] == [
            (e.type, e.raw) for e in reference.events
        ]
        assert parsed.response_raw == reference.response_raw
        assert [f.code for f in parsed.findings] == [f.code for f in reference.findings]


@pytest.mark.parametrize("index", [2**32, 10**18, -1, -5])
def test_absurd_output_indexes_neither_hang_nor_lose_data(index: int) -> None:
    """A hostile output_index must not pad a list to 2**32 entries (or overwrite by -1)."""
    import time

    events = text_stream(["Hel", "lo"])
    for event in events:
        if "output_index" in event:
            event["output_index"] = index
    started = time.perf_counter()
    parsed = parse_exchange(stream_exchange(sse_body(events)))
    assert time.perf_counter() - started < 2
    assert parsed.events and parsed.response is not None


def test_a_delta_after_the_terminal_event_is_flagged_and_kept() -> None:
    events = text_stream(["Hel", "lo"])
    late = next(e for e in events if e["type"] == "response.output_text.delta")
    events.append({**late, "delta": " late", "sequence_number": 999})
    parsed = parse_exchange(stream_exchange(sse_body(events)))
    flagged = [f for f in parsed.findings if f.code == "event_after_terminal"]
    assert flagged and "response.output_text.delta" in flagged[0].message
    assert len(parsed.events) == len(events)
