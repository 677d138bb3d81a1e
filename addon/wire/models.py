"""Typed view of Responses API JSON, using openai-python's own pydantic models.

Each payload is dispatched on its JSON `type` to the one concrete openai class (validating
against openai's big unions would try every member: ~50x slower). A payload that fails strict
validation is still built, leniently, the way the SDK itself builds it, and the fields that
failed are reported; an unknown `type` becomes an `Unknown` model that keeps every key.
"""

from __future__ import annotations

import functools
import typing
from typing import Any

import pydantic
from pydantic import BaseModel, ValidationError

from .lenient import Typed, Unknown, build, build_nested, plain_values, validator_of
from .sdk_types import (
    CompactedResponse,
    Conversation,
    ConversationDeletedResource,
    ConversationItem,
    EasyInputMessage,
    InputTokenCountResponse,
    Response,
    ResponseErrorEvent,
    ResponseInputItem,
    ResponseInputMessageItem,
    ResponseItem,
    ResponseOutputItem,
    ResponseOutputMessage,
    ResponseStreamEvent,
    ResponseUsage,
    Tool,
)

# Event names used by older SDKs and servers -> their current name (catalogue section 2).
EVENT_ALIASES = {
    "response.code_interpreter_call.code.delta": "response.code_interpreter_call_code.delta",
    "response.code_interpreter_call.code.done": "response.code_interpreter_call_code.done",
    "response.mcp_call.arguments_delta": "response.mcp_call_arguments.delta",
    "response.mcp_call.arguments_done": "response.mcp_call_arguments.done",
    "response.output_text_annotation.added": "response.output_text.annotation.added",
    "response.reasoning.delta": "response.reasoning_text.delta",
    "response.reasoning.done": "response.reasoning_text.done",
    "response.reasoning_summary.delta": "response.reasoning_summary_text.delta",
    "response.reasoning_summary.done": "response.reasoning_summary_text.done",
}


def _members(union: object) -> tuple[type[BaseModel], ...]:
    args = typing.get_args(union)
    if args and typing.get_origin(args[0]) is typing.Union:  # Annotated[Union[...], ...]
        args = typing.get_args(args[0])
    return tuple(a for a in args if isinstance(a, type) and issubclass(a, BaseModel))


def _type_literals(cls: type[BaseModel]) -> list[str]:
    """The `type` values a class declares (web_search has two: web_search and a dated one)."""
    field = cls.model_fields.get("type")
    if field is None:
        return []
    args = [a for a in typing.get_args(field.annotation) if a is not type(None)]
    if typing.get_origin(field.annotation) is typing.Literal:
        args = list(typing.get_args(field.annotation))
    elif args and typing.get_origin(args[0]) is typing.Literal:
        args = list(typing.get_args(args[0]))
    return [a for a in args if isinstance(a, str)]


def by_type(union: object) -> dict[str, type[BaseModel]]:
    table: dict[str, type[BaseModel]] = {}
    for cls in _members(union):
        for literal in _type_literals(cls):
            table.setdefault(literal, cls)  # first member wins, as in the SDK's union order
    return table


EVENT_CLASSES = by_type(ResponseStreamEvent)
OUTPUT_ITEM_CLASSES = by_type(ResponseOutputItem)
INPUT_ITEM_CLASSES = by_type(ResponseInputItem)
LISTED_ITEM_CLASSES = by_type(ResponseItem)
CONVERSATION_ITEM_CLASSES = by_type(ConversationItem)
ITEM_TABLES = {
    "output": OUTPUT_ITEM_CLASSES,
    "input": INPUT_ITEM_CLASSES,
    "listed": LISTED_ITEM_CLASSES,
    "conversation": CONVERSATION_ITEM_CLASSES,
}
OBJECT_CLASSES: dict[str, type[BaseModel]] = {
    "response": Response,
    "response.compaction": CompactedResponse,
    "response.input_tokens": InputTokenCountResponse,
    "conversation": Conversation,
    "conversation.deleted": ConversationDeletedResource,
}
TOOL_CLASSES = by_type(Tool)


def type_tool(raw: Any) -> Typed:
    kind = raw.get("type") if isinstance(raw, dict) else None
    cls = TOOL_CLASSES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        model = Unknown.model_validate(_with_str_type(raw)) if isinstance(raw, dict) else Unknown()
        return Typed(model, [], [type_label(kind)])
    return build(cls, raw)


# The last Response typed: a stream's `response.created` and `response.in_progress` usually
# carry the same snapshot, and comparing two dicts costs far less than validating one.
_last_response: tuple[type[BaseModel], dict[str, Any], Typed] | None = None


