"""Streams: events -> the final Response, per SSE body or per WebSocket turn, with checks."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .accumulate import TERMINAL, Accumulated, Accumulator, compare_output
from .body_events import websocket_events
from .collect import Collector
from .final_response import set_response, text_of
from .findings import Finding, Severity, check_sequence
from .models import type_response
from .request import apply_create_params
from .result import ErrorInfo, ParsedExchange, StreamEvent


def _accumulated(acc: Accumulator, collector: Collector) -> Accumulated:
    result = acc.result()
    for finding in result.findings:
        collector.add(finding)
    return result


def finish_stream(
    parsed: ParsedExchange,
    collector: Collector,
    size: int,
    acc: Accumulator,
    *,
    sequence: list[Finding] | None = None,
    errors: list[StreamEvent] | None = None,
) -> None:
    """The response, findings and error of a decoded stream. `sequence` (check_sequence's
    findings) and `errors` (its server `error` events) may come precomputed: a stream shown
    in flight keeps them as its events arrive instead of going over all of them again."""
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
    if sequence is None:
        sequence = check_sequence(
            [(e.index, e.sequence_number) for e in events if e.type not in (None, "keepalive")]
        )
    for finding in sequence:
        collector.add(finding)
    _stream_error(parsed, collector, errors)
    _finish_turn(parsed, _accumulated(acc, collector), events, collector)


def _finish_turn(
    parsed: ParsedExchange, result: Accumulated, events: list[StreamEvent], collector: Collector
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
    set_response(parsed, raw, model, collector)


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
        if event.type in TERMINAL:
            response = getattr(event.model, "response", None)
            return response if isinstance(response, BaseModel) else None
    return None


def _stream_error(
    parsed: ParsedExchange, collector: Collector, errors: list[StreamEvent] | None = None
) -> None:
    for event in parsed.events if errors is None else errors:
        if event.type != "error" or event.from_client:
            continue
        data = event.data
        inner = data.get("error") if isinstance(data.get("error"), dict) else data
        error = ErrorInfo(
            "stream",
            text_of(inner, "message"),
            text_of(inner, "code"),
            text_of(inner, "type") if inner is not data else None,
            text_of(inner, "param"),
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


def parse_websocket(parsed: ParsedExchange, collector: Collector) -> None:
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
