"""The diff core on crafted pairs: pure functions over plain sides, no database.

Each test builds two `DiffSide`s that differ in one known way (or only in what must not count)
and checks the document says exactly that: one inserted message is one `added` entry, one
changed word of a long prompt is that word, ids and key order are not changes, and the
outcome (usage, timing) is reported without making two exchanges differ.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson

from inspector.diff import DiffSide, diff_exchanges
from inspector.diff.align import Step, align
from inspector.diff.captures import diff_captures, pair_sides
from inspector.diff.render import aligned
from inspector.diff.threads import diff_threads
from inspector.diff.words import MOSTLY_DIFFERENT, text_diff, word_pieces

# --- building sides --------------------------------------------------------------------------


def side(
    request: dict[str, Any],
    response: dict[str, Any] | None = None,
    *,
    label: str = "a",
    http_status: int = 200,
    usage: dict[str, float | int | None] | None = None,
    timing: dict[str, float | None] | None = None,
) -> DiffSide:
    return DiffSide(
        label=label,
        request=request,
        response=response if response is not None else completed([]),
        http_status=http_status,
        usage=usage or {},
        timing=timing or {},
        method="POST",
        path="/v1/responses",
        request_body=orjson.dumps(request),
    )


def completed(output: list[dict[str, Any]], rid: str = "resp_1") -> dict[str, Any]:
    return {"id": rid, "object": "response", "created_at": 1700000000, "status": "completed"} | {
        "output": output
    }


def user(text: str, mid: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": text}],
    }
    return item | ({"id": mid} if mid else {})


def assistant(text: str, mid: str = "msg_1") -> dict[str, Any]:
    return {
        "type": "message",
        "id": mid,
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def call(call_id: str, city: str, fid: str = "fc_1") -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": fid,
        "call_id": call_id,
        "name": "get_weather",
        "arguments": json.dumps({"city": city}),
    }


def output(call_id: str, text: str) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": text}


def reasoning(encrypted: str, rid: str = "rs_1") -> dict[str, Any]:
    return {"type": "reasoning", "id": rid, "summary": [], "encrypted_content": encrypted}


WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def base_request() -> dict[str, Any]:
    return {
        "model": "gpt-5",
        "instructions": "You are a helpful assistant.",
        "input": [
            user("What is the weather in Paris?", "msg_u1"),
            call("call_1", "Paris"),
            output("call_1", "sunny, 21C"),
            assistant("It is sunny in Paris.", "msg_a1"),
            user("And in Rome?", "msg_u2"),
        ],
        "tools": [copy.deepcopy(WEATHER_TOOL)],
        "reasoning": {"effort": "low"},
        "metadata": {"run_id": "r-1", "suite": "smoke"},
        "prompt_cache_key": "pck-1",
        "store": False,
    }


def ops(entries: list[dict[str, Any]]) -> list[str]:
    return [e["op"] for e in entries]


# --- request: input items --------------------------------------------------------------------


def test_identical_exchanges_are_same() -> None:
    doc = diff_exchanges(side(base_request()), side(base_request()))
    assert doc["same"] is True
    assert set(ops(doc["request"]["input_items"])) == {"equal"}


def test_one_inserted_input_message_is_one_added_entry() -> None:
    a, b = base_request(), base_request()
    b["input"].insert(2, user("Also, metric units please."))
    doc = diff_exchanges(side(a), side(b))
    entries = doc["request"]["input_items"]
    assert ops(entries) == ["equal", "equal", "added", "equal", "equal", "equal"]
    added = entries[2]
    assert added == {
        "op": "added",
        "a_index": None,
        "b_index": 2,
        "type": "message",
        "role": "user",
        "changes": [],
        "preview": "Also, metric units please.",
    }
    # after the insertion, a's items still pair with their counterparts, one index on
    assert [(e["a_index"], e["b_index"]) for e in entries[3:]] == [(2, 3), (3, 4), (4, 5)]
    assert doc["same"] is False
    request = doc["request"]
    assert request["instructions"]["same"] and not request["params"]
    assert set(ops(request["tools"])) == {"equal"}


def test_one_removed_input_message_is_one_removed_entry() -> None:
    a, b = base_request(), base_request()
    del b["input"][0]
    entries = diff_exchanges(side(a), side(b))["request"]["input_items"]
    assert ops(entries) == ["removed", "equal", "equal", "equal", "equal"]
    assert entries[0]["a_index"] == 0 and entries[0]["b_index"] is None


def test_changed_message_text_is_a_word_diff_of_the_part() -> None:
    a, b = base_request(), base_request()
    b["input"][4] = user("And in Milan?", "msg_u2")
    entries = diff_exchanges(side(a), side(b))["request"]["input_items"]
    assert ops(entries) == ["equal"] * 4 + ["changed"]
    (change,) = entries[4]["changes"]
    assert change["path"] == "content[0].text"
    assert change["a"] == "And in Rome?" and change["b"] == "And in Milan?"
    assert ["delete", "Rome"] in change["diff"] and ["insert", "Milan"] in change["diff"]


def test_a_message_whose_role_changed_is_removed_and_added() -> None:
    a, b = base_request(), base_request()
    b["input"][4] = assistant("And in Rome?", "msg_u2")
    entries = diff_exchanges(side(a), side(b))["request"]["input_items"]
    assert ops(entries)[:4] == ["equal"] * 4
    assert sorted(ops(entries)[4:]) == ["added", "removed"]
    roles = {e["op"]: e["role"] for e in entries[4:]}
    assert roles == {"removed": "user", "added": "assistant"}


def test_added_and_removed_items_preview_their_text() -> None:
    a, b = base_request(), base_request()
    b["input"].append(user("word " * 40))
    del b["input"][1:3]  # the call and its output
    entries = diff_exchanges(side(a), side(b))["request"]["input_items"]
    removed = [e for e in entries if e["op"] == "removed"]
    assert [e["type"] for e in removed] == ["function_call", "function_call_output"]
    assert removed[1]["preview"] == "sunny, 21C"
    (added,) = [e for e in entries if e["op"] == "added"]
    assert len(added["preview"]) == 80 and added["preview"].endswith("…")
    assert "\n" not in added["preview"] and "  " not in added["preview"]
    text = "\n".join(str(line) for line in aligned(entries, plain=True))
    assert "sunny, 21C" in text


# --- request: instructions, tools, params ----------------------------------------------------


def long_prompt(changed_word: str = "careful") -> str:
    words = [f"w{n % 97}" for n in range(4000)]
    words[2345] = changed_word
    return " ".join(words)


def test_one_word_changed_in_long_instructions() -> None:
    a, b = base_request(), base_request()
    a["instructions"], b["instructions"] = long_prompt("careful"), long_prompt("thorough")
    doc = diff_exchanges(side(a), side(b))
    instructions = doc["request"]["instructions"]
    assert instructions["same"] is False
    changed = [p for p in instructions["diff"] if p[0] != "equal"]
    assert changed == [["delete", "careful"], ["insert", "thorough"]]
    assert "".join(t for op, t in instructions["diff"] if op != "insert") == a["instructions"]
    assert "".join(t for op, t in instructions["diff"] if op != "delete") == b["instructions"]
    assert doc["same"] is False


def test_tool_added() -> None:
    a, b = base_request(), base_request()
    b["tools"].append({"type": "web_search"})
    tools = diff_exchanges(side(a), side(b))["request"]["tools"]
    assert tools == [
        {"name": "get_weather", "op": "equal", "changes": []},
        {"name": "web_search", "op": "added", "changes": []},
    ]


def test_tool_removed() -> None:
    a, b = base_request(), base_request()
    b["tools"] = []
    tools = diff_exchanges(side(a), side(b))["request"]["tools"]
    assert tools == [{"name": "get_weather", "op": "removed", "changes": []}]


def test_tool_parameter_schema_changed_by_dotted_path() -> None:
    a, b = base_request(), base_request()
    schema = b["tools"][0]["parameters"]
    schema["properties"]["city"]["type"] = "integer"
    schema["properties"]["units"] = {"type": "string"}
    doc = diff_exchanges(side(a), side(b))
    (tool,) = doc["request"]["tools"]
    assert tool["name"] == "get_weather" and tool["op"] == "changed"
    assert tool["changes"] == [
        {
            "path": "tools.get_weather.parameters.properties.city.type",
            "op": "changed",
            "a": "string",
            "b": "integer",
        },
        {
            "path": "tools.get_weather.parameters.properties.units",
            "op": "added",
            "b": {"type": "string"},
        },
    ]
    assert doc["same"] is False


def test_tool_order_alone_is_not_a_change() -> None:
    a, b = base_request(), base_request()
    a["tools"] = [WEATHER_TOOL, {"type": "web_search"}]
    b["tools"] = [{"type": "web_search"}, WEATHER_TOOL]
    assert diff_exchanges(side(a), side(b))["same"] is True


def test_parameter_changed_by_path() -> None:
    a, b = base_request(), base_request()
    b["reasoning"]["effort"] = "high"
    doc = diff_exchanges(side(a), side(b))
    assert doc["request"]["params"] == [
        {"path": "reasoning.effort", "op": "changed", "a": "low", "b": "high"}
    ]
    assert doc["same"] is False


def test_temperature_added_and_include_item_added() -> None:
    a, b = base_request(), base_request()
    a["include"] = ["reasoning.encrypted_content"]
    b["include"] = ["reasoning.encrypted_content", "web_search_call.action.sources"]
    b["temperature"] = 0.2
    params = diff_exchanges(side(a), side(b))["request"]["params"]
    assert params == [
        {"path": "include[1]", "op": "added", "b": "web_search_call.action.sources"},
        {"path": "temperature", "op": "added", "b": 0.2},
    ]


def test_model_changed() -> None:
    a, b = base_request(), base_request()
    b["model"] = "gpt-5-mini"
    doc = diff_exchanges(side(a), side(b))
    assert doc["request"]["model"] == {"a": "gpt-5", "b": "gpt-5-mini", "same": False}
    assert doc["same"] is False


def test_previous_response_id_counts_only_when_one_side_has_one() -> None:
    a, b = base_request(), base_request()
    a["previous_response_id"], b["previous_response_id"] = "resp_a", "resp_b"
    assert diff_exchanges(side(a), side(b))["same"] is True
    del b["previous_response_id"]
    params = diff_exchanges(side(a), side(b))["request"]["params"]
    assert [(p["path"], p["op"]) for p in params] == [("previous_response_id", "removed")]


# --- what does not count: ids, key order; --strict; --ignore ---------------------------------


def reordered(value: Any) -> Any:
    """The same JSON with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {k: reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(v) for v in value]
    return value


