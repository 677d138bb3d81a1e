"""Typed view of Responses API JSON, using openai-python's own pydantic models.

Each payload is dispatched on its JSON `type` to the one concrete openai class (validating
against openai's big unions would try every member: ~50x slower). A payload that fails strict
validation is still built, leniently, the way the SDK itself builds it, and the fields that
failed are reported; an unknown `type` becomes an `Unknown` model that keeps every key.
"""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import pydantic
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
    ResponseUsage,
    Tool,
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
    unknown: list[str] = dataclass_field(
        default_factory=list
    )  # unrecognised `type`s, nested ones too

    @property
    def unknown_type(self) -> str | None:
        return self.unknown[0] if self.unknown else None


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
TOOL_CLASSES = by_type(Tool)


def _is_member_tag(part: object) -> bool:
    """pydantic names the union member an error came from with its class name in the loc."""
    return isinstance(part, str) and (part[:1].isupper() or "[" in part or "-" in part)


def _error_fields(exc: ValidationError) -> list[str]:
    """Field paths from a ValidationError, naming only the union member the payload meant.

    For a union, pydantic reports the errors of every member it tried; members whose `type`
    literal did not match the payload are noise, so they are dropped when another member's
    literal did match.
    """
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    wrong_member: set[tuple[object, ...]] = set()
    for err in errors:
        loc = err["loc"]
        is_type_literal = err["type"] == "literal_error" and len(loc) >= 2 and loc[-1] == "type"
        if is_type_literal and _is_member_tag(loc[-2]):
            wrong_member.add(tuple(loc[:-1]))
    out: dict[str, None] = {}
    for err in errors:
        loc = tuple(err["loc"])
        if any(loc[: i + 1] in wrong_member for i in range(len(loc))):
            continue
        parts = [str(p) for p in loc if not _is_member_tag(p)]
        out[f"{'.'.join(parts) or '<root>'} ({err['type']})"] = None
    if not out:  # every member was the wrong one: report them all
        for err in errors:
            parts = [str(p) for p in err["loc"] if not _is_member_tag(p)]
            out[f"{'.'.join(parts) or '<root>'} ({err['type']})"] = None
    return list(out)


@functools.cache
def _validator(cls: type[BaseModel]) -> Any:
    """The class's pydantic-core validator, built now (openai defers building models)."""
    cls.model_rebuild()
    return cls.__pydantic_validator__


@functools.cache
def _required(cls: type[BaseModel]) -> frozenset[str]:
    """JSON keys of the fields `cls` requires."""
    return frozenset(
        field.alias or name for name, field in cls.model_fields.items() if field.is_required()
    )


@functools.cache
def _model_fields(cls: type[BaseModel]) -> tuple[tuple[str, type[BaseModel]], ...]:
    """(JSON key, model class) of the fields of `cls` that hold one model (X or X | None)."""
    out = []
    for name, field in cls.model_fields.items():
        sub = _model_class(field.annotation)
        if sub is not None:
            out.append((field.alias or name, sub))
    return tuple(out)


_RELAXED: dict[type[BaseModel], tuple[type[BaseModel], frozenset[str]]] = {}


def _lenient_class(cls: type[BaseModel], missing: frozenset[str]) -> type[BaseModel]:
    """A subclass of `cls` in which the `missing` fields may be absent (None), as the SDK's
    own lenient construction leaves them. Instances are still `cls` instances."""
    original, relaxed = _RELAXED.get(cls, (cls, frozenset()))
    return _relaxed_subclass(original, relaxed | missing)


