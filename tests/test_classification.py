"""How the wire core classifies what real clients and servers produce (issue 9, section 1).

- An exchange flagged aborted whose response arrived whole is not an abort (one rule, in the
  parser, for recordings and imports alike).
- Fields the SDK requires but real servers omit are one info finding per exchange and path.
- JSON nested too deep is bad input (`json_invalid`), in every place JSON is read.
- An exchange's tokens are the sum over all its responses.
"""

from __future__ import annotations

import base64
import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from openai.types.responses import ResponseInputMessageItem

from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, WsMessage
from addon.wire.findings import CODES, Severity
from addon.wire.parse import parse_exchange
from addon.wire.result import MAX_DEPTH, ParsedExchange, TooDeep, loads

from .helpers import API, USAGE, json_exchange, response_obj, sse_body, stream_exchange, text_stream


def by_code(parsed: ParsedExchange, code: str) -> list[Any]:
    return [f for f in parsed.findings if f.code == code]


def aborted(exchange: Exchange, reason: str = "Client disconnected.") -> Exchange:
    exchange.aborted = True
    exchange.abort_reason = reason
    if exchange.response is not None:
        exchange.response.truncated = True
    return exchange


# -- aborted or not --------------------------------------------------------------------------


def test_a_stream_whose_terminal_event_arrived_is_not_aborted() -> None:
    parsed = parse_exchange(aborted(stream_exchange(sse_body(text_stream(["a", "b"])))))
    assert not parsed.exchange.aborted and not parsed.partial
    assert not by_code(parsed, "aborted")
    (note,) = by_code(parsed, "closed_after_end")
    assert note.severity == Severity.INFO and "Client disconnected." in note.message
    assert "closed_after_end" in CODES


def test_a_stream_cut_before_its_terminal_event_is_aborted() -> None:
    parsed = parse_exchange(aborted(stream_exchange(sse_body(text_stream(["a"])[:-2]))))
    assert parsed.exchange.aborted and parsed.partial
    (warning,) = by_code(parsed, "aborted")
    assert warning.severity == Severity.WARNING and warning.message == "Client disconnected."
    assert not by_code(parsed, "closed_after_end")


def test_an_http_stream_cut_after_an_error_event_is_still_aborted() -> None:
    """`response.failed` can follow an `error` event (as in stream_error.har): a client that
    hangs up on the error may have cut it off, so only a terminal event makes a stream whole."""
    events = text_stream(["a"], terminal=False)[:3]
    events.append({"type": "error", "code": "server_error", "message": "boom", "param": None,
                   "sequence_number": 3})  # fmt: skip
    parsed = parse_exchange(aborted(stream_exchange(sse_body(events))))
    assert parsed.exchange.aborted and by_code(parsed, "aborted")
    assert not by_code(parsed, "closed_after_end")


def test_non_stream_bodies_whole_or_cut() -> None:
    body = json.dumps(response_obj([])).encode()
    with_length = json_exchange("POST", "/responses", 200, body, {"model": "m"},
                                [("content-type", "application/json"),
                                 ("content-length", str(len(body)))])  # fmt: skip
    no_length = json_exchange("POST", "/responses", 200, body, {"model": "m"})
    cut = json_exchange("POST", "/responses", 200, body[:-20], {"model": "m"})
    assert not parse_exchange(aborted(with_length)).exchange.aborted
    assert not parse_exchange(aborted(no_length)).exchange.aborted
    parsed = parse_exchange(aborted(cut))
    assert parsed.exchange.aborted and by_code(parsed, "aborted")
    no_response = Exchange(HttpRequest("POST", f"{API}/responses"), None, aborted=True)
    assert by_code(parse_exchange(no_response), "aborted")


def websocket(turns: int, finished: int) -> Exchange:
    messages = []
    for n in range(turns):
        messages.append(WsMessage(n * 10.0, True, b'{"type":"response.create","model":"m"}'))
        events = text_stream([f"turn {n}"], terminal=n < finished)
        messages += [WsMessage(n * 10.0 + 1, False, json.dumps(e).encode()) for e in events]
    return Exchange(HttpRequest("GET", f"{API}/responses"), HttpResponse(101), websocket=messages)


def test_a_websocket_is_complete_when_every_response_finished() -> None:
    idle = parse_exchange(aborted(websocket(2, 2), "recorder stopped mid-exchange"))
    assert not idle.exchange.aborted and by_code(idle, "closed_after_end")
    busy = parse_exchange(aborted(websocket(2, 1), "recorder stopped mid-exchange"))
    assert busy.exchange.aborted and by_code(busy, "aborted")