def renamed_pair() -> tuple[DiffSide, DiffSide]:
    """Two runs of one call: b has its keys reordered, new item ids, a new response id and
    created_at, new call ids (consistently: the output still answers its call) and a new
    prompt_cache_key."""
    a_request = base_request()
    a_request["input"].append(reasoning("ENC-ONE", "rs_a"))
    a_response = completed([reasoning("ENC-TWO", "rs_x"), assistant("Rome: cloudy.", "msg_x")])
    b_request = copy.deepcopy(a_request)
    b_request["prompt_cache_key"] = "pck-2"
    for item in b_request["input"]:
        if "id" in item:
            item["id"] = item["id"] + "-new"
        if "call_id" in item:
            item["call_id"] = "call_renamed"
    b_response = copy.deepcopy(a_response)
    b_response |= {"id": "resp_2", "created_at": 1800000000}
    for item in b_response["output"]:
        item["id"] = item["id"] + "-new"
    return side(a_request, a_response), side(reordered(b_request), reordered(b_response), label="b")


def test_reordered_keys_and_new_ids_only_are_same() -> None:
    a, b = renamed_pair()
    doc = diff_exchanges(a, b)
    assert doc["same"] is True
    assert not doc["request"]["params"]
    assert set(ops(doc["request"]["input_items"])) == {"equal"}
    assert set(ops(doc["response"]["output_items"])) == {"equal"}