def type_response(data: dict[str, Any], cls: type[BaseModel] = Response) -> Typed:
    """A Response (or CompactedResponse) with its output items and tools typed by `type`."""
    global _last_response
    last = _last_response
    typed: Typed | None = None
    if last is not None and last[0] is cls:
        if last[1] == data:
            typed = last[2].again(last[2].model.model_copy())
        elif not last[2].mismatches and not last[2].unknown:
            typed = _retype_changes(cls, last[1], last[2], data)
    if typed is None:
        typed = _type_response(data, cls)
    _last_response = (cls, data, typed)
    return typed


def _retype_changes(
    cls: type[BaseModel], old: dict[str, Any], last: Typed, data: dict[str, Any]
) -> Typed | None:
    """Type a snapshot by updating the previous one's model with just the keys that changed
    (response.completed against response.created: status, output, usage...). None when the
    change is not a plain update."""
    if not old.keys() <= data.keys():
        return None
    changed = [k for k, v in data.items() if k not in old or old[k] != v]
    if len(changed) > 8:
        return None
    new = last.model.model_copy()
    mismatches: list[str] = []
    unknown: list[str] = []
    # what the unchanged keys lacked is still lacking
    missing = [m for m in last.missing if m.path.split(".", 1)[0] not in changed]
    for key in changed:
        value = data[key]
        if key in ("output", "tools") and isinstance(value, list):
            entries = [output_item(v, cls) if key == "output" else type_tool(v) for v in value]
            for i, entry in enumerate(entries):
                mismatches += [f"{key}.{i}.{m}" for m in entry.mismatches]
                unknown += entry.unknown
                missing += [m.under(f"{key}.{i}") for m in entry.missing]
            setattr(new, key, [e.model for e in entries])
        elif key == "usage" and isinstance(value, dict):
            entry = build(ResponseUsage, value)
            mismatches += [f"usage.{m}" for m in entry.mismatches]
            missing += [m.under("usage") for m in entry.missing]
            setattr(new, key, entry.model)
        elif key in (plain := plain_values(cls, {key: value})):
            setattr(new, key, plain[key])
        else:
            adapter = _field_adapter(cls, key)
            if adapter is None:
                return None
            try:
                setattr(new, key, adapter.validate_python(value))
            except ValidationError:
                return None
    return Typed(new, mismatches, unknown, missing)


@functools.cache
def _field_adapter(cls: type[BaseModel], key: str) -> pydantic.TypeAdapter[Any] | None:
    """A validator for one field of `cls`, by JSON key (None for undeclared keys)."""
    for name, field in cls.model_fields.items():
        if (field.alias or name) == key:
            return pydantic.TypeAdapter(field.annotation)
    return None


def output_item(data: Any, cls: type[BaseModel] = Response) -> Typed:
    """One output item of a Response or CompactedResponse.

    A compaction's output is the conversation's user messages followed by a compaction item
    (the SDK's own docstring says so) while its type annotation allows only output items,
    whose messages are the assistant's: those user messages are typed as the input messages
    they are.
    """
    if (
        cls is CompactedResponse
        and isinstance(data, dict)
        and data.get("type") == "message"
        and data.get("role") != "assistant"
    ):
        return build(ResponseInputMessageItem, data)
    return type_item(data, "output")


def _type_response(data: dict[str, Any], cls: type[BaseModel]) -> Typed:
    nested: dict[str, Any] = {}
    if isinstance(data.get("output"), list):
        nested["output"] = [output_item(item, cls) for item in data["output"]]
    if isinstance(data.get("tools"), list):
        nested["tools"] = [type_tool(tool) for tool in data["tools"]]
    if isinstance(data.get("usage"), dict):  # often lacks newer fields: type it on its own
        nested["usage"] = build(ResponseUsage, data["usage"])
    return build_nested(cls, data, nested, plain_values(cls, data))


_RESPONSE_EVENTS = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.queued",
        "response.completed",
        "response.failed",
        "response.incomplete",
    }
)
_ITEM_EVENTS = frozenset({"response.output_item.added", "response.output_item.done"})
NESTED_EVENTS = _RESPONSE_EVENTS | _ITEM_EVENTS


_EVENT_VALIDATORS: dict[str, Any] = {}


def event_validator(kind: str) -> Any:
    """The validator of a flat event type (no big nested union), or None; cached."""
    try:
        return _EVENT_VALIDATORS[kind]
    except KeyError:
        cls = EVENT_CLASSES.get(kind)
        validator = None if cls is None or kind in NESTED_EVENTS else validator_of(cls)
        _EVENT_VALIDATORS[kind] = validator
        return validator


_NO_MISMATCH: list[str] = []  # shared, never mutated: most payloads validate


