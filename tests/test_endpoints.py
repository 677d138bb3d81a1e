from __future__ import annotations

import pytest

from addon.wire.endpoints import classify, query_params, response_id_in_path

CASES = [
    ("POST", "/v1/responses", "responses.create"),
    ("POST", "/openai/v1/responses", "responses.create"),
    ("POST", "/openai/deployments/gpt4o/responses", "responses.create"),
    ("POST", "/api/v1/responses/", "responses.create"),
    ("POST", "/responses", "responses.create"),
    ("GET", "/v1/responses/resp_1", "responses.retrieve"),
    ("GET", "/v1/responses/resp_1?stream=true&starting_after=3", "responses.retrieve"),
    ("DELETE", "/v1/responses/resp_1", "responses.delete"),
    ("POST", "/v1/responses/resp_1/cancel", "responses.cancel"),
    ("POST", "/v1/responses/compact", "responses.compact"),
    ("GET", "/v1/responses/resp_1/input_items", "responses.input_items"),
    ("POST", "/v1/responses/input_tokens", "responses.input_tokens"),
    ("POST", "/v1/conversations", "conversations.create"),
    ("GET", "/v1/conversations/conv_1", "conversations.retrieve"),
    ("POST", "/v1/conversations/conv_1", "conversations.update"),
    ("DELETE", "/v1/conversations/conv_1", "conversations.delete"),
    ("POST", "/v1/conversations/conv_1/items", "conversations.items.create"),
    ("GET", "/v1/conversations/conv_1/items", "conversations.items.list"),
    ("GET", "/v1/conversations/conv_1/items/msg_1", "conversations.items.retrieve"),
    ("DELETE", "/v1/conversations/conv_1/items/msg_1", "conversations.items.delete"),
    ("POST", "/v1/chat/completions", "other"),
    ("GET", "/v1/responses/compact", "other"),
    ("GET", "/v1/models", "other"),
    ("PUT", "/v1/responses", "other"),
]


@pytest.mark.parametrize(("method", "path", "endpoint"), CASES)
def test_classify(method: str, path: str, endpoint: str) -> None:
    assert classify(method, path) == endpoint


def test_websocket_mode() -> None:
    assert classify("GET", "/v1/responses", websocket=True) == "responses.websocket"
    assert classify("GET", "/v1/realtime", websocket=True) == "other"


def test_ids_and_query() -> None:
    assert response_id_in_path("/v1/responses/resp_9/input_items") == "resp_9"
    assert response_id_in_path("/v1/responses/compact") is None
    assert query_params("include[]=a&include=b&stream=true") == {
        "include": ["a", "b"],
        "stream": ["true"],
    }