def test_strict_compares_ids_and_volatile_params() -> None:
    a, b = renamed_pair()
    doc = diff_exchanges(a, b, strict=True)
    assert doc["same"] is False
    paths = [p["path"] for p in doc["request"]["params"]]
    assert "prompt_cache_key" in paths
    assert "changed" in ops(doc["request"]["input_items"])


def test_ignore_hides_one_metadata_key_and_not_another() -> None:
    a, b = base_request(), base_request()
    b["metadata"] = {"run_id": "r-2", "suite": "smoke"}
    assert diff_exchanges(side(a), side(b))["request"]["params"] == [
        {"path": "metadata.run_id", "op": "changed", "a": "r-1", "b": "r-2"}
    ]
    assert diff_exchanges(side(a), side(b), ignore=["metadata.run_id"])["same"] is True
    b["metadata"]["suite"] = "full"
    doc = diff_exchanges(side(a), side(b), ignore=["metadata.run_id"])
    assert doc["request"]["params"] == [
        {"path": "metadata.suite", "op": "changed", "a": "smoke", "b": "full"}
    ]
    assert doc["same"] is False


def test_ignore_with_section_and_pattern() -> None:
    a, b = base_request(), base_request()
    b["metadata"] = {"run_id": "r-2", "suite": "full"}
    assert diff_exchanges(side(a), side(b), ignore=["request.metadata"])["same"] is True
    assert diff_exchanges(side(a), side(b), ignore=["metadata.*"])["same"] is True


