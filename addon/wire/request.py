"""Request bodies and query strings of every endpoint, with their parts typed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .collect import Collector
from .endpoints import is_stream_retrieve, query_params
from .exchange import HttpRequest
from .findings import Finding, Severity
from .items import type_items
from .lenient import build
from .models import type_tool
from .result import RequestView, TooDeep, loads
from .sdk_types import Reasoning, ResponseTextConfig

# Endpoints whose body carries `input` (create params) or `items` (conversation items).
_INPUT_ENDPOINTS = frozenset(
    {"responses.create", "responses.compact", "responses.input_tokens", "responses.websocket"}
)
_ITEMS_ENDPOINTS = frozenset({"conversations.create", "conversations.items.create"})


def _typed_part(cls: type[BaseModel], raw: Any, label: str, collector: Collector) -> BaseModel:
    typed = build(cls, raw)
    collector.typed(label, typed, "request field", path=label)
    return typed.model


def parse_body(body: bytes, collector: Collector) -> Any:
    if not body.strip():
        return None
    try:
        return loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        why = str(exc) if isinstance(exc, TooDeep) else "not JSON"
        collector.add(
            Finding(
                "json_invalid",
                Severity.WARNING,
                f"request body is {why} ({len(body)} bytes)",
                path="request",
            )
        )
        return None


def apply_create_params(view: RequestView, body: dict[str, Any], collector: Collector) -> None:
    """Fill a view from create-style params (also compact, input_tokens, WebSocket create)."""
    if isinstance(body.get("model"), str):
        view.model = body["model"]
    view.stream = body.get("stream") is True
    if isinstance(body.get("previous_response_id"), str):
        view.previous_response_id = body["previous_response_id"]
    conversation = body.get("conversation")
    if isinstance(conversation, str):
        view.conversation_id = conversation
    elif isinstance(conversation, dict) and isinstance(conversation.get("id"), str):
        view.conversation_id = conversation["id"]
    raw_input = body.get("input")
    if isinstance(raw_input, str):
        view.input_was_string = True
        raw_input = [raw_input]
    if isinstance(raw_input, list):
        _add_items(view, raw_input, collector, "request.input")
    tools = body.get("tools")
    if isinstance(tools, list):
        for i, raw in enumerate(tools):
            typed = type_tool(raw)
            collector.typed("request.tools", typed, "tool", path=f"request.tools[{i}]")
            view.tools.append(typed.model)
    if isinstance(body.get("reasoning"), dict):
        view.reasoning = _typed_part(Reasoning, body["reasoning"], "request.reasoning", collector)
    if isinstance(body.get("text"), dict):
        view.text = _typed_part(ResponseTextConfig, body["text"], "request.text", collector)
    include = body.get("include")
    if isinstance(include, list):
        view.include = [i for i in include if isinstance(i, str)]


def _add_items(view: RequestView, raws: list[Any], collector: Collector, label: str) -> None:
    start = len(view.input_items)
    records, typed_list = type_items(raws, "input", "input")
    for record, (position, typed) in zip(records, typed_list, strict=True):
        record.position = start + position
        collector.typed(label, typed, "input item", path=f"{label}[{position}]")
    view.input_items.extend(records)


def parse_request(request: HttpRequest, endpoint: str, collector: Collector) -> RequestView:
    view = RequestView(query=query_params(request.query))
    view.include = view.query.get("include", [])
    if endpoint == "responses.retrieve":
        view.stream = is_stream_retrieve(request.query)
    body = parse_body(request.body, collector) if request.body else None
    view.body = body
    if not isinstance(body, dict):
        return view
    if endpoint in _INPUT_ENDPOINTS or (endpoint == "other" and "input" in body):
        apply_create_params(view, body, collector)
    elif endpoint in _ITEMS_ENDPOINTS and isinstance(body.get("items"), list):
        _add_items(view, body["items"], collector, "request.items")
    return view
