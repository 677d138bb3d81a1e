"""Typed view of Responses API JSON, using openai-python's own pydantic models.

Each payload is dispatched on its JSON `type` to the one concrete openai class (validating
against openai's big unions would try every member: ~50x slower). A payload that fails strict
validation is still built, leniently, the way the SDK itself builds it, and the fields that
failed are reported; an unknown `type` becomes an `Unknown` model that keeps every key.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from openai.types.conversations import Conversation, ConversationDeletedResource, ConversationItem
from openai.types.conversations.conversation_item_list import ConversationItemList
from openai.types.responses import (
    CompactedResponse,
    EasyInputMessage,
    InputTokenCountResponse,
    Response,
    ResponseInputItem,
    ResponseItem,
    ResponseItemList,
    ResponseOutputItem,
    ResponseOutputMessage,
    ResponseStreamEvent,
)
from pydantic import BaseModel, ConfigDict, ValidationError

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


class Unknown(BaseModel):
    """A payload whose `type` no openai model knows; every key is kept as an extra."""

    model_config = ConfigDict(extra="allow")
    type: str | None = None


@dataclass(slots=True)
class Typed:
    """A model plus what went wrong building it."""

    model: BaseModel
    mismatches: list[str]  # "path (error)" for each field that failed strict validation
    unknown_type: str | None = None  # set when the `type` was not recognised


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
LIST_CLASSES = {"listed": ResponseItemList, "conversation": ConversationItemList}


def _error_fields(exc: ValidationError) -> list[str]:
    """Field paths from a ValidationError, without pydantic's union-member segments."""
    out: dict[str, None] = {}
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        parts = [
            str(p)
            for p in err["loc"]
            if not (isinstance(p, str) and (p[:1].isupper() or "[" in p or "-" in p))
        ]
        out[f"{'.'.join(parts) or '<root>'} ({err['type']})"] = None
    return list(out)


def build(cls: type[BaseModel], data: Any) -> Typed:
    """Validate `data` as `cls`; on failure build it leniently and name the failing fields."""
    try:
        return Typed(cls.model_validate(data), [])
    except ValidationError as exc:
        fields = _error_fields(exc)
    if isinstance(data, dict):
        try:
            return Typed(cls.model_construct(**data), fields)  # the SDK's own lenient path
        except Exception as exc:  # construct never validates, but be sure never to drop data
            fields.append(f"<construct> ({type(exc).__name__})")
    return Typed(Unknown.model_construct(raw=data), fields)


def type_event(data: dict[str, Any]) -> Typed:
    """Type one stream event (SSE data payload or WebSocket server message)."""
    kind = data.get("type")
    kind = EVENT_ALIASES.get(kind, kind) if isinstance(kind, str) else kind
    cls = EVENT_CLASSES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return Typed(Unknown.model_validate(_with_str_type(data)), [], str(kind))
    if kind != data["type"]:
        data = {**data, "type": kind}
    return build(cls, data)


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
                Unknown.model_construct(raw=data), ["<root> (not an object)"], "<non-object>"
            )
    if context == "input":
        cls = input_item_class(data)
    else:
        kind = data.get("type")
        cls = ITEM_TABLES[context].get(kind) if isinstance(kind, str) else None
    if cls is None:
        return Typed(Unknown.model_validate(_with_str_type(data)), [], str(data.get("type")))
    return build(cls, data)


def type_object(data: Any) -> Typed | None:
    """Type a top-level JSON body by its `object` field (Response, compaction, conversation...)."""
    if not isinstance(data, dict):
        return None
    cls = OBJECT_CLASSES.get(data.get("object"))  # type: ignore[arg-type]
    return build(cls, data) if cls else None