# --- calls and outputs, reasoning ------------------------------------------------------------


def test_same_output_answering_another_call_is_a_change() -> None:
    a, b = base_request(), base_request()
    a["input"] = [call("call_1", "Paris", "fc_1"), call("call_2", "Rome", "fc_2")]
    b["input"] = copy.deepcopy(a["input"])
    a["input"].append(output("call_1", "sunny"))
    b["input"].append(output("call_2", "sunny"))
    doc = diff_exchanges(side(a), side(b))
    entries = doc["request"]["input_items"]
    assert ops(entries) == ["equal", "equal", "changed"]
    (change,) = entries[2]["changes"]
    assert change["path"] == "call"
    assert change["a"]["arguments"] == {"city": "Paris"}
    assert change["b"]["arguments"] == {"city": "Rome"}
    assert entries[2]["call"] == "get_weather"
    assert doc["same"] is False


def test_call_arguments_compared_as_json() -> None:
    a, b = base_request(), base_request()
    b["input"][1]["arguments"] = '{ "city" : "Paris" }'  # re-serialised, same JSON
    assert diff_exchanges(side(a), side(b))["same"] is True
    b["input"][1]["arguments"] = json.dumps({"city": "Lyon"})
    entries = diff_exchanges(side(a), side(b))["request"]["input_items"]
    call_entry = entries[1]
    assert call_entry["op"] == "changed" and call_entry["name"] == "get_weather"
    assert call_entry["changes"] == [
        {"path": "arguments.city", "op": "changed", "a": "Paris", "b": "Lyon"}
    ]
    # its output answers a changed call: it is changed too, by its call
    assert entries[2]["op"] == "changed"


def test_reasoning_encrypted_content_compared_by_hash() -> None:
    a, b = base_request(), base_request()
    a["input"].append(reasoning("ENCRYPTED-A" * 50, "rs_1"))
    b["input"].append(reasoning("ENCRYPTED-A" * 50, "rs_2"))
    assert diff_exchanges(side(a), side(b))["same"] is True
    b["input"][-1] = reasoning("ENCRYPTED-B" * 50, "rs_1")
    entries = diff_exchanges(side(a), side(b))["request"]["input_items"]
    last = entries[-1]
    assert last["op"] == "changed" and last["type"] == "reasoning"
    assert [c["path"] for c in last["changes"]] == ["encrypted_sha256"]
    assert "ENCRYPTED" not in json.dumps(last)  # the hash, never the blob


