"""Parse one exchange: classify, type the request, decode and accumulate the response.

`parse_exchange` never raises on bad traffic: everything odd becomes a finding and the raw
bytes stay in the exchange untouched.
"""

from __future__ import annotations

from typing import Any

from openai.types.conversations.conversation_item_list import ConversationItemList
from openai.types.responses import ResponseItemList
from pydantic import BaseModel

from .accumulate import Accumulated, Accumulator, compare_output
from .collect import Collector
from .endpoints import classify
from .exchange import Exchange, HttpResponse, header
from .findings import Finding, Severity, check_sequence
from .items import record, type_items
from .request import apply_create_params, parse_request
from .result import ErrorInfo, ItemRecord, ParsedExchange, StreamEvent, Usage
from .stream import decoded_body, loads, sse_events, websocket_events
from .typing_ import Typed, Unknown, type_item, type_object, type_response

_SSE_PREFIXES = (b"event:", b"data:", b"id:", b":", b"retry:")
_LIST_CONTEXT = {
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
        _parse_websocket(parsed, collector)
    elif exchange.response is None:
        collector.add(Finding("no_response", Severity.INFO, "no response was recorded"))
    elif _is_sse(exchange, collector):
        parsed.streamed = True
        acc = Accumulator()
        parsed.events, size = sse_events(exchange.response, collector, acc.feed)
        _finish_stream(parsed, collector, size, acc)
    else:
        _parse_body(parsed, collector)
    _http_error(parsed, collector)
    parsed.findings = collector.finish()
    parsed.unknown_types = collector.unknown_types
    return parsed


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
        plain = HttpResponse(response.status, [], body)
        parsed.streamed = True
        acc = Accumulator()
        parsed.events, size = sse_events(plain, collector, acc.feed)
        _finish_stream(parsed, collector, size, acc)
        return
    try:
        data = loads(body)
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
    typed = type_object(data)
    if typed is None:
        return
    collector.typed(str(data.get("object")), typed, "object", path="response")
    parsed.object = typed.model
    if data.get("object") in ("response", "response.compaction"):
        _set_response(parsed, data, typed.model, collector)


def _set_response(
    parsed: ParsedExchange, raw: dict[str, Any], model: BaseModel, collector: Collector
) -> None:
    """Record the final response: its output items, usage, status and error."""
    parsed.response = model
    parsed.response_raw = raw
    output = raw.get("output")
    if isinstance(output, list):
        records = output_records(output, model)
        parsed.items.extend(records)
        ids = [r.id for r in records if r.id]
        if len(ids) != len(set(ids)):
            twice = sorted({i for i in ids if ids.count(i) > 1})
            collector.add(
                Finding(
                    "item_id_duplicate",
                    Severity.WARNING,
                    f"output items share ids: {', '.join(twice)[:200]}",
                    path="response.output",
                )
            )
    parsed.usage = usage_of(raw.get("usage"))
    status = raw.get("status")
    if parsed.usage is None and (
        status == "completed" or raw.get("object") == "response.compaction"
    ):
        collector.add(
            Finding(
                "usage_missing",
                Severity.WARNING,
                "a finished response without usage",
                path="response.usage",
            )
        )
    if status == "failed":
        error = raw.get("error") if isinstance(raw.get("error"), dict) else {}
        parsed.error = parsed.error or ErrorInfo(
            "response", _s(error, "message"), _s(error, "code")
        )
        collector.add(
            Finding(
                "response_failed",
                Severity.ERROR,
                f"response failed: {_s(error, 'code') or 'no error code'}",
            )
        )
    elif status == "incomplete" and not parsed.partial:
        details = raw.get("incomplete_details")
        reason = _s(details, "reason") if isinstance(details, dict) else None
        collector.add(
            Finding(
                "response_incomplete",
                Severity.INFO,
                f"response incomplete: {reason or 'no reason given'}",
            )
        )


def output_records(output: list[Any], model: BaseModel) -> list[ItemRecord]:
    """Records for a response's output items, reusing the item models already built."""
    models = getattr(model, "output", None)
    if isinstance(models, list) and len(models) == len(output):
        return [
            record("output", i, Typed(m, []), raw)
            for i, (m, raw) in enumerate(zip(models, output, strict=True))
        ]
    return type_items(output, "output", "output")[0]


def usage_of(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    input_details = raw.get("input_tokens_details")
    output_details = raw.get("output_tokens_details")
    input_details = input_details if isinstance(input_details, dict) else {}
    output_details = output_details if isinstance(output_details, dict) else {}
    return Usage(
        input_tokens=_int(raw.get("input_tokens")),
        cached_tokens=_int(input_details.get("cached_tokens")),
        cache_write_tokens=_int(input_details.get("cache_write_tokens")),
        output_tokens=_int(raw.get("output_tokens")),
        reasoning_tokens=_int(output_details.get("reasoning_tokens")),
        total_tokens=_int(raw.get("total_tokens")),
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _s(data: Any, key: str) -> str | None:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _accumulated(acc: Accumulator, collector: Collector) -> Accumulated:
    result = acc.result()
    for finding in result.findings:
        collector.add(finding)
    return result


def _finish_stream(
    parsed: ParsedExchange, collector: Collector, size: int, acc: Accumulator
) -> None:
    events = parsed.events
    if not events and size and parsed.status is not None and parsed.status < 400:
        collector.add(
            Finding(
                "content_type_mismatch",
                Severity.ERROR,
                f"declared an event stream, but its {size} bytes hold no event",
            )
        )
        return
    for finding in check_sequence(
        [(e.index, e.sequence_number) for e in events if e.type not in (None, "keepalive")]
    ):
        collector.add(finding)
    _stream_error(parsed, collector)
    _finish_turn(parsed, _accumulated(acc, collector), events, collector)


def _finish_turn(
    parsed: ParsedExchange, result: Any, events: list[StreamEvent], collector: Collector
) -> None:
    if not events:
        collector.add(Finding("empty_body", Severity.WARNING, "a stream with no events"))
        return
    raw = result.response
    model: BaseModel | None = None
    if result.terminal_response is not None:
        terminal = result.terminal_response
        reason = compare_output(raw["output"], terminal.get("output") or [])
        _compare_ids(raw["output"], terminal.get("output") or [], result.terminal_type, collector)
        if reason is None or not raw["output"]:
            raw = terminal
            model = _terminal_model(events)
        elif terminal.get("output"):
            collector.add(
                Finding(
                    "final_output_mismatch", Severity.ERROR, f"{result.terminal_type}: {reason}"
                )
            )
            raw = terminal
            model = _terminal_model(events)
        else:  # the terminal event left output empty: keep what was streamed
            collector.add(
                Finding(
                    "final_output_mismatch",
                    Severity.WARNING,
                    f"{result.terminal_type} has an empty output; {reason}",
                )
            )
            raw = {**terminal, "output": raw["output"]}
    elif parsed.error is None:
        last = events[-1]
        collector.add(
            Finding(
                "no_terminal_event",
                Severity.ERROR,
                "the stream ended without response.completed, .failed or "
                ".incomplete; the response is partial",
                last.index,
                last.sequence_number,
            )
        )
    parsed.partial = result.terminal_response is None
    if model is None:
        typed = type_response(raw)
        collector.typed("response", typed, "response", path="response")
        model = typed.model
    _set_response(parsed, raw, model, collector)


def _compare_ids(
    built: list[Any], final: list[Any], terminal: str | None, collector: Collector
) -> None:
    for i, (a, b) in enumerate(zip(built, final, strict=False)):
        if isinstance(a, dict) and isinstance(b, dict) and a.get("id") != b.get("id"):
            collector.add(
                Finding(
                    "item_id_changed",
                    Severity.INFO,
                    f"output[{i}] is {a.get('id')} in the stream, {b.get('id')} in {terminal}",
                )
            )
            return


def _terminal_model(events: list[StreamEvent]) -> BaseModel | None:
    for event in reversed(events):
        if event.type in ("response.completed", "response.failed", "response.incomplete"):
            response = getattr(event.model, "response", None)
            return response if isinstance(response, BaseModel) else None
    return None


def _stream_error(parsed: ParsedExchange, collector: Collector) -> None:
    for event in parsed.events:
        if event.type != "error" or event.from_client:
            continue
        data = event.data
        inner = data.get("error") if isinstance(data.get("error"), dict) else data
        error = ErrorInfo(
            "stream",
            _s(inner, "message"),
            _s(inner, "code"),
            _s(inner, "type") if inner is not data else None,
            _s(inner, "param"),
        )
        parsed.error = parsed.error or error
        form = "nested" if inner is not data else "flat"
        collector.add(
            Finding(
                "stream_error",
                Severity.ERROR,
                f"error event ({form}): {error.code or error.type or '-'}: {error.message or ''}"[
                    :300
                ],
                event.index,
                event.sequence_number,
            )
        )


def _http_error(parsed: ParsedExchange, collector: Collector) -> None:
    response = parsed.exchange.response
    if response is None or response.status < 400:
        return
    body = parsed.body
    inner = body.get("error") if isinstance(body, dict) else None
    if isinstance(inner, dict):
        error = ErrorInfo(
            "http", _s(inner, "message"), _s(inner, "code"), _s(inner, "type"), _s(inner, "param")
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


def _parse_websocket(parsed: ParsedExchange, collector: Collector) -> None:
    """WebSocket mode: client `response.create` messages and the server's events per turn.

    Each `response.created` from the server starts a turn with its own accumulator.
    """
    parsed.streamed = True
    turns: list[tuple[Accumulator, list[int]]] = []

    def route(index: int, data: dict[str, Any]) -> None:
        if data.get("type") == "response.created" or not turns:
            turns.append((Accumulator(), []))
        turns[-1][0].feed(index, data)
        turns[-1][1].append(index)

    parsed.events = events = websocket_events(parsed.exchange.websocket or [], collector, route)
    for event in events:
        if event.from_client and event.type == "response.create":
            data = event.data
            if isinstance(data, dict):
                apply_create_params(parsed.request, data, collector)
    parsed.items = list(parsed.request.input_items)
    _stream_error(parsed, collector)
    for acc, indices in turns:
        turn = [events[i] for i in indices]
        for finding in check_sequence(
            [(e.index, e.sequence_number) for e in turn if e.type not in (None, "keepalive")]
        ):
            collector.add(finding)
        _finish_turn(parsed, _accumulated(acc, collector), turn, collector)
        if parsed.response is not None and parsed.response_raw is not None:
            parsed.turns.append((parsed.response, parsed.response_raw))
