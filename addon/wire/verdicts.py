"""Typing stream events whose model is not kept: the same findings, less building.

A stream event keeps only its payload text (its model is rebuilt on demand, see
result.StreamEvent), so while parsing, typing an event is for what it finds: mismatches,
unknown types, absent fields. Two kinds of event are judged without building a model that
would be dropped (a validator that builds nothing, lenient.verdict_of):

- flat events (deltas, .done events), the most of a stream;
- events that carry a Response or an item (created, in_progress, output_item.added...): the
  envelope around it (type, sequence_number, output_index) is only judged. The Response of a
  created or in_progress event, and an added item, are only judged too where every part of
  them validates strictly (no model of theirs is reused: an item is added incomplete, and
  the terminal Response is typed as a whole); the item of output_item.done is typed as
  always, for the terminal Response reuses it (the memos in models).

Whatever does not plainly validate goes the way `type_payload` goes, so the findings are the
same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from .accumulate import TERMINAL
from .lenient import Missing, Typed, lenient_class, plain_values, verdict_of
from .models import (
    EVENT_CLASSES,
    NESTED_EVENTS,
    OUTPUT_ITEM_CLASSES,
    TOOL_CLASSES,
    type_item,
    type_payload,
    type_response,
)
from .sdk_types import Response, ResponseUsage

# flat event type -> its class (events that carry a Response or an item are not flat)
_FLAT: dict[str, type[BaseModel]] = {
    kind: cls for kind, cls in EVENT_CLASSES.items() if kind not in NESTED_EVENTS
}
# event type -> (the key that carries a Response or an item, the envelope's verdict validator)
_ENVELOPES: dict[str, tuple[str, Any]] = {}


@dataclass(slots=True)
class Verdict:
    """What typing one payload found, where its model is not wanted."""

    mismatches: list[str]
    unknown: list[str]
    missing: list[Missing]


def flat_validator(kind: str) -> Any:
    """The verdict validator of a flat event type, or None (not flat, or no such type)."""
    try:
        return _FLAT_VALIDATORS[kind]
    except KeyError:
        cls = _FLAT.get(kind)
        found = _FLAT_VALIDATORS[kind] = None if cls is None else verdict_of(cls)
        return found


_FLAT_VALIDATORS: dict[str, Any] = {}


def event_verdict(data: dict[str, Any]) -> tuple[str | None, Typed | Verdict]:
    """`type_payload`, for an event whose model is not kept (terminal events' are)."""
    kind = data.get("type")
    if type(kind) is str and kind in NESTED_EVENTS and kind not in TERMINAL:
        key, envelope = _envelope(kind)
        inner = data.get(key)
        if type(inner) is dict:
            try:  # the key itself is `Any` in the envelope's class: its value passes as it is
                envelope.validate_python(data)
            except ValidationError:
                return type_payload(data)  # it names what is wrong
            if kind in _VERDICT_ONLY and _plainly_valid(key, inner):
                return kind, Verdict([], [], [])
            typed = type_response(inner) if key == "response" else type_item(inner, "output")
            return kind, Verdict(
                [f"{key}.{m}" for m in typed.mismatches],
                list(typed.unknown),
                [m.under(key) for m in typed.missing],
            )
    return type_payload(data)


def _envelope(kind: str) -> tuple[str, Any]:
    """The key an event type carries its Response or item under, and the verdict validator
    of its envelope: the event's class with that key relaxed, as `build_nested` has it."""
    found = _ENVELOPES.get(kind)
    if found is None:
        key = "item" if kind.startswith("response.output_item.") else "response"
        relaxed = lenient_class(EVENT_CLASSES[kind], frozenset({key}))
        found = _ENVELOPES[kind] = (key, verdict_of(relaxed))
    return found


# events whose Response or item is only judged where it plainly validates
_VERDICT_ONLY = frozenset(
    {"response.created", "response.in_progress", "response.queued", "response.output_item.added"}
)
# the last Response found plainly valid: in_progress usually repeats created's
_last_valid: list[dict[str, Any]] = []


def _plainly_valid(key: str, inner: dict[str, Any]) -> bool:
    """Whether typing `inner` (a Response, or an output item) would find nothing: each part
    the typing types on its own (output items and tools by `type`, usage, the rest with
    those relaxed) validates strictly. Anything else is for the typing to say."""
    if key == "item":
        return _valid_by_type(OUTPUT_ITEM_CLASSES, inner)
    if _last_valid and _last_valid[0] == inner:
        return True
    output, tools, usage = inner.get("output"), inner.get("tools"), inner.get("usage")
    if not isinstance(output, list) or not isinstance(tools, list):
        return False  # typed as the rest: the typing says
    if not all(_valid_by_type(OUTPUT_ITEM_CLASSES, item) for item in output):
        return False
    if not all(_valid_by_type(TOOL_CLASSES, tool) for tool in tools):
        return False
    relaxed = {"output", "tools"}
    if isinstance(usage, dict):
        if not _validates(verdict_of(ResponseUsage), usage):
            return False
        relaxed.add("usage")
    relaxed.update(plain_values(Response, inner))
    if not _validates(verdict_of(lenient_class(Response, frozenset(relaxed))), inner):
        return False  # (the relaxed keys are Any: their values pass as they are)
    _last_valid[:] = [inner]
    return True


def _valid_by_type(classes: dict[str, type[BaseModel]], data: Any) -> bool:
    kind = data.get("type") if type(data) is dict else None
    cls = classes.get(kind) if type(kind) is str else None
    return cls is not None and _validates(verdict_of(cls), data)


def _validates(validator: Any, data: Any) -> bool:
    try:
        validator.validate_python(data)
    except ValidationError:
        return False
    return True