def test_reasoning_summary_changed() -> None:
    def summarised(text: str) -> dict[str, Any]:
        return {"type": "reasoning", "summary": [{"type": "summary_text", "text": text}]}

    a, b = base_request(), base_request()
    a["input"].append(summarised("Check the forecast first."))
    b["input"].append(summarised("Check the map first."))
    last = diff_exchanges(side(a), side(b))["request"]["input_items"][-1]
    assert last["op"] == "changed"
    assert [c["path"] for c in last["changes"]] == ["summary[0].text"]


# --- response --------------------------------------------------------------------------------


def test_output_text_word_diff() -> None:
    request = base_request()
    a = side(request, completed([assistant("Rome is cloudy today, 18C.")]))
    b = side(request, completed([assistant("Rome is sunny today, 18C.")]))
    doc = diff_exchanges(a, b)
    text = doc["response"]["output_text"]
    assert text["same"] is False
    assert [p for p in text["diff"] if p[0] != "equal"] == [
        ["delete", "cloudy"],
        ["insert", "sunny"],
    ]
    (item,) = doc["response"]["output_items"]
    assert item["op"] == "changed" and item["role"] == "assistant"
    assert doc["same"] is False


def test_output_tool_call_by_name_then_arguments() -> None:
    request = base_request()
    a = side(request, completed([call("call_9", "Rome", "fc_9")]))
    b = side(request, completed([call("call_7", "Rome", "fc_7")]))
    assert diff_exchanges(a, b)["same"] is True
    c = side(request, completed([call("call_7", "Roma", "fc_7")]))
    (item,) = diff_exchanges(a, c)["response"]["output_items"]
    assert item["name"] == "get_weather" and item["op"] == "changed"
    assert item["changes"][0]["path"] == "arguments.city"


def test_response_status_and_incomplete_reason() -> None:
    request = base_request()
    a = side(request, completed([assistant("Done.")]))
    cut = completed([assistant("Done.")]) | {
        "status": "incomplete",
        "incomplete_details": {"reason": "max_output_tokens"},
    }
    doc = diff_exchanges(a, side(request, cut))
    response = doc["response"]
    assert response["status"] == {"a": "completed", "b": "incomplete", "same": False}
    assert response["incomplete_reason"] == {"a": None, "b": "max_output_tokens", "same": False}
    assert response["output_text"]["same"] is True
    assert doc["same"] is False


def test_http_status_and_error_change() -> None:
    request = base_request()
    a = side(request, completed([assistant("Done.")]))
    error = {"error": {"type": "rate_limit_error", "code": "rate_limit_exceeded", "message": "x"}}
    b = side(request, error, http_status=429)
    doc = diff_exchanges(a, b)
    assert doc["response"]["http_status"] == {"a": 200, "b": 429, "same": False}
    assert doc["response"]["error"]["b"] == error["error"]
    assert doc["response"]["error"]["changes"]
    assert doc["same"] is False
    # the same error twice is the same; another error code is not
    assert diff_exchanges(b, b)["same"] is True
    other = {"error": error["error"] | {"code": "insufficient_quota"}}
    doc = diff_exchanges(b, side(request, other, http_status=429))
    assert doc["response"]["error"]["changes"] == [
        {
            "path": "error.code",
            "op": "changed",
            "a": "rate_limit_exceeded",
            "b": "insufficient_quota",
        }
    ]
    assert doc["same"] is False


# --- outcome ---------------------------------------------------------------------------------


