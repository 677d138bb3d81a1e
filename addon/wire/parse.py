"""Parse one exchange: classify, type the request, decode and accumulate the response.

`parse_exchange` never raises on bad traffic: everything odd becomes a finding and the raw
bytes stay in the exchange untouched.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .accumulate import TERMINAL, Accumulator
from .body_events import decoded_body, sse_events
from .collect import Collector
from .endpoints import classify
from .exchange import Exchange, HttpResponse, header
from .final_response import set_response, text_of
from .findings import Finding, Severity
from .items import type_items
from .lenient import Unknown
from .models import type_item, type_object
from .request import parse_request
from .result import ErrorInfo, ParsedExchange, TooDeep, loads
from .sdk_types import ConversationItemList, ResponseItemList
from .stream_assembly import finish_stream, parse_websocket

_SSE_PREFIXES = (b"event:", b"data:", b"id:", b":", b"retry:")
# endpoint -> (item context, the SDK's list model)
_LIST_CONTEXT: dict[str, tuple[str, type[BaseModel]]] = {
    "responses.input_items": ("listed", ResponseItemList),
    "conversations.items.create": ("conversation", ConversationItemList),
    "conversations.items.list": ("conversation", ConversationItemList),
}


def parse_exchange(exchange: Exchange) -> ParsedExchange:
    request = exchange.request
    endpoint = classify(request.method, request.path, websocket=exchange.websocket is not None)
    collector = Collector()
    parsed = ParsedExchange(exchange, endpoint, parse_request(request, endpoint, collector))
    parsed.items.extend(parsed.request.input_items)
    if exchange.websocket is not None:
        parse_websocket(parsed, collector)
    elif exchange.response is None:
        collector.add(Finding("no_response", Severity.INFO, "no response was recorded"))
    elif _is_sse(exchange, collector):
        _parse_stream(parsed, exchange.response, collector)
    else:
        _parse_body(parsed, collector)
    _http_error(parsed, collector)
    settle_abort(parsed, collector)
    parsed.findings = collector.finish()
    parsed.unknown_types = collector.unknown_types
    return parsed


def _parse_stream(parsed: ParsedExchange, response: HttpResponse, collector: Collector) -> None:
    """One pass over the body: events are decoded, typed and accumulated as they come."""
    parsed.streamed = True
    acc = Accumulator()
    parsed.events, size = sse_events(response, collector, acc.feed)
    finish_stream(parsed, collector, size, acc)


def _is_sse(exchange: Exchange, collector: Collector) -> bool:
    """By Content-Type, or by sniffing a body that starts like SSE (cassettes lose headers)."""
    response = exchange.response
    assert response is not None
    content_type = (header(response.headers, "content-type") or "").lower()
    if "text/event-stream" in content_type:
        return True
    if header(response.headers, "content-encoding"):
        return False  # sniffed after decoding, in _parse_body
    if response.status < 300 and response.body[:64].lstrip().startswith(_SSE_PREFIXES):
        if content_type:
            collector.add(
                Finding(
                    "content_type_mismatch",
                    Severity.WARNING,
                    f"an event stream served as {content_type}",
                )
            )
        return True
    return False


def _decoded(parsed: ParsedExchange, collector: Collector) -> bytes:
    response = parsed.exchange.response
    assert response is not None
    if not header(response.headers, "content-encoding"):
        return response.body
    return b"".join(piece for _, piece in decoded_body(response, collector))


def _parse_body(parsed: ParsedExchange, collector: Collector) -> None:
    response = parsed.exchange.response
    assert response is not None
    body = _decoded(parsed, collector)
    if not body.strip():
        if parsed.endpoint not in ("responses.delete", "other") and response.status != 204:
            collector.add(Finding("empty_body", Severity.WARNING, "the response body is empty"))
        return
    if body[:64].lstrip().startswith(_SSE_PREFIXES):  # an event stream under another type
        collector.add(
            Finding(
                "content_type_mismatch",
                Severity.WARNING,
                "an event stream without Content-Type text/event-stream",
            )
        )
        _parse_stream(parsed, HttpResponse(response.status, [], body), collector)
        return
    try:
        data = loads(body)
    except TooDeep as exc:
        collector.add(
            Finding(
                "json_invalid",
                Severity.ERROR if response.status < 400 else Severity.WARNING,
                f"the response body ({len(body)} bytes) is JSON {exc}",
                path="response",
            )
        )
        return
    except (ValueError, UnicodeDecodeError):
        content_type = header(response.headers, "content-type") or "no Content-Type"
        collector.add(
            Finding(
                "not_json",
                Severity.ERROR if response.status < 400 else Severity.WARNING,
                f"the response body ({len(body)} bytes, {content_type}) is not JSON",
            )
        )
        return
    parsed.body = data
    _type_body(parsed, data, collector)


def _type_body(parsed: ParsedExchange, data: Any, collector: Collector) -> None:
    if not isinstance(data, dict):
        return
    if "error" in data and isinstance(data["error"], dict | str):
        return  # an error envelope: _http_error reads it
    if data.get("deleted") is not None:  # {id, object, deleted}: not the object itself
        parsed.object = Unknown.model_validate(data)
        return
    list_context = _LIST_CONTEXT.get(parsed.endpoint)
    if data.get("object") == "list" and list_context and isinstance(data.get("data"), list):
        context, cls = list_context
        records, typed_list = type_items(data["data"], context, "listed")
        for position, typed in typed_list:
            collector.typed(
                "response.data", typed, f"{context} item", path=f"response.data[{position}]"
            )
        parsed.items.extend(records)
        parsed.object = cls.model_construct(**{**data, "data": [r.model for r in records]})
        return
    if parsed.endpoint == "conversations.items.retrieve" and "type" in data:
        typed = type_item(data, "conversation")
        collector.typed("response", typed, "conversation item", path="response")
        records, _ = type_items([data], "conversation", "listed")
        parsed.items.extend(records)
        parsed.object = typed.model
        return
    found = type_object(data)
    if found is None:
        return
    collector.typed(str(data.get("object")), found, "object", path="response")
    parsed.object = found.model
    if data.get("object") in ("response", "response.compaction"):
        set_response(parsed, data, found.model, collector)


# On a WebSocket an `error` event can end a turn; on an HTTP stream the server may still send
# `response.failed` after it (stream_error.har), so only a terminal event ends one.
_SOCKET_END_EVENTS = TERMINAL | {"error"}


def settle_abort(parsed: ParsedExchange, collector: Collector) -> None:
    """Decide whether an exchange flagged aborted really is: one rule for every source.

    A connection that closed after the response had arrived whole (a client that hangs up
    right after `response.completed`, before the upstream's final chunk; a recorder stopped
    while a WebSocket sat idle) lost nothing: the flag is cleared (`closed_early` notes it, at
    info level). Otherwise the exchange stays aborted, with an `aborted` warning.
    """
    exchange = parsed.exchange
    if exchange.aborted and _arrived_whole(parsed, collector):
        exchange.aborted = False
        exchange.closed_early = True
        if exchange.response is not None:
            exchange.response.truncated = False
    why = exchange.abort_reason or "the connection closed"
    if exchange.closed_early:
        collector.add(
            Finding(
                "closed_after_end",
                Severity.INFO,
                f"closed after the response was complete ({why}); nothing is missing",
            )
        )
    elif exchange.aborted:
        collector.add(
            Finding(
                "aborted", Severity.WARNING, exchange.abort_reason or "the exchange did not finish"
            )
        )


def _arrived_whole(parsed: ParsedExchange, collector: Collector) -> bool:
    """Streams: their terminal event arrived (on a WebSocket, an end for every
    response.create).
    Other bodies: the Content-Length arrived, or the body is complete JSON."""
    exchange = parsed.exchange
    server = [e.type for e in parsed.events if not e.from_client]
    if exchange.websocket is not None:
        creates = sum(e.type == "response.create" for e in parsed.events if e.from_client)
        return 0 < creates <= sum(t in _SOCKET_END_EVENTS for t in server)
    response = exchange.response
    if response is None:
        return False
    if parsed.streamed:
        return any(t in TERMINAL for t in server)
    length = (header(response.headers, "content-length") or "").strip()
    if length.isdigit() and int(length) == len(response.body):
        return True
    return parsed.body is not None and not any(
        f.code == "body_decode_error" for f in collector.findings
    )


def _http_error(parsed: ParsedExchange, collector: Collector) -> None:
    response = parsed.exchange.response
    if response is None or response.status < 400:
        return
    body = parsed.body
    inner = body.get("error") if isinstance(body, dict) else None
    if isinstance(inner, dict):
        error = ErrorInfo(
            "http",
            text_of(inner, "message"),
            text_of(inner, "code"),
            text_of(inner, "type"),
            text_of(inner, "param"),
        )
    else:
        error = ErrorInfo("http", inner if isinstance(inner, str) else None)
    parsed.error = parsed.error or error
    severity = Severity.ERROR if response.status >= 500 else Severity.WARNING
    collector.add(
        Finding(
            "http_error",
            severity,
            f"HTTP {response.status}: {error.code or error.type or '-'}: {error.message or ''}"[
                :300
            ],
            path="response",
        )
    )