def test_the_decision_is_stable_when_parsed_again() -> None:
    exchange = aborted(stream_exchange(sse_body(text_stream(["a"]))))
    first = [f.to_json() for f in parse_exchange(exchange).findings]
    assert [f.to_json() for f in parse_exchange(exchange).findings] == first


def har_entry(body: bytes, aborted_flag: bool) -> dict[str, Any]:
    return {
        "startedDateTime": "2026-01-01T00:00:00.000Z",
        "time": 10,
        "_aborted": aborted_flag,
        "request": {"method": "POST", "url": f"{API}/responses", "headers": [],
                    "postData": {"mimeType": "application/json",
                                 "text": '{"model":"gpt-4o","input":"hi","stream":true}'}},
        "response": {"status": 200, "headers": [{"name": "content-type",
                                                 "value": "text/event-stream"}],
                     "content": {"mimeType": "text/event-stream", "encoding": "base64",
                                 "text": base64.b64encode(body).decode()}},
        "timings": {"send": 0, "wait": 5, "receive": 5},
    }  # fmt: skip


def test_imported_har_aborted_flag_follows_the_same_rule(tmp_path: Path) -> None:
    whole, cut = sse_body(text_stream(["a"])), sse_body(text_stream(["a"])[:-2])
    path = tmp_path / "aborted.har"
    doc = {"log": {"version": "1.2", "entries": [har_entry(whole, True), har_entry(cut, True)]}}
    path.write_text(json.dumps(doc))
    conn = open_for_write(tmp_path / "h.duckdb")
    try:
        import_paths(conn, [path])
        rows = conn.execute(
            "SELECT e.aborted, list(f.code ORDER BY f.code) FILTER (WHERE f.code IS NOT NULL) "
            "FROM exchanges e LEFT JOIN findings f USING (exchange_id) "
            "GROUP BY e.exchange_id, e.seq, e.aborted ORDER BY e.seq"
        ).fetchall()
    finally:
        conn.close()
    assert rows[0][0] is False and "closed_after_end" in rows[0][1]
    assert "aborted" not in rows[0][1]
    assert rows[1][0] is True and "aborted" in rows[1][1]


# -- fields real servers omit ----------------------------------------------------------------


def without_cache_write(usage: dict[str, Any] | None = USAGE) -> dict[str, Any]:
    usage = copy.deepcopy(usage) or {}
    del usage["input_tokens_details"]["cache_write_tokens"]
    return usage


def test_an_omitted_field_is_one_info_finding_in_every_kind_of_exchange() -> None:
    stream = text_stream(["a"])
    stream[-1]["response"]["usage"] = without_cache_write()
    body = response_obj([], usage=without_cache_write())
    ws = websocket(3, 3)
    assert ws.websocket is not None
    for message in ws.websocket:
        data = json.loads(message.content)
        if data.get("type") == "response.completed":
            data["response"]["usage"] = without_cache_write()
            message.content = json.dumps(data).encode()
    cases = {
        "http stream": stream_exchange(sse_body(stream)),
        "http body": json_exchange("POST", "/responses", 200, body, {"model": "m"}),
        "websocket, 3 responses": ws,
    }
    for name, exchange in cases.items():
        parsed = parse_exchange(exchange)
        omitted = by_code(parsed, "field_omitted")
        assert len(omitted) == 1, (name, omitted)
        assert omitted[0].severity == Severity.INFO
        assert "InputTokensDetails.cache_write_tokens" in omitted[0].message
        assert not by_code(parsed, "schema_mismatch"), (name, parsed.findings)
    assert "(3 times)" in by_code(parse_exchange(ws), "field_omitted")[0].message


def test_old_streams_without_sequence_numbers_get_one_finding_for_them() -> None:
    events = text_stream(["a", "b"])
    for event in events:
        del event["sequence_number"]
    parsed = parse_exchange(stream_exchange(sse_body(events)))
    omitted = by_code(parsed, "field_omitted")
    assert [f.message.split(": ", 1)[1].split(" ")[0] for f in omitted] == ["sequence_number"]
    assert not by_code(parsed, "schema_mismatch")
    assert by_code(parsed, "sequence_missing")  # the ordering check still says so