def test_usage_and_timing_deltas_do_not_make_a_difference() -> None:
    request = base_request()
    response = completed([assistant("Done.")])
    a = side(
        request,
        response,
        usage={"input_tokens": 100, "output_tokens": 20, "total_tokens": 120, "cost_usd": 0.0015},
        timing={"ttft_ms": 250.0, "duration_ms": 900.0},
    )
    b = side(
        request,
        response,
        usage={"input_tokens": 100, "output_tokens": 35, "total_tokens": 135, "cost_usd": 0.0021},
        timing={"ttft_ms": 300.0, "duration_ms": None},
    )
    doc = diff_exchanges(a, b)
    assert doc["same"] is True
    usage, timing = doc["usage"], doc["timing"]
    assert usage["input_tokens"] == {"a": 100, "b": 100, "delta": 0}
    assert usage["output_tokens"] == {"a": 20, "b": 35, "delta": 15}
    assert usage["cost_usd"] == {"a": 0.0015, "b": 0.0021, "delta": 0.0006}
    assert usage["cached_tokens"] == {"a": None, "b": None, "delta": None}
    assert timing["ttft_ms"] == {"a": 250.0, "b": 300.0, "delta": 50.0}
    assert timing["duration_ms"] == {"a": 900.0, "b": None, "delta": None}


def test_document_has_every_promised_key() -> None:
    doc = json.loads(json.dumps(diff_exchanges(*renamed_pair())))  # plain JSON all through
    assert isinstance(doc["same"], bool)
    request, response = doc["request"], doc["response"]
    assert {"a", "b"} <= set(request["model"]) and {"a", "b"} <= set(response["status"])
    for text in (request["instructions"], response["output_text"]):
        assert set(text) == {"same", "diff"}
    for items in (request["input_items"], response["output_items"]):
        assert items
        for entry in items:
            assert {"op", "a_index", "b_index", "type", "changes"} <= set(entry)
            assert entry["op"] in {"equal", "changed", "added", "removed"}
    for tool in request["tools"]:
        assert {"name", "op", "changes"} <= set(tool)
    b = base_request() | {"temperature": 1}
    (param,) = diff_exchanges(side(base_request()), side(b))["request"]["params"]
    assert {"path", "b"} <= set(param)
    assert set(doc["usage"]) == {
        "input_tokens",
        "cached_tokens",
        "output_tokens",
        "reasoning_tokens",
        "total_tokens",
        "cost_usd",
    }
    assert set(doc["timing"]) == {"ttft_ms", "duration_ms"}
    for value in (*doc["usage"].values(), *doc["timing"].values()):
        assert set(value) == {"a", "b", "delta"}


# --- words -----------------------------------------------------------------------------------


def rebuilt(pieces: list[list[str]]) -> tuple[str, str]:
    a = "".join(t for op, t in pieces if op != "insert")
    b = "".join(t for op, t in pieces if op != "delete")
    return a, b


def test_word_pieces_rebuild_both_texts() -> None:
    cases = [
        ("", ""),
        ("", "new"),
        ("old", ""),
        ("same text", "same text"),
        ("a  b\n c", "a b\n\nc d"),
        ("The quick brown fox.", "The quick red fox!"),
        ("héllo wörld", "héllo welt"),
    ]
    for a, b in cases:
        assert rebuilt(word_pieces(a, b)) == (a, b)


def test_mostly_different_texts_are_one_delete_and_one_insert() -> None:
    a = "The cat sat on the mat and looked at the door."
    b = "A dog ran in the park and chased every pigeon."
    pieces = word_pieces(a, b)
    assert [op for op, _ in pieces] == ["delete", "insert", "equal"]  # the final '.' is kept
    assert rebuilt(pieces) == (a, b)


def test_mostly_different_middle_keeps_common_start_and_end() -> None:
    a = "Answer: the cat sat on the mat. Thanks!"
    b = "Answer: a dog ran in the park. Thanks!"
    assert word_pieces(a, b) == [
        ["equal", "Answer: "],
        ["delete", "the cat sat on the mat"],
        ["insert", "a dog ran in the park"],
        ["equal", ". Thanks!"],
    ]