def type_event(data: dict[str, Any]) -> Typed:
    """Type one stream event (SSE data payload or WebSocket server message)."""
    kind = data.get("type")
    validator = event_validator(kind) if isinstance(kind, str) else None
    if validator is not None:  # the hot path: a flat event (delta, done...) that validates
        try:
            return Typed(validator.validate_python(data), _NO_MISMATCH)
        except ValidationError:
            pass  # the general path below names what is wrong
    kind = EVENT_ALIASES.get(kind, kind) if isinstance(kind, str) else kind
    cls = EVENT_CLASSES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return Typed(Unknown.model_validate(_with_str_type(data)), [], [type_label(kind)])
    if kind != data["type"]:
        data = {**data, "type": kind}
    if kind in _RESPONSE_EVENTS and isinstance(data.get("response"), dict):
        return build_nested(cls, data, {"response": type_response(data["response"])})
    if kind in _ITEM_EVENTS and isinstance(data.get("item"), dict):
        return build_nested(cls, data, {"item": type_item(data["item"], "output")})
    return build(cls, data)


def type_label(kind: Any) -> str:
    """How an unrecognised `type` is counted: the string itself, or what stood in its place."""
    if isinstance(kind, str):
        return kind
    return "<no type>" if kind is None else f"<{type(kind).__name__} type>"


def _with_str_type(data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("type")
    return data if kind is None or isinstance(kind, str) else {**data, "type": str(kind)}


def implied_type(data: dict[str, Any]) -> Any:
    """An input item's type, also where it is implied: {role, content} or a bare {id}."""
    kind = data.get("type")
    if kind is None:
        if "role" in data:
            return "message"
        if set(data) <= {"id", "type"} and "id" in data:
            return "item_reference"
    return kind


def input_item_class(data: dict[str, Any]) -> type[BaseModel] | None:
    """Input items are not cleanly discriminated by `type`: decide messages by shape."""
    kind = implied_type(data)
    if kind == "message":
        if data.get("role") == "assistant" and "id" in data and "status" in data:
            return ResponseOutputMessage
        return EasyInputMessage
    return INPUT_ITEM_CLASSES.get(kind) if isinstance(kind, str) else None


def type_item(data: Any, context: str = "output") -> Typed:
    """Type one item; `context` is output, input, listed or conversation (catalogue section 3)."""
    if not isinstance(data, dict):
        if context == "input" and isinstance(data, str):
            data = {"role": "user", "content": data}
        else:
            return Typed(
                Unknown.model_construct(raw=data), ["<root> (not an object)"], ["<non-object>"]
            )
    if context == "input":
        cls = input_item_class(data)
    else:
        kind = data.get("type")
        cls = ITEM_TABLES[context].get(kind) if isinstance(kind, str) else None
    if cls is None:
        return Typed(
            Unknown.model_validate(_with_str_type(data)), [], [type_label(data.get("type"))]
        )
    item_id = data.get("id") if context == "output" else None
    if isinstance(item_id, str):
        # A streamed item arrives whole twice: in output_item.done and again in the terminal
        # response. Comparing dicts costs far less than validating again.
        seen = _recent_items.get(item_id)
        if seen is not None and seen[0] == data:
            return seen[1].again()
        typed = build(cls, data)
        if len(_recent_items) >= 256:
            _recent_items.clear()
        _recent_items[item_id] = (data, typed)
        return typed
    return build(cls, data)


# Memo of recently typed output items by id (see type_item). Like _last_response, module state
# for one parsing thread: a miss only costs a validation, a stale hit is impossible since the
# whole dict is compared, and no dict typed here changes afterwards (the accumulator grows
# copies of items; it once grew the added item itself, so that its final typed model was the
# item as added).
_recent_items: dict[str, tuple[dict[str, Any], Typed]] = {}


def type_object(data: Any) -> Typed | None:
    """Type a top-level JSON body by its `object` field (Response, compaction, conversation...)."""
    if not isinstance(data, dict):
        return None
    kind = data.get("object")
    cls = OBJECT_CLASSES.get(kind) if isinstance(kind, str) else None
    if cls in (Response, CompactedResponse):
        return type_response(data, cls)
    return build(cls, data) if cls else None


def _typed_error(data: dict[str, Any]) -> Typed:
    """The nested error form {type:error, error:{...}} typed as the flat SDK model."""
    nested = data.get("error")
    inner: dict[str, Any] = nested if isinstance(nested, dict) else {}
    flat = {"type": "error", "sequence_number": data.get("sequence_number")}
    flat.update({k: inner.get(k) for k in ("code", "message", "param")})
    typed = build(ResponseErrorEvent, flat)
    return Typed(typed.model, typed.mismatches, [], typed.missing)


def type_payload(data: dict[str, Any]) -> tuple[str | None, Typed]:
    """(current event name, Typed) of one event payload, nested error forms included."""
    kind = data.get("type")
    if (kind == "error" or kind is None) and isinstance(data.get("error"), dict):
        return "error", _typed_error(data)  # nested form, or a bare {"error": {...}}
    typed = type_event(data)
    if isinstance(kind, str) and kind in EVENT_ALIASES:
        kind = EVENT_ALIASES[kind]
    return (kind if isinstance(kind, str) else None), typed