def test_reasoning_sent_back_without_id_is_usual_in_a_request_only() -> None:
    reasoning = {"type": "reasoning", "encrypted_content": "gAAA", "summary": []}
    request = {"model": "m", "stream": True, "store": False,
               "input": ["hi", reasoning, {**reasoning, "encrypted_content": "gBBB"}]}  # fmt: skip
    sent = parse_exchange(stream_exchange(sse_body(text_stream(["a"])), request=request))
    (omitted,) = by_code(sent, "field_omitted")
    assert "ResponseReasoningItem.id" in omitted.message and "(2 times)" in omitted.message
    assert "real clients" in omitted.message and not by_code(sent, "schema_mismatch")
    answer = response_obj([{"type": "reasoning", "summary": []}])  # a server's, without id
    got = parse_exchange(json_exchange("POST", "/responses", 200, answer, {"model": "m"}))
    (mismatch,) = by_code(got, "schema_mismatch")
    assert "output.0.id (missing)" in mismatch.message and not by_code(got, "field_omitted")


def test_other_missing_fields_stay_warnings() -> None:
    usage = copy.deepcopy(USAGE)
    del usage["total_tokens"]
    body = response_obj([], usage=usage)
    parsed = parse_exchange(json_exchange("POST", "/responses", 200, body, {"model": "m"}))
    (mismatch,) = by_code(parsed, "schema_mismatch")
    assert mismatch.severity == Severity.WARNING and "total_tokens" in mismatch.message


def test_a_compaction_holds_user_messages(recordings_parsed: list[ParsedExchange]) -> None:
    (parsed,) = [p for p in recordings_parsed if p.endpoint == "responses.compact"]
    assert not by_code(parsed, "schema_mismatch")
    users = [i for i in parsed.items if i.direction == "output" and i.role == "user"]
    assert users and all(isinstance(i.model, ResponseInputMessageItem) for i in users)


# -- JSON nested too deep --------------------------------------------------------------------


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("depth", [3_000, 100_000])
def test_json_nested_too_deep_is_bad_input_everywhere(depth: int) -> None:
    deep = nested(depth)
    request = HttpRequest(
        "POST", f"{API}/responses", [], f'{{"model":"m","input":"x","metadata":{deep}}}'.encode()
    )
    ok = HttpResponse(200, [("content-type", "application/json")],
                      json.dumps(response_obj([])).encode())  # fmt: skip
    cases = {
        "request body": Exchange(request, ok),
        "response body": json_exchange("POST", "/responses", 200, deep.encode(), {"model": "m"}),
        "event payload": stream_exchange(
            f'data: {{"type":"response.output_text.delta","x":{deep}}}\n\n'.encode()
        ),
        "websocket message": Exchange(
            HttpRequest("GET", f"{API}/responses"),
            HttpResponse(101),
            websocket=[
                WsMessage(0, True, b'{"type":"response.create","model":"m"}'),
                WsMessage(1, False, f'{{"type":"response.created","x":{deep}}}'.encode()),
            ],
        ),
    }
    said = {"websocket message": "event payload"}
    for where, exchange in cases.items():
        parsed = parse_exchange(exchange)
        assert not by_code(parsed, "parser_error")
        (invalid,) = by_code(parsed, "json_invalid")
        assert f"nested deeper than {MAX_DEPTH} levels" in invalid.message, where
        assert said.get(where, where) in invalid.message, (where, invalid.message)


def test_the_depth_limit() -> None:
    assert loads(nested(MAX_DEPTH)) is not None
    for depth in (MAX_DEPTH + 1, 3_000, 100_000):
        with pytest.raises(TooDeep):
            loads(nested(depth))
    with pytest.raises(TooDeep):  # refused by orjson for its NaN, then too deep for json
        loads("[NaN," + "[" * 100_000 + "]" * 100_001)
    assert math.isnan(loads("[NaN]")[0])  # what only json parses still parses


# -- tokens of an exchange -------------------------------------------------------------------


def test_a_websocket_exchange_counts_every_response(
    recordings_parsed: list[ParsedExchange],
) -> None:
    (parsed,) = [p for p in recordings_parsed if p.exchange.source.endswith("/websocket.har")]
    assert len(parsed.responses_raw) == len(parsed.usages) >= 2
    per_response = [r["usage"]["input_tokens"] + r["usage"]["output_tokens"]
                    for r in parsed.responses_raw]  # fmt: skip
    assert [(u.input_tokens or 0) + (u.output_tokens or 0) for u in parsed.usages] == per_response
    assert parsed.usage is not None and parsed.usage == parsed.usages[-1]
    single = parse_exchange(stream_exchange(sse_body(text_stream(["a"]))))
    assert single.usages == [single.usage]