def test_mostly_similar_texts_keep_word_level_pieces() -> None:
    a = "one two three four five six seven eight nine ten"
    b = "one two three FOUR five six seven eight NINE ten"
    assert [p for p in word_pieces(a, b) if p[0] != "equal"] == [
        ["delete", "four"],
        ["insert", "FOUR"],
        ["delete", "nine"],
        ["insert", "NINE"],
    ]


def test_mostly_different_rule_at_its_threshold() -> None:
    # middles share "x" (1 visible char of each side's 2): share 2*1/4 = 0.5, kept word-level;
    # with "yy" in place of "y" the share is 2*1/6 < 0.5: one delete, one insert
    assert MOSTLY_DIFFERENT == 0.5
    assert word_pieces("[x y]", "[x z]") == [
        ["equal", "[x "],
        ["delete", "y"],
        ["insert", "z"],
        ["equal", "]"],
    ]
    assert word_pieces("[y x yy]", "[z x zz]") == [
        ["equal", "["],
        ["delete", "y x yy"],
        ["insert", "z x zz"],
        ["equal", "]"],
    ]


def test_text_diff_none_and_empty() -> None:
    assert text_diff(None, None) == {"same": True, "diff": []}
    assert text_diff("x", "x") == {"same": True, "diff": []}
    assert text_diff(None, "") == {"same": False, "diff": []}
    assert text_diff(None, "hi") == {"same": False, "diff": [["insert", "hi"]]}


# --- align -----------------------------------------------------------------------------------


def test_align_edge_cases() -> None:
    assert align([], [], [], []) == []
    assert align([], ["k"], [], ["m"]) == [Step("added", None, 0)]
    assert align(["k"], [], ["m"], []) == [Step("removed", 0, None)]
    assert align(["k", "k"], ["k", "k"], ["m", "m"], ["m", "m"]) == [
        Step("equal", 0, 0),
        Step("equal", 1, 1),
    ]
    # a replaced element of the same kind is changed; of another kind, removed and added
    assert align(["a"], ["b"], ["m"], ["m"]) == [Step("changed", 0, 0)]
    assert align(["a"], ["b"], ["m"], ["c"]) == [Step("removed", 0, None), Step("added", None, 0)]
    # in a replaced block, an a pairs with the next b of its kind; skipped bs are added
    assert align(["x", "a", "y"], ["x", "b", "c", "y"], ["m", "m", "m"], ["m", "c", "m", "m"]) == [
        Step("equal", 0, 0),
        Step("added", None, 1),
        Step("changed", 1, 2),
        Step("equal", 2, 3),
    ]


def test_align_repeated_keys_are_not_junk() -> None:
    # 300 identical tool outputs (what autojunk would drop as popular) and one insertion
    a = ["same"] * 300
    b = ["same"] * 150 + ["new"] + ["same"] * 150
    steps = align(a, b, ["m"] * 300, ["m"] * 301)
    assert [s.op for s in steps].count("equal") == 300
    assert [s for s in steps if s.op != "equal"] == [Step("added", None, 150)]


# --- threads ---------------------------------------------------------------------------------


def turns(texts: list[str]) -> tuple[list[DiffSide], list[str]]:
    sides, keys, history = [], [], []
    for n, text in enumerate(texts):
        history.append(user(text))
        reply = assistant(f"reply to {text}", f"msg_{n}")
        sides.append(side({"model": "gpt-5", "input": list(history)}, completed([reply])))
        keys.append(json.dumps([text, reply["content"][0]["text"]]))
        history.append(reply)
    return sides, keys


def test_diff_threads_one_extra_turn() -> None:
    a, a_keys = turns(["one", "two", "four"])
    b, b_keys = turns(["one", "two", "three", "four"])
    doc = diff_threads(a, b, a_keys, b_keys)
    assert [(t["op"], t["a_index"], t["b_index"]) for t in doc["turns"]] == [
        ("equal", 0, 0),
        ("equal", 1, 1),
        ("added", None, 2),
        ("changed", 2, 3),  # its request now holds the extra turn's messages
    ]
    assert doc["same"] is False
    assert doc["a"]["turns"] == 3 and doc["b"]["turns"] == 4
    assert doc["turns"][0]["diff"]["same"] is True


