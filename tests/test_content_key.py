"""The content key of an item: what it says, apart from how a client or the server sent it."""

from __future__ import annotations

from addon.wire.content_key import (
    START,
    chain,
    chained,
    content_key,
    in_context,
    produced_by_model,
)

ANSWER = {
    "id": "msg_0123",
    "type": "message",
    "status": "completed",
    "role": "assistant",
    "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": "It is 18 °C."}],
}
RESENT_ANSWER = {
    "type": "message",
    "role": "assistant",
    "content": [{"type": "output_text", "text": "It is 18 °C."}],
}
CALL = {
    "id": "fc_0123",
    "type": "function_call",
    "status": "completed",
    "call_id": "call_abc",
    "name": "get_weather",
    "arguments": '{"city":"Paris"}',
}
ENCRYPTED = "gAAAAABo" + "x" * 400


def test_ids_and_status_do_not_count() -> None:
    assert content_key(ANSWER) == content_key(RESENT_ANSWER)
    resent = {k: v for k, v in CALL.items() if k not in ("id", "status")}
    assert content_key(CALL) == content_key(resent)
    assert content_key(CALL) == content_key(CALL | {"id": "fc_other"})
    # a client that sends the call's item id as its call_id still says the same
    assert content_key(CALL) == content_key(resent | {"call_id": "fc_0123"})


def test_a_string_input_is_one_user_message() -> None:
    as_parts = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "Hello"}],
    }
    assert content_key("Hello") == content_key(as_parts)
    assert content_key("Hello") == content_key({"role": "user", "content": "Hello"})
    assert content_key("Hello") != content_key({"role": "developer", "content": "Hello"})


def test_encrypted_reasoning_is_compared_by_its_hash() -> None:
    sent = {
        "id": "rs_1",
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "**Thinking**"}],
        "encrypted_content": ENCRYPTED,
    }
    resent = {"type": "reasoning", "summary": [], "encrypted_content": ENCRYPTED}
    assert content_key(sent) == content_key(resent)
    assert content_key(sent) != content_key(resent | {"encrypted_content": ENCRYPTED + "y"})
    assert in_context(sent) and not in_context({"type": "reasoning", "summary": []})


def test_different_content_gives_a_different_key() -> None:
    other_text = {**RESENT_ANSWER, "content": [{"type": "output_text", "text": "It is 19 °C."}]}
    assert content_key(RESENT_ANSWER) != content_key(other_text)
    assert content_key(CALL) != content_key(CALL | {"arguments": '{"city":"Lyon"}'})
    assert content_key(CALL) != content_key(CALL | {"name": "get_time"})
    assert content_key("Hello") != content_key("Hello!")
    output = {"type": "function_call_output", "call_id": "call_abc", "output": "18"}
    assert content_key(output) != content_key(output | {"output": "19"})


def test_json_arguments_reserialised_by_a_client_are_the_same() -> None:
    assert content_key(CALL) == content_key(CALL | {"arguments": '{"city": "Paris"}'})
    assert content_key(CALL | {"arguments": "not json"}) != content_key(CALL)


def test_hosted_tool_calls_resent_trimmed_are_the_same() -> None:
    image = {
        "id": "ig_1",
        "type": "image_generation_call",
        "status": "completed",
        "result": "iVBORw0KGgo" * 50,
        "output_format": "png",
    }
    assert content_key(image) == content_key({"id": "ig_1", "type": "image_generation_call"})
    search = {
        "id": "ws_1",
        "type": "web_search_call",
        "status": "completed",
        "action": {"type": "search", "query": "weather", "sources": [{"url": "https://x"}]},
    }
    trimmed = {"type": "web_search_call", "action": {"type": "search", "query": "weather"}}
    assert content_key(search) == content_key(trimmed)


def test_who_produced_an_item() -> None:
    assert produced_by_model(ANSWER) and produced_by_model(CALL)
    assert produced_by_model({"type": "reasoning", "encrypted_content": ENCRYPTED})
    assert not produced_by_model("Hello")
    assert not produced_by_model({"role": "user", "content": "Hello"})
    assert not produced_by_model({"type": "function_call_output", "output": "18"})
    assert not produced_by_model({"type": "mcp_approval_response", "approve": True})
    # an empty assistant message (some clients add one before their tool calls) says nothing
    assert not in_context({"role": "assistant", "content": ""}) and in_context(ANSWER)


def test_chained_hashes_of_prefixes() -> None:
    keys = [content_key("a"), content_key("b"), content_key("c")]
    hashes = list(chained(keys))
    assert hashes[0] == chain(START, keys[0]) and hashes[2] == chain(hashes[1], keys[2])
    assert len(set(hashes)) == 3 and all(-(2**63) <= h < 2**63 for h in hashes)
    assert list(chained(keys[1:], hashes[0])) == hashes[1:]  # a prefix's hash continues
    assert list(chained([keys[1], keys[0]]))[-1] != hashes[1]  # order matters
