"""Typing stream events whose model is not kept: the same findings, less building.

A stream event keeps only its payload text (its model is rebuilt on demand, see
result.StreamEvent), so while parsing, typing an event is for what it finds: mismatches,
unknown types, absent fields. Two kinds of event are judged without building a model that
would be dropped (a validator that builds nothing, lenient.verdict_of):

- flat events (deltas, .done events), the most of a stream;
- events that carry a Response or an item (created, in_progress, output_item.added...): the
  Response or item is typed as always (later events reuse it: the memos in models), the
  envelope around it (type, sequence_number, output_index) is only judged.

Whatever does not plainly validate goes the way `type_payload` goes, so the findings are the
same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from .accumulate import TERMINAL
from .lenient import Missing, Typed, lenient_class, verdict_of
from .models import EVENT_CLASSES, NESTED_EVENTS, type_item, type_payload, type_response

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
