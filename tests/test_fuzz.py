"""Bad traffic never escapes as an exception: whatever the bytes, parsing gives findings."""

from __future__ import annotations

import gzip
import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addon.wire.exchange import Exchange, HttpRequest, HttpResponse
from addon.wire.parse import parse_exchange

from .helpers import sse_body, text_stream

PATHS = [
    "/v1/responses",
    "/v1/responses/resp_1",
    "/v1/responses/compact",
    "/v1/responses/resp_1/input_items",
    "/v1/conversations/c/items",
    "/other",
]
TYPES = ["text/event-stream", "application/json", "text/html", ""]
ENCODINGS = [None, "gzip", "br", "zstd", "deflate", "compress"]
VALID = sse_body(text_stream(["Hel", "lo"]))
# FUZZ_EXAMPLES=5000 uv run pytest tests/test_fuzz.py digs deeper than the default run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "250"))


def exchange(
    method: str,
    path: str,
    status: int,
    ctype: str,
    encoding: str | None,
    request: bytes,
    body: bytes,
) -> Exchange:
    headers = [("content-type", ctype)] if ctype else []
    if encoding:
        headers.append(("content-encoding", encoding))
    return Exchange(
        HttpRequest(method, f"https://api.openai.com{path}", [], request),
        HttpResponse(status, headers, body),
    )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.sampled_from(["GET", "POST", "DELETE"]),
    st.sampled_from(PATHS),
    st.sampled_from([200, 400, 429, 500]),
    st.sampled_from(TYPES),
    st.sampled_from(ENCODINGS),
    st.binary(max_size=300),
    st.binary(max_size=2000),
)
def test_random_bytes_never_raise(
    method: str,
    path: str,
    status: int,
    ctype: str,
    encoding: str | None,
    request: bytes,
    body: bytes,
) -> None:
    parsed = parse_exchange(exchange(method, path, status, ctype, encoding, request, body))
    assert parsed.exchange.response is not None and parsed.exchange.response.body == body


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.data())
def test_mutated_valid_streams_never_raise(data: st.DataObject) -> None:
    """A real stream with bytes flipped, cut, or duplicated anywhere, optionally gzipped."""
    body = bytearray(VALID)
    for _ in range(data.draw(st.integers(0, 6))):
        op = data.draw(st.sampled_from(["flip", "cut", "dup"]))
        at = data.draw(st.integers(0, len(body) - 1))
        if op == "flip":
            body[at] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del body[at : at + data.draw(st.integers(1, 200))]
        else:
            body[at:at] = body[at : at + data.draw(st.integers(1, 200))]
        if not body:
            body = bytearray(b"x")
    raw = bytes(body)
    encoding = data.draw(st.sampled_from([None, "gzip"]))
    if encoding:
        raw = gzip.compress(raw)[: data.draw(st.integers(1, len(raw) + 30))]
    parsed = parse_exchange(
        exchange(
            "POST",
            "/v1/responses",
            200,
            "text/event-stream",
            encoding,
            json.dumps({"stream": True}).encode(),
            raw,
        )
    )
    assert parsed.streamed


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "type",
                        "id",
                        "output",
                        "usage",
                        "response",
                        "item",
                        "delta",
                        "output_index",
                        "content_index",
                        "sequence_number",
                        "error",
                        "object",
                        "content",
                        "status",
                        "input",
                        "tools",
                        "data",
                    ]
                ),
                children,
                max_size=6,
            )
        ),
        max_leaves=30,
    )
)
def test_random_json_shapes_never_raise(value: object) -> None:
    """Any JSON as an event, as a body, or as a request: typed or found odd, never raised."""
    text = json.dumps(value)
    as_event = f"data: {text}\n\n".encode()
    parse_exchange(
        exchange("POST", "/v1/responses", 200, "text/event-stream", None, text.encode(), as_event)
    )
    parse_exchange(
        exchange(
            "POST", "/v1/responses", 200, "application/json", None, text.encode(), text.encode()
        )
    )
    if isinstance(value, dict):
        event = {**value, "type": "response.output_item.added"}
        parse_exchange(
            exchange(
                "POST",
                "/v1/responses",
                200,
                "text/event-stream",
                None,
                b"{}",
                f"data: {json.dumps(event)}\n\n".encode(),
            )
        )