def test_diff_threads_same_and_totals() -> None:
    a, keys = turns(["one", "two"])
    b, _ = turns(["one", "two"])
    for s, n in zip([*a, *b], [10, 20, 10, 25], strict=True):
        s.usage = {"total_tokens": n}
    doc = diff_threads(a, b, keys, keys)
    assert doc["same"] is True
    assert doc["totals"]["usage"]["total_tokens"] == {"a": 30, "b": 35, "delta": 5}
    assert doc["totals"]["usage"]["cost_usd"] == {"a": None, "b": None, "delta": None}


# --- captures --------------------------------------------------------------------------------


def prompt_side(prompt: str, label: str, model: str = "gpt-5") -> DiffSide:
    return side(
        {"model": model, "input": [user(prompt)], "metadata": {"case": prompt}}, label=label
    )


def test_pair_sides_exact_similar_and_unpaired() -> None:
    a = [
        prompt_side("alpha", "a0"),
        prompt_side("beta", "a1"),
        prompt_side("gamma", "a2"),
        prompt_side("only in a", "a3"),
    ]
    changed_model = side(
        {"model": "gpt-5-mini", "input": [user("gamma")], "metadata": {"case": "gamma"}}
    )
    b = [
        prompt_side("beta", "b0"),  # exact: a1
        changed_model,  # same input as a2, another model: similar
        prompt_side("alpha", "b2"),  # exact: a0
        prompt_side("only in b", "b3"),  # nothing agrees: unpaired
    ]
    b[3].request_body = orjson.dumps({"model": "gpt-4.1", "input": "only in b"})
    assert pair_sides(a, b) == [(1, 0), (2, 1), (0, 2), (None, 3), (3, None)]


def test_pair_sides_prefers_same_input_and_uses_each_once() -> None:
    a = [prompt_side("alpha", "a0"), prompt_side("alpha", "a1")]
    b = [prompt_side("alpha", "b0"), prompt_side("alpha", "b1"), prompt_side("alpha", "b2")]
    assert pair_sides(a, b) == [(0, 0), (1, 1), (None, 2)]


def test_diff_captures_counts() -> None:
    a = [prompt_side("alpha", "a0"), prompt_side("beta", "a1"), prompt_side("gone", "a2")]
    b = [prompt_side("alpha", "b0"), prompt_side("beta", "b1")]
    b[1].response = completed([assistant("a new answer")])
    a[2].request_body = orjson.dumps({"model": "other", "input": "gone"})
    doc = diff_captures(a, b)
    assert doc["counts"] == {
        "a": 3,
        "b": 2,
        "paired": 2,
        "same": 1,
        "changed": 1,
        "only_a": 1,
        "only_b": 0,
    }
    assert [o["label"] for o in doc["only_a"]] == ["a2"]
    assert doc["same"] is False


def test_pair_sides_by_meaning_new_ids_and_cache_key() -> None:
    """Another run resends the same conversations with other item ids, call ids and prompt
    cache keys: each request still pairs with its counterpart, not with the first of its
    model (which a pairing by the raw bodies would pick, every input differing)."""

    def run(tag: str, order: list[int]) -> list[DiffSide]:
        sides = []
        for n in order:
            items = [
                user(f"task {n}", f"msg_{tag}{n}"),
                call(f"call_{tag}{n}", "Paris", f"fc_{tag}"),
            ]
            items.append(output(f"call_{tag}{n}", "sunny"))
            body = {"model": "gpt-5", "input": items, "prompt_cache_key": f"pck-{tag}"}
            sides.append(side(body, label=f"{tag}{n}"))
        return sides

    a, b = run("a", [0, 1, 2]), run("b", [2, 0, 1])
    assert pair_sides(a, b) == [(2, 0), (0, 1), (1, 2)]
    assert diff_captures(a, b)["counts"]["same"] == 3
