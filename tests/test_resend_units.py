"""`respdeck resend`'s pure parts: edits of a body, what goes out (URL, headers, body), the
refusals, the spread of `--times`, a session's turns, and the estimate against the store's
own cost of the same tokens."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from addon.store.db import open_scratch
from addon.store.importer import import_paths
from addon.wire.exchange import WsMessage, fingerprint
from inspector.diff.side import DiffSide
from inspector.resend.edit import EditError, Edits, apply_edits, make_edits, parse_edited
from inspector.resend.estimate import estimate, recorded_tokens
from inspector.resend.plan import (
    key_use,
    outgoing_body,
    outgoing_headers,
    outgoing_message,
    remap,
    target_url,
)
from inspector.resend.refuse import Facts, Previous, notes, refusal
from inspector.resend.spread import spread
from inspector.resend.websocket import recorded_turns

from .conftest import RECORDINGS

BODY = {
    "model": "gpt-4.1-mini",
    "input": [{"role": "user", "content": "hi"}],
    "tools": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}],
}


def test_set_parses_json_values_and_makes_missing_objects() -> None:
    edits = make_edits(
        ["model=gpt-5", "reasoning.effort=high", "temperature=0.2", "store=false",
         'text={"format": {"type": "text"}}', 'instructions="42"', "metadata.run=a=b"],
        [],
    )  # fmt: skip
    out = apply_edits(BODY, edits)
    assert out["model"] == "gpt-5"
    assert out["reasoning"] == {"effort": "high"}
    assert out["temperature"] == 0.2 and out["store"] is False
    assert out["text"] == {"format": {"type": "text"}}
    assert out["instructions"] == "42"  # JSON string: stays a string, not a number
    assert out["metadata"] == {"run": "a=b"}  # the first = splits
    assert BODY["model"] == "gpt-4.1-mini" and "reasoning" not in BODY  # the input untouched


def test_list_indexes_set_append_and_unset_by_recorded_position() -> None:
    out = apply_edits(BODY, make_edits(["tools.-1.name=z", "tools.4={}"], []))
    assert [t.get("name") for t in out["tools"]] == ["a", "b", "c", "z", None]
    # several indexes of one list name the elements as they were, whatever the order given
    out = apply_edits(BODY, make_edits([], ["tools.3", "tools.1", "input.0.content"]))
    assert [t["name"] for t in out["tools"]] == ["a", "c"]
    assert out["input"] == [{"role": "user"}]


@pytest.mark.parametrize(
    ("sets", "unsets", "message"),
    [
        (["model"], [], "give PATH=VALUE"),
        (["a..b=1"], [], "bad path"),
        (["tools.9.name=x"], [], "no index 9 in a list of 4"),
        (["tools.x=1"], [], "is not an index"),
        (["model.x=1"], [], "inside a str"),
        ([], ["nope"], "the body has no 'nope'"),
        ([], ["tools.4"], "no index 4"),
    ],
)
def test_bad_edits_say_why_in_one_line(sets: list[str], unsets: list[str], message: str) -> None:
    with pytest.raises(EditError, match=message) as caught:
        apply_edits(BODY, make_edits(sets, unsets))
    assert "\n" not in str(caught.value)


def test_edited_text_must_be_a_json_object() -> None:
    assert parse_edited('{"model": "x"}') == {"model": "x"}
    with pytest.raises(EditError, match=r"not JSON: .* \(line 2, column 1\)"):
        parse_edited('{"model": "x",\n}')
    with pytest.raises(EditError, match="not a JSON object"):
        parse_edited("[1]")


def test_a_body_that_comes_out_equal_is_the_recorded_bytes() -> None:
    recorded = b'{ "model" : "m",  "input": "hi" }'
    assert outgoing_body(recorded, Edits()) == (recorded, [])
    assert outgoing_body(recorded, make_edits(["model=m"], [])) == (recorded, [])
    body, changed = outgoing_body(recorded, make_edits(["model=n"], []))
    assert json.loads(body) == {"model": "n", "input": "hi"} and changed == ['set model="n"']
    body, changed = outgoing_body(b'{"previous_response_id": "resp_a"}', Edits(), {"resp_a": "r2"})
    assert json.loads(body) == {"previous_response_id": "r2"}
    assert changed == ["re-chained resp_a -> r2"]
    assert outgoing_body(b"", Edits()) == (b"", [])
    with pytest.raises(EditError, match="not a JSON object"):
        outgoing_body(b"", make_edits(["model=x"], []))


def test_ids_are_remapped_wherever_they_are_equal() -> None:
    doc = {"conversation": {"id": "conv_1"}, "input": [{"text": "conv_1 said"}], "n": 1}
    out = remap(doc, {"conv_1": "conv_2"})
    assert out == {"conversation": {"id": "conv_2"}, "input": [{"text": "conv_1 said"}], "n": 1}
    url = "https://api.openai.com/v1/responses/resp_1/input_items?limit=5"
    assert (
        target_url(url, "http://127.0.0.1:9", {"resp_1": "resp_9"})
        == "http://127.0.0.1:9/v1/responses/resp_9/input_items?limit=5"
    )


def test_an_upstream_path_is_put_in_front_unless_the_request_has_it() -> None:
    url = "https://api.openai.com/v1/responses"
    assert target_url(url, "http://h:1") == "http://h:1/v1/responses"
    assert target_url(url, "http://h:1/v1/") == "http://h:1/v1/responses"
    assert (
        target_url(url, "https://x.azure.com/openai") == "https://x.azure.com/openai/v1/responses"
    )


def test_headers_carry_the_key_in_use_where_the_recorded_one_was() -> None:
    recorded = [
        ("host", "api.openai.com"), ("content-length", "10"), ("connection", "keep-alive"),
        ("Authorization", "Bearer fp:0123456789ab"), ("cookie", "fp:aaaaaaaaaaaa"),
        ("user-agent", "OpenAI/Python 3.3.1"),
    ]  # fmt: skip
    headers, dropped = outgoing_headers(recorded, "127.0.0.1:9", "sk-new", 42)
    assert headers == [
        ("host", "127.0.0.1:9"), ("content-length", "42"), ("Authorization", "Bearer sk-new"),
        ("user-agent", "OpenAI/Python 3.3.1"),
    ]  # fmt: skip
    assert dropped == ["cookie"]
    azure, _ = outgoing_headers([("api-key", "fp:0123456789ab")], "x", "k", None)
    assert azure == [("Host", "x"), ("api-key", "k")]
    none_recorded, _ = outgoing_headers([("accept", "*/*")], "x", "k", 2)
    assert none_recorded == [
        ("Host", "x"), ("accept", "*/*"), ("Authorization", "Bearer k"), ("Content-Length", "2")
    ]  # fmt: skip
    keyless, dropped = outgoing_headers(recorded, "x", None, None)
    assert not any(name.lower() == "authorization" for name, _ in keyless)
    assert dropped == ["Authorization", "cookie"]
    use = key_use(recorded, "sk-new", "OPENAI_API_KEY")
    assert use.recorded == "fp:0123456789ab" and use.in_use == fingerprint("sk-new")
    assert use.mismatch and "sk-new" not in use.describe()


def test_a_websocket_create_is_edited_and_rechained_other_messages_only_rechained() -> None:
    create = b'{"type":"response.create","model":"m","previous_response_id":"resp_1"}'
    out = json.loads(outgoing_message(create, make_edits(["model=n"], []), {"resp_1": "resp_2"}))
    assert out == {"type": "response.create", "model": "n", "previous_response_id": "resp_2"}
    assert outgoing_message(create, Edits()) is create
    cancel = b'{"type":"response.cancel","response_id":"resp_1"}'
    assert json.loads(outgoing_message(cancel, make_edits(["model=n"], []), {"resp_1": "r"})) == {
        "type": "response.cancel",
        "response_id": "r",
    }


BASE = Facts(
    label="3f2a91c0", redacted_request=None, turn_of_session=None, capture="c0ffee00",
    previous=(), recorded_key=None, key_available=True, env="OPENAI_API_KEY",
)  # fmt: skip


def facts(**changes: Any) -> Facts:
    return replace(BASE, **changes)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"turn_of_session": "be612d06"}, "respdeck resend be612d06"),
        ({"redacted_request": "its request body"}, "its request body was redacted"),
        ({"recorded_key": "fp:0123456789ab", "key_available": False}, "$OPENAI_API_KEY is not"),
        ({"previous": (Previous("resp_x", True, True, False),)}, "resp_x, whose response was del"),
        ({"previous": (Previous("resp_x", True, False, True),)}, "made with store: false"),
    ],
)
def test_each_refusal_is_one_line(changes: dict[str, Any], reason: str) -> None:
    said = refusal(facts(**changes))
    assert said is not None and reason in said and "\n" not in said


def test_what_does_not_refuse() -> None:
    assert refusal(facts()) is None
    unknown = facts(previous=(Previous("resp_x", False, False, False),))
    assert refusal(unknown) is None
    assert notes(unknown) == [
        "3f2a91c0 continues resp_x, which is not recorded here: the upstream must still hold it"
    ]
    assert refusal(facts(recorded_key=None, key_available=False)) is None  # none was recorded


def side(text: str | None, output_tokens: int, ms: float) -> DiffSide:
    output = [] if text is None else [
        {"type": "message", "content": [{"type": "output_text", "text": text}]}
    ]  # fmt: skip
    return DiffSide(
        "x", response={"output": output}, usage={"output_tokens": output_tokens},
        timing={"duration_ms": ms, "ttft_ms": None},
    )  # fmt: skip


def test_spread_of_sends() -> None:
    sent = [side("yes", 3, 100.0), side("no", 5, 300.0), side("yes", 4, 200.0)]
    doc = spread(side("yes", 4, 150.0), sent)
    assert doc["tokens"]["output_tokens"] == {"min": 3, "median": 4, "max": 5}
    assert doc["latency"]["duration_ms"] == {"min": 100.0, "median": 200.0, "max": 300.0}
    assert doc["latency"]["ttft_ms"] == {"min": None, "median": None, "max": None}
    assert doc["outputs"] == {"agree": 2, "distinct": 2, "same_as_original": 2}


def test_a_sessions_turns_and_the_ids_their_answers_named() -> None:
    def msg(client: bool, data: dict[str, object]) -> WsMessage:
        return WsMessage(None, client, json.dumps(data).encode())

    messages = [
        msg(True, {"type": "response.create"}),
        msg(False, {"type": "response.created", "response": {"id": "resp_1"}}),
        msg(False, {"type": "response.completed", "response": {"id": "resp_1"}}),
        msg(True, {"type": "response.cancel"}),  # no answer: not awaited
        msg(True, {"type": "response.create"}),
        msg(False, {"type": "error", "error": {}}),
    ]
    turns = [(awaited, found) for _, awaited, found in recorded_turns(messages)]
    assert turns == [(True, "resp_1"), (False, None), (True, None)]


def test_the_estimate_is_the_stores_cost_of_the_same_tokens(tmp_path: Path) -> None:
    conn = open_scratch()
    try:
        import_paths(conn, [RECORDINGS / "function_call_roundtrip.har"])
        rows = conn.execute(
            "SELECT exchange_id::VARCHAR, host, cost_usd FROM usage ORDER BY started_at"
        ).fetchall()
        assert rows
        for exchange_id, host, cost in rows:
            tokens = recorded_tokens(conn, exchange_id)
            found = estimate(conn, tokens, host)
            assert found.cost_usd == pytest.approx(cost) and cost > 0
            assert estimate(conn, tokens, "127.0.0.1:9").cost_usd == pytest.approx(cost)
        # another model's price, asked of the library in a transaction rolled back after
        dearer = estimate(conn, recorded_tokens(conn, rows[0][0]), rows[0][1], "gpt-4.1")
        assert dearer.cost_usd is not None and dearer.cost_usd > rows[0][2]
        assert conn.execute(
            "SELECT count(*) FROM price_matches WHERE model = 'gpt-4.1'"
        ).fetchone() == (0,)
        unknown = estimate(conn, recorded_tokens(conn, rows[0][0]), None, "no-such-model")
        assert unknown.cost_usd is None and "no price for no-such-model" in unknown.describe()
        assert estimate(conn, [], None).why_unknown == "no tokens were recorded"
    finally:
        conn.close()
