"""openai's models, built when first needed, and their relaxed subclasses.

A relaxed subclass of an openai model lets some fields be absent (None), as the SDK's own
lenient construction leaves them; its instances are still instances of the SDK class. Each is
built the first time a payload needs it. A deep plan relaxes in one class what `lenient.build`
would relax part by part (a Response's usage whose input_tokens_details lacks
cache_write_tokens): one validation instead of one per level.
"""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass
from typing import Any

import pydantic
from pydantic import BaseModel

from .validators import fast_validator, verdict_validator


@dataclass(slots=True, unsafe_hash=True)
class Missing:
    """A required field absent from an object that is otherwise valid. A value: never changed
    once made (not frozen only because frozen dataclasses take 2.5x as long to make)."""

    path: str  # where, in the payload: usage.input_tokens_details.cache_write_tokens
    field: str  # which SDK field: InputTokensDetails.cache_write_tokens

    def under(self, prefix: str) -> Missing:
        return Missing(f"{prefix}.{self.path}", self.field)


@functools.cache
def validator_of(cls: type[BaseModel]) -> Any:
    """The validator tried first, built now (openai defers building models): the class's
    own, its unions dispatched by `type` (addon/wire/validators.py). What it builds is what
    the class's own builds; what it refuses, the class's own refuses (and names, see
    lenient.build)."""
    cls.model_rebuild()
    return fast_validator(cls)


@functools.cache
def verdict_of(cls: type[BaseModel]) -> Any:
    """A validator that only says whether a payload validates as `cls`, building nothing
    (addon/wire/validators.py): for payloads whose model would be dropped."""
    validator_of(cls)  # built
    return verdict_validator(cls)


@functools.cache
def required_keys(cls: type[BaseModel]) -> frozenset[str]:
    """JSON keys of the fields `cls` requires."""
    return frozenset(
        field.alias or name for name, field in cls.model_fields.items() if field.is_required()
    )


@functools.cache
def model_fields_of(cls: type[BaseModel]) -> tuple[tuple[str, type[BaseModel]], ...]:
    """(JSON key, model class) of the fields of `cls` that hold one model (X or X | None)."""
    out = []
    for name, field in cls.model_fields.items():
        sub = model_class(field.annotation)
        if sub is not None:
            out.append((field.alias or name, sub))
    return tuple(out)


def model_class(annotation: Any) -> type[BaseModel] | None:
    """X for a field annotated X or Optional[X], X a model; else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0]
    return None


# relaxed subclass -> (the SDK class, the JSON keys relaxed)
_RELAXED: dict[type[BaseModel], tuple[type[BaseModel], frozenset[str]]] = {}


def sdk_class(cls: type[BaseModel]) -> type[BaseModel]:
    """The SDK class a relaxed subclass relaxes (a class that is none: itself)."""
    return _RELAXED.get(cls, (cls,))[0]


def lenient_class(cls: type[BaseModel], missing: frozenset[str]) -> type[BaseModel]:
    """A subclass of `cls` in which the `missing` fields may be absent (None), as the SDK's
    own lenient construction leaves them. Instances are still `cls` instances."""
    original, relaxed = _RELAXED.get(cls, (cls, frozenset()))
    return _relaxed_subclass(original, relaxed | missing, ())


# A deep plan's shape: (JSON keys absent, ((key, the sub-model class, its shape), ...))
Shape = tuple[frozenset[str], tuple[tuple[str, type[BaseModel], Any], ...]]


@functools.cache
def _relaxed_subclass(
    cls: type[BaseModel],
    missing: frozenset[str],
    subs: tuple[tuple[str, type[BaseModel]], ...],
) -> type[BaseModel]:
    """`cls` with the `missing` fields `Any`, default None, and the `subs` fields (key, class)
    holding that class (itself relaxed). The `missing` fields are absent from every payload the
    subclass validates (missing from it, or typed on their own and set afterwards), so their
    schemas (openai's big unions: a Response's output and tools, an event's response) are
    never built, which is most of the time typing a first stream took."""
    fields: dict[str, Any] = {}
    sub_classes = dict(subs)
    for name, field in cls.model_fields.items():
        key = field.alias or name
        if key in sub_classes:  # present in the payload: validated as that class
            fields[name] = (sub_classes[key], pydantic.Field(None, alias=field.alias))
        elif key in missing:
            fields[name] = (Any, pydantic.Field(None, alias=field.alias))
    sub = pydantic.create_model(cls.__name__, __base__=cls, __module__=cls.__module__, **fields)
    _RELAXED[sub] = (cls, missing)
    return sub


def shape_of(cls: type[BaseModel], data: dict[str, Any]) -> Shape:
    """What `lenient.build` relaxes in `data`: the keys it lacks and, recursively, the
    sub-objects that lack keys of their own (only those: as `build` walks)."""
    subs: tuple[tuple[str, type[BaseModel], Any], ...] = ()
    for key, sub, required in _sub_models(cls):
        value = data.get(key)
        if type(value) is dict and not required.issubset(value):
            subs += ((key, sub, shape_of(sub, value)),)
    required = required_keys(cls)
    return (_NOTHING if required.issubset(data) else required.difference(data)), subs


_NOTHING: frozenset[str] = frozenset()


@functools.cache
def _sub_models(cls: type[BaseModel]) -> tuple[tuple[str, type[BaseModel], frozenset[str]], ...]:
    """(JSON key, model class, its required keys) of the fields of `cls` holding one model."""
    return tuple((key, sub, required_keys(sub)) for key, sub in model_fields_of(cls))


@functools.cache
def deep_plan(cls: type[BaseModel], shape: Shape) -> tuple[Any, tuple[Missing, ...]]:
    """(the validator of the one class relaxed as `shape` says, the absences it reports, in
    the order `lenient.build` reports them: this level's, sorted, then each sub-object's)."""
    missing, subs = shape
    owner = sdk_class(cls).__name__
    found = [Missing(name, f"{owner}.{name}") for name in sorted(missing)]
    for key, sub, sub_shape in subs:
        found += [m.under(key) for m in deep_plan(sub, sub_shape)[1]]
    return validator_of(_planned_class(cls, shape)), tuple(found)


def _planned_class(cls: type[BaseModel], shape: Shape) -> type[BaseModel]:
    missing, subs = shape
    original, relaxed = _RELAXED.get(cls, (cls, frozenset()))
    sub_classes = tuple((key, _planned_class(sub, sub_shape)) for key, sub, sub_shape in subs)
    return _relaxed_subclass(original, relaxed | missing, sub_classes)
