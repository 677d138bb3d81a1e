"""Non-streamed bodies of every endpoint, error envelopes, and bad input."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openai.types.conversations import Conversation
from openai.types.responses import (
    CompactedResponse,
    EasyInputMessage,
    InputTokenCountResponse,
    Response,
    ResponseFunctionToolCall,
    ResponseInputMessageItem,
)

from addon.wire.exchange import Exchange, HttpRequest, HttpResponse
from addon.wire.parse import parse_exchange

from .helpers import API, json_exchange, message, response_obj


def codes(parsed) -> set[str]:
    return {f.code for f in parsed.findings}


def test_create_request_params_are_typed() -> None:
    request = {
        "model": "gpt-4o",
        "input": [
            {"role": "developer", "content": "be brief"},
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "weather?"}],
            },
            {
                "type": "function_call",
                "call_id": "c1",
                "name": "get_weather",
                "arguments": '{"city":"Paris"}',
            },
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
            {"id": "rs_1"},
        ],
        "tools": [
            {"type": "function", "name": "get_weather", "parameters": {}, "strict": True},
            {"type": "web_search"},
        ],
        "reasoning": {"effort": "low", "summary": "auto"},
        "text": {"format": {"type": "text"}, "verbosity": "low"},
        "include": ["reasoning.encrypted_content"],
        "conversation": {"id": "conv_1"},
        "previous_response_id": "resp_0",
        "background": False,
        "store": True,
    }
    parsed = parse_exchange(
        json_exchange("POST", "/responses", 200, response_obj([message("hi")]), request)
    )
    view = parsed.request
    assert view.model == "gpt-4o" and view.previous_response_id == "resp_0"
    assert view.conversation_id == "conv_1"
    assert [i.type for i in view.input_items] == [
        "message",
        "message",
        "function_call",
        "function_call_output",
        "item_reference",
    ]
    assert isinstance(view.input_items[0].model, EasyInputMessage)
    assert isinstance(view.input_items[2].model, ResponseFunctionToolCall)
    assert view.input_items[2].text == '{"city":"Paris"}'
    assert [type(t).__name__ for t in view.tools] == ["FunctionTool", "WebSearchTool"]
    assert view.reasoning is not None and view.reasoning.effort == "low"
    assert view.include == ["reasoning.encrypted_content"]
    assert isinstance(parsed.response, Response)
    assert codes(parsed) == set()


def test_string_input_becomes_one_user_message() -> None:
    parsed = parse_exchange(
        json_exchange(
            "POST",
            "/responses",
            200,
            response_obj([message("hi")]),
            {"model": "m", "input": "hello"},
        )
    )
    assert parsed.request.input_was_string
    first = parsed.items[0]
    assert (first.direction, first.type, first.role, first.text) == (
        "input",
        "message",
        "user",
        "hello",
    )


def test_http_error_envelope() -> None:
    body = {
        "error": {
            "message": "Rate limit reached",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
    parsed = parse_exchange(json_exchange("POST", "/responses", 429, body, {"model": "m"}))
    assert parsed.error is not None and parsed.error.code == "rate_limit_exceeded"
    assert parsed.error.source == "http"
    assert "http_error" in codes(parsed)


def test_compact_input_tokens_conversations_and_lists() -> None:
    compacted = {
        "id": "cmp_1",
        "object": "response.compaction",
        "created_at": 1,
        "output": [
            {
                "type": "message",
                "id": "m1",
                "role": "user",
                "status": "completed",
                "content": [{"type": "input_text", "text": "q"}],
            },
            {"type": "compaction", "id": "cp_1", "encrypted_content": "xyz"},
        ],
        "usage": response_obj([])["usage"],
    }
    parsed = parse_exchange(
        json_exchange("POST", "/responses/compact", 200, compacted, {"model": "m", "input": "q"})
    )
    assert isinstance(parsed.object, CompactedResponse)
    assert parsed.usage is not None and parsed.usage.input_tokens == 12
    assert [i.type for i in parsed.items if i.direction == "output"] == ["message", "compaction"]

    parsed = parse_exchange(
        json_exchange(
            "POST",
            "/responses/input_tokens",
            200,
            {"object": "response.input_tokens", "input_tokens": 11},
            {"model": "m", "input": "x"},
        )
    )
    assert isinstance(parsed.object, InputTokenCountResponse)
    assert parsed.usage is None  # a count is not usage

    parsed = parse_exchange(
        json_exchange(
            "POST",
            "/conversations",
            200,
            {"id": "conv_1", "object": "conversation", "created_at": 1, "metadata": {}},
            {"items": [{"type": "message", "role": "user", "content": "hi"}]},
        )
    )
    assert parsed.endpoint == "conversations.create"
    assert isinstance(parsed.object, Conversation)
    assert [i.type for i in parsed.items] == ["message"]

    listing = {
        "object": "list",
        "data": [
            {
                "id": "msg_1",
                "type": "message",
                "role": "user",
                "status": "completed",
                "content": [{"type": "input_text", "text": "hello"}],
            }
        ],
        "first_id": "msg_1",
        "last_id": "msg_1",
        "has_more": False,
    }
    parsed = parse_exchange(json_exchange("GET", "/responses/resp_1/input_items", 200, listing))
    assert parsed.endpoint == "responses.input_items"
    assert isinstance(parsed.items[0].model, ResponseInputMessageItem)
    assert parsed.items[0].direction == "listed" and parsed.items[0].text == "hello"
    assert parsed.response_id == "resp_1"

    parsed = parse_exchange(json_exchange("GET", "/conversations/conv_1/items", 200, listing))
    assert parsed.endpoint == "conversations.items.list" and len(parsed.items) == 1

    parsed = parse_exchange(
        json_exchange(
            "DELETE",
            "/responses/resp_1",
            200,
            {"id": "resp_1", "object": "response", "deleted": True},
        )
    )
    assert parsed.response is None and codes(parsed) == set()


def _raw(
    body: bytes, content_type: str, encoding: str | None = None, status: int = 200
) -> Exchange:
    headers = [("content-type", content_type)]
    if encoding:
        headers.append(("content-encoding", encoding))
    return Exchange(
        HttpRequest("POST", f"{API}/responses", [], b'{"model":"m"}'),
        HttpResponse(status, headers, body),
    )


def test_bad_bodies_become_findings_and_keep_raw_bytes() -> None:
    garbage = os.urandom(4096)
    cases = [
        (_raw(b'{"id": "resp_1", "object": "resp', "application/json"), "not_json"),
        (_raw(garbage, "application/json"), "not_json"),
        (_raw(garbage, "text/event-stream"), "content_type_mismatch"),
        (_raw(b"data: \xff\x00garbage\n\n", "text/event-stream"), "json_invalid"),
        (
            _raw(gzip.compress(b'{"a": 1}' * 1000)[:40], "application/json", "gzip"),
            "body_decode_error",
        ),
        (_raw(b"<html>Bad gateway</html>", "text/html", status=502), "http_error"),
        (_raw(b"", "application/json"), "empty_body"),
        (
            _raw(b'data: {"type":"response.created","response":{}}\n\n', "application/json"),
            "content_type_mismatch",
        ),
    ]
    for exchange, code in cases:
        body = exchange.response.body
        parsed = parse_exchange(exchange)
        assert code in codes(parsed), (code, codes(parsed))
        assert exchange.response.body is body


def test_request_with_no_response_and_non_json_request() -> None:
    exchange = Exchange(HttpRequest("POST", f"{API}/responses", [], b"not json"), None)
    parsed = parse_exchange(exchange)
    assert {"no_response", "json_invalid"} <= codes(parsed)


def test_secrets_are_fingerprinted_before_parsing() -> None:
    exchange = Exchange(
        HttpRequest(
            "POST",
            f"{API}/responses",
            [
                ("Authorization", "Bearer sk-live-123"),
                ("api-key", "azure-secret"),
                ("Cookie", "session=abc"),
            ],
            b"{}",
        ),
        HttpResponse(200, [("Set-Cookie", "x=y")], b"{}"),
    )
    flat = repr(exchange)
    for secret in ("sk-live-123", "azure-secret", "session=abc", "x=y"):
        assert secret not in flat
    assert exchange.key_fingerprint is not None
    again = Exchange(HttpRequest("GET", "/", [("authorization", "Bearer sk-live-123")]), None)
    assert again.key_fingerprint == exchange.key_fingerprint  # stable


BIG_BODY_SCRIPT = r"""
import json, resource, sys
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse
from addon.wire.parse import parse_exchange
kind = sys.argv[1]
size = 100 * 1024 * 1024
if kind == "garbage":  # binary, no line breaks, declared as an event stream
    body = b"\x00\xff garbage " * (size // 11)
    ctype = "text/event-stream"
else:  # one JSON response carrying a 100 MB base64 image
    item = {"type": "image_generation_call", "id": "ig_1", "status": "completed",
            "result": "A" * size}
    body = json.dumps({"id": "resp_1", "object": "response", "created_at": 1, "model": "m",
                       "status": "completed", "output": [item]}).encode()
    ctype = "application/json"
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
parsed = parse_exchange(Exchange(HttpRequest("POST", "https://x/v1/responses", [], b"{}"),
                                 HttpResponse(200, [("content-type", ctype)], body)))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((peak - base) // 1024, ",".join(sorted({f.code for f in parsed.findings})))
"""


@pytest.mark.parametrize(
    ("kind", "limit_mb", "code"),
    [("garbage", 200, "sse_line_too_long"), ("json", 250, "usage_missing")],
)
def test_100mb_bodies_are_parsed_in_bounded_memory(kind: str, limit_mb: int, code: str) -> None:
    """Never the whole body copied more than once beyond the bytes themselves."""
    out = subprocess.run(
        [sys.executable, "-c", BIG_BODY_SCRIPT, kind],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
    ).stdout
    extra_mb, codes_seen = out.split()
    assert int(extra_mb) < limit_mb, f"parsing a 100 MB {kind} body took {extra_mb} MB more"
    assert code in codes_seen.split(",")