@functools.cache
def _relaxed_subclass(cls: type[BaseModel], missing: frozenset[str]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        if (field.alias or name) in missing:
            fields[name] = (field.annotation | None, pydantic.Field(None, alias=field.alias))
    sub = pydantic.create_model(cls.__name__, __base__=cls, __module__=cls.__module__, **fields)
    _RELAXED[sub] = (cls, missing)
    return sub


def _model_class(annotation: Any) -> type[BaseModel] | None:
    """X for a field annotated X or Optional[X], X a model; else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0]
    return None


def build(cls: type[BaseModel], data: Any) -> Typed:
    """Validate `data` as `cls`; on failure build it leniently and name the failing fields.

    Leniency is applied as deep as possible: a sub-object that fails (a Response's `usage`
    without `cache_write_tokens`) is built on its own and the rest is still validated, so only
    the failing part is constructed the SDK's lenient way.
    """
    validator = _validator(cls)
    if isinstance(data, dict):
        # A sub-object missing fields (a Response's usage without cache_write_tokens) is
        # built on its own, so only that part is lenient and no exception is raised.
        short = {
            key: sub
            for key, sub in _model_fields(cls)
            if type(data.get(key)) is dict and _required(sub).difference(data[key])
        }
        if short:
            return _build_nested(cls, data, {k: build(sub, data[k]) for k, sub in short.items()})
        missing = _required(cls).difference(data)
        if missing:  # the common mismatch (fields added to the API later): fast lenient path
            try:
                model = _validator(_lenient_class(cls, frozenset(missing))).validate_python(data)
                return Typed(model, [f"{name} (missing)" for name in sorted(missing)])
            except ValidationError:
                pass  # more is wrong than missing fields: the general path below
    try:
        return Typed(validator.validate_python(data), [])
    except ValidationError as exc:
        fields = _error_fields(exc)
        failing = {err["loc"][0] for err in exc.errors(include_url=False) if err["loc"]}
    if not isinstance(data, dict):
        return Typed(Unknown.model_construct(raw=data), fields)
    values = dict(data)
    isolated = True
    for name in failing:
        field_info = cls.model_fields.get(name) if isinstance(name, str) else None
        sub = _model_class(field_info.annotation) if field_info else None
        if sub is None or not isinstance(values.get(name), dict):
            isolated = False
            break
        values[name] = build(sub, values[name]).model
    if isolated:
        try:
            return Typed(validator.validate_python(values), fields)
        except ValidationError:
            pass
    try:
        return Typed(cls.model_construct(**data), fields)  # the SDK's own lenient path
    except Exception as exc:  # construct never validates, but be sure never to drop data
        fields.append(f"<construct> ({type(exc).__name__})")
    return Typed(Unknown.model_construct(raw=data), fields)


def _build_nested(cls: type[BaseModel], data: dict[str, Any], nested: dict[str, Any]) -> Typed:
    """Build `cls` from `data` whose fields in `nested` are already typed (Typed or lists).

    Validating openai's big unions (28 output item types, 16 tools) tries member after member,
    even for finished instances. So those values are typed directly by their `type`, the rest
    of `cls` is validated without them (in a subclass where they may be absent), and the typed
    values are set afterwards. Mismatches are named with their path.
    """
    mismatches: list[str] = []
    unknown: list[str] = []
    for key, typed in nested.items():
        entries = typed if isinstance(typed, list) else [typed]
        for i, entry in enumerate(entries):
            prefix = f"{key}.{i}" if isinstance(typed, list) else key
            mismatches += [f"{prefix}.{m}" for m in entry.mismatches]
            unknown += entry.unknown
    rest = {k: v for k, v in data.items() if k not in nested}
    outer = build(_lenient_class(cls, frozenset(nested)), rest)
    model = outer.model
    if isinstance(model, cls):
        for key, typed in nested.items():
            setattr(
                model, key, [e.model for e in typed] if isinstance(typed, list) else typed.model
            )
    return Typed(model, outer.mismatches + mismatches, unknown)


def type_tool(raw: Any) -> Typed:
    kind = raw.get("type") if isinstance(raw, dict) else None
    cls = TOOL_CLASSES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        model = Unknown.model_validate(_with_str_type(raw)) if isinstance(raw, dict) else Unknown()
        return Typed(model, [], [str(kind)])
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
            old = last[2]
            typed = Typed(old.model.model_copy(), list(old.mismatches), list(old.unknown))
        elif not last[2].mismatches and not last[2].unknown:
            typed = _retype_changes(cls, last[1], last[2].model, data)
    if typed is None:
        typed = _type_response(data, cls)
    _last_response = (cls, data, typed)
    return typed


def _retype_changes(
    cls: type[BaseModel], old: dict[str, Any], model: BaseModel, data: dict[str, Any]
) -> Typed | None:
    """Type a snapshot by updating the previous one's model with just the keys that changed
    (response.completed against response.created: status, output, usage...). None when the
    change is not a plain update."""
    if not old.keys() <= data.keys():
        return None
    changed = [k for k, v in data.items() if k not in old or old[k] != v]
    if len(changed) > 8:
        return None
    new = model.model_copy()
    mismatches: list[str] = []
    unknown: list[str] = []
    for key in changed:
        value = data[key]
        if key in ("output", "tools") and isinstance(value, list):
            entries = [type_item(v, "output") if key == "output" else type_tool(v) for v in value]
            for i, entry in enumerate(entries):
                mismatches += [f"{key}.{i}.{m}" for m in entry.mismatches]
                unknown += entry.unknown
            setattr(new, key, [e.model for e in entries])
        elif key == "usage" and isinstance(value, dict):
            entry = build(ResponseUsage, value)
            mismatches += [f"usage.{m}" for m in entry.mismatches]
            setattr(new, key, entry.model)
        else:
            adapter = _field_adapter(cls, key)
            if adapter is None:
                return None
            try:
                setattr(new, key, adapter.validate_python(value))
            except ValidationError:
                return None
    return Typed(new, mismatches, unknown)


@functools.cache
def _field_adapter(cls: type[BaseModel], key: str) -> pydantic.TypeAdapter[Any] | None:
    """A validator for one field of `cls`, by JSON key (None for undeclared keys)."""
    for name, field in cls.model_fields.items():
        if (field.alias or name) == key:
            return pydantic.TypeAdapter(field.annotation)
    return None


def _type_response(data: dict[str, Any], cls: type[BaseModel]) -> Typed:
    nested: dict[str, Any] = {}
    if isinstance(data.get("output"), list):
        nested["output"] = [type_item(item, "output") for item in data["output"]]
    if isinstance(data.get("tools"), list):
        nested["tools"] = [type_tool(tool) for tool in data["tools"]]
    if isinstance(data.get("usage"), dict):  # often lacks newer fields: type it on its own
        nested["usage"] = build(ResponseUsage, data["usage"])
    return _build_nested(cls, data, nested)


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
_NESTED_EVENTS = _RESPONSE_EVENTS | _ITEM_EVENTS


class _LazyValidators(dict[str, Any]):
    """kind -> validator for events without big nested unions, built on first use."""

    def __missing__(self, kind: str) -> Any:
        cls = EVENT_CLASSES.get(kind)
        validator = None if cls is None or kind in _NESTED_EVENTS else _validator(cls)
        self[kind] = validator
        return validator

    def get(self, kind: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[kind] if isinstance(kind, str) else default


_EVENT_VALIDATORS = _LazyValidators()


_NO_MISMATCH: list[str] = []  # shared, never mutated: most payloads validate


def type_event(data: dict[str, Any]) -> Typed:
    """Type one stream event (SSE data payload or WebSocket server message)."""
    kind = data.get("type")
    validator = _EVENT_VALIDATORS.get(kind)  # type: ignore[arg-type]
    if validator is not None:  # the hot path: a flat event (delta, done...) that validates
        try:
            return Typed(validator.validate_python(data), _NO_MISMATCH)
        except ValidationError:
            pass  # the general path below names what is wrong
    kind = EVENT_ALIASES.get(kind, kind) if isinstance(kind, str) else kind
    cls = EVENT_CLASSES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return Typed(Unknown.model_validate(_with_str_type(data)), [], [str(kind)])
    if kind != data["type"]:
        data = {**data, "type": kind}
    if kind in _RESPONSE_EVENTS and isinstance(data.get("response"), dict):
        return _build_nested(cls, data, {"response": type_response(data["response"])})
    if kind in _ITEM_EVENTS and isinstance(data.get("item"), dict):
        return _build_nested(cls, data, {"item": type_item(data["item"], "output")})
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
                Unknown.model_construct(raw=data), ["<root> (not an object)"], ["<non-object>"]
            )
    if context == "input":
        cls = input_item_class(data)
    else:
        kind = data.get("type")
        cls = ITEM_TABLES[context].get(kind) if isinstance(kind, str) else None
    if cls is None:
        return Typed(Unknown.model_validate(_with_str_type(data)), [], [str(data.get("type"))])
    return build(cls, data)


def type_object(data: Any) -> Typed | None:
    """Type a top-level JSON body by its `object` field (Response, compaction, conversation...)."""
    if not isinstance(data, dict):
        return None
    cls = OBJECT_CLASSES.get(data.get("object"))  # type: ignore[arg-type]
    if cls in (Response, CompactedResponse):
        return type_response(data, cls)
    return build(cls, data) if cls else None
