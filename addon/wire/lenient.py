"""Building openai models from real traffic: strictly where it validates, leniently where not.

Strict validation is tried first. Where a payload lacks fields the SDK calls required (common:
they were added to the API later), the model is still built, the way the SDK's own lenient
construction builds it (absent fields are None), and the failing fields are named. Leniency is
applied as deep as it can be, so one missing sub-field does not leave a whole Response untyped.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, ValidationError


class Unknown(BaseModel):
    """A payload whose `type` no openai model knows; every key is kept as an extra."""

    model_config = ConfigDict(extra="allow")
    type: str | None = None


@dataclass(frozen=True, slots=True)
class Missing:
    """A required field absent from an object that is otherwise valid."""

    path: str  # where, in the payload: usage.input_tokens_details.cache_write_tokens
    field: str  # which SDK field: InputTokensDetails.cache_write_tokens

    def under(self, prefix: str) -> Missing:
        return Missing(f"{prefix}.{self.path}", self.field)


@dataclass(slots=True)
class Typed:
    """A model plus what went wrong building it."""

    model: BaseModel
    # "path (error)" for each field that failed strict validation, except required fields
    # absent from objects otherwise valid: those are in `missing` (whether such an absence
    # is usual is the collector's call, by addon/wire/omitted.py)
    mismatches: list[str]
    # unrecognised `type`s, nested ones included
    unknown: list[str] = dataclass_field(default_factory=list)
    missing: list[Missing] = dataclass_field(default_factory=list)

    def again(self, model: BaseModel | None = None) -> Typed:
        """The same result for a payload seen before (memos), with lists of its own."""
        return Typed(
            self.model if model is None else model,
            list(self.mismatches),
            list(self.unknown),
            list(self.missing),
        )


def _is_member_tag(part: object) -> bool:
    """pydantic names the union member an error came from with its class name in the loc."""
    return isinstance(part, str) and (part[:1].isupper() or "[" in part or "-" in part)


def error_fields(exc: ValidationError) -> list[str]:
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
def validator_of(cls: type[BaseModel]) -> Any:
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
            # A field without an annotation (None) accepts anything; so does its relaxed copy.
            relaxed = Any if field.annotation is None else field.annotation | None
            fields[name] = (relaxed, pydantic.Field(None, alias=field.alias))
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
    validator = validator_of(cls)
    if isinstance(data, dict):
        # A sub-object missing fields (a Response's usage without cache_write_tokens) is
        # built on its own, so only that part is lenient and no exception is raised.
        short = {
            key: sub
            for key, sub in _model_fields(cls)
            if type(data.get(key)) is dict and _required(sub).difference(data[key])
        }
        if short:
            return build_nested(cls, data, {k: build(sub, data[k]) for k, sub in short.items()})
        missing = _required(cls).difference(data)
        if missing:  # the common mismatch (fields added to the API later): fast lenient path
            try:
                model = validator_of(_lenient_class(cls, frozenset(missing))).validate_python(data)
            except ValidationError:
                pass  # more is wrong than missing fields: the general path below
            else:
                return _missing_only(cls, model, missing)
    try:
        return Typed(validator.validate_python(data), [])
    except ValidationError as exc:
        fields = error_fields(exc)
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


def _missing_only(cls: type[BaseModel], model: BaseModel, names: Iterable[str]) -> Typed:
    """A model valid but for absent required fields."""
    owner = _RELAXED.get(cls, (cls,))[0].__name__  # the SDK's class, not a relaxed subclass
    return Typed(model, [], [], [Missing(name, f"{owner}.{name}") for name in sorted(names)])


def build_nested(cls: type[BaseModel], data: dict[str, Any], nested: dict[str, Any]) -> Typed:
    """Build `cls` from `data` whose fields in `nested` are already typed (Typed or lists).

    Validating openai's big unions (28 output item types, 16 tools) tries member after member,
    even for finished instances. So those values are typed directly by their `type`, the rest
    of `cls` is validated without them (in a subclass where they may be absent), and the typed
    values are set afterwards. Mismatches are named with their path.
    """
    mismatches: list[str] = []
    unknown: list[str] = []
    missing: list[Missing] = []
    for key, typed in nested.items():
        entries = typed if isinstance(typed, list) else [typed]
        for i, entry in enumerate(entries):
            prefix = f"{key}.{i}" if isinstance(typed, list) else key
            mismatches += [f"{prefix}.{m}" for m in entry.mismatches]
            unknown += entry.unknown
            missing += [m.under(prefix) for m in entry.missing]
    rest = {k: v for k, v in data.items() if k not in nested}
    outer = build(_lenient_class(cls, frozenset(nested)), rest)
    model = outer.model
    if isinstance(model, cls):
        for key, typed in nested.items():
            setattr(
                model, key, [e.model for e in typed] if isinstance(typed, list) else typed.model
            )
    return Typed(model, outer.mismatches + mismatches, unknown, outer.missing + missing)
