"""The recordings shipped in recordings/ parse as what they are; they always run."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
from openai.types.responses import (
    CompactedResponse,
    InputTokenCountResponse,
    ResponseFunctionToolCall,
    ResponseFunctionWebSearch,
    ResponseReasoningItem,
)

from addon.wire.endpoints import ENDPOINTS
from addon.wire.result import ParsedExchange

from .conftest import ROOT
from .helpers import sdk_final


def by_file(parsed: list[ParsedExchange], name: str) -> list[ParsedExchange]:
    out = [p for p in parsed if p.exchange.source.endswith(name)]
    assert out, name
    return out


def codes(parsed: ParsedExchange) -> set[str]:
    return {f.code for f in parsed.findings}


# What the shipped recordings do not hold (the corpus and unit tests cover these).
NOT_SHIPPED = {
    "other",
    "conversations.retrieve",
    "conversations.update",
    "conversations.items.retrieve",
    "conversations.items.delete",
}


def test_every_endpoint_family_is_covered(recordings_parsed: list[ParsedExchange]) -> None:
    endpoints = Counter(p.endpoint for p in recordings_parsed)
    assert set(endpoints) == set(ENDPOINTS) - NOT_SHIPPED


def test_streamed_text(recordings_parsed: list[ParsedExchange]) -> None:
    (parsed,) = by_file(recordings_parsed, "stream_text.har")
    assert parsed.streamed and not parsed.partial and codes(parsed) == set()
    assert parsed.output_text and "é" in parsed.output_text
    assert parsed.usage and parsed.usage.cached_tokens == 1152
    assert parsed.exchange.response and parsed.exchange.response.chunks
    times = [e.t_ms for e in parsed.events]
    assert times == sorted(times) and times[0] > 200  # time to first byte kept


def test_function_call_roundtrip(recordings_parsed: list[ParsedExchange]) -> None:
    first, second = by_file(recordings_parsed, "function_call_roundtrip.har")
    calls = [i for i in first.items if i.type == "function_call"]
    assert len(calls) == 1 and isinstance(calls[0].model, ResponseFunctionToolCall)
    assert calls[0].name == "get_weather" and calls[0].text and "{" in calls[0].text
    assert second.request.previous_response_id == first.response_id
    outputs = [i for i in second.items if i.type == "function_call_output"]
    assert outputs and outputs[0].call_id == calls[0].call_id


def test_reasoning_with_encrypted_content(recordings_parsed: list[ParsedExchange]) -> None:
    (parsed,) = by_file(recordings_parsed, "reasoning.har")
    reasoning = [i for i in parsed.items if i.type == "reasoning"]
    assert reasoning and isinstance(reasoning[0].model, ResponseReasoningItem)
    assert reasoning[0].model.encrypted_content
    assert reasoning[0].text  # summary text is searchable
    assert parsed.usage and parsed.usage.reasoning_tokens == 448
    assert "reasoning.encrypted_content" in parsed.request.include


def test_web_search(recordings_parsed: list[ParsedExchange]) -> None:
    (parsed,) = by_file(recordings_parsed, "web_search.har")
    calls = [i for i in parsed.items if i.type == "web_search_call"]
    assert calls and isinstance(calls[0].model, ResponseFunctionWebSearch)
    message = next(i for i in parsed.items if i.direction == "output" and i.type == "message")
    annotations = message.raw["content"][0]["annotations"]
    assert [a["type"] for a in annotations] == ["url_citation", "url_citation"]
    # an older server: no cache_write_tokens, typed anyway, named in an info finding
    omitted = [f for f in parsed.findings if f.code == "field_omitted"]
    assert len(omitted) == 1 and "cache_write_tokens" in omitted[0].message
    assert omitted[0].severity == "info" and "schema_mismatch" not in codes(parsed)


def test_errors(recordings_parsed: list[ParsedExchange]) -> None:
    nested, flat, http = by_file(recordings_parsed, "stream_error.har")
    assert nested.error and nested.error.code == "server_error" and nested.error.type
    assert {"stream_error", "response_failed"} <= codes(nested)
    assert flat.error and flat.error.code == "rate_limit_exceeded" and flat.partial
    assert http.status == 429 and http.error and http.error.source == "http"


def test_cut_stream(recordings_parsed: list[ParsedExchange]) -> None:
    (parsed,) = by_file(recordings_parsed, "stream_cut.har")
    assert parsed.partial and parsed.output_text
    assert {"no_terminal_event", "json_invalid"} <= codes(parsed)


def test_compact_input_items_and_conversation(recordings_parsed: list[ParsedExchange]) -> None:
    (compact,) = by_file(recordings_parsed, "compact.har")
    assert isinstance(compact.object, CompactedResponse)
    assert [i.type for i in compact.items if i.direction == "output"][-1] == "compaction"
    listing, retrieve, count = by_file(recordings_parsed, "input_items.har")
    assert listing.items and all(i.direction == "listed" for i in listing.items)
    assert retrieve.response is not None and retrieve.response_id == listing.response_id
    assert isinstance(count.object, InputTokenCountResponse) and count.usage is None
    conversation = by_file(recordings_parsed, "conversation.har")
    create = conversation[0]
    assert create.endpoint == "conversations.create" and create.items
    with_conversation = next(p for p in conversation if p.endpoint == "responses.create")
    assert with_conversation.request.conversation_id


def test_gzip_stream_and_websocket(recordings_parsed: list[ParsedExchange]) -> None:
    (gz,) = by_file(recordings_parsed, "gzip_stream.har")
    assert gz.output_text and codes(gz) == set()
    (ws,) = by_file(recordings_parsed, "websocket.har")
    assert ws.endpoint == "responses.websocket" and len(ws.turns) == 2
    assert ws.turns[1][1]["previous_response_id"] == ws.turns[0][1]["id"]
    assert any(e.from_client for e in ws.events)


def test_the_openai_sdk_agrees_on_every_shipped_stream(
    recordings_parsed: list[ParsedExchange],
) -> None:
    checked = 0
    for parsed in recordings_parsed:
        completed = [e for e in parsed.events if e.type == "response.completed"]
        if not parsed.streamed or parsed.endpoint == "responses.websocket" or not completed:
            continue
        if parsed.events[0].type != "response.created":
            continue
        final = sdk_final(parsed)
        parts = [
            c["text"]
            for i in (parsed.response_raw or {})["output"]
            if i["type"] == "message"
            for c in i["content"]
            if c["type"] == "output_text"
        ]
        assert final.output_text == "".join(parts)
        assert (parsed.output_text or "") == "\n".join(parts)
        assert [i.id for i in final.output] == [
            i["id"] for i in (parsed.response_raw or {})["output"]
        ]
        checked += 1
    assert checked >= 6


@pytest.mark.skipif(sys.platform != "linux", reason="gzip bytes depend on the zlib build")
def test_recordings_match_their_generator() -> None:
    subprocess.run(
        [sys.executable, "tests/tools/make_recordings.py", "--check"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
