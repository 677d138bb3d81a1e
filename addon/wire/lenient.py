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

from pydantic import BaseModel, ConfigDict, ValidationError

from .relaxed import (
    Missing,
    deep_plan,
    lenient_class,
    model_class,
    sdk_class,
    shape_of,
    validator_of,
    verdict_of,
)

__all__ = ["Missing", "Typed", "Unknown", "build", "build_nested", "lenient_class"]
__all__ += ["plain_values", "validator_of", "verdict_of"]


class Unknown(BaseModel):
    """A payload whose `type` no openai model knows; every key is kept as an extra."""

    model_config = ConfigDict(extra="allow")
    type: str | None = None


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
        shape = shape_of(cls, data)
        missing, short = shape
        if short:
            # one validation of the whole, relaxed as the part-by-part way below relaxes it
            planned, absent = deep_plan(cls, shape)
            try:
                return Typed(planned.validate_python(data), [], [], list(absent))
            except ValidationError:
                pass  # more is wrong: part by part, as ever
            parts = {key: build(sub, data[key]) for key, sub, _ in short}
            return build_nested(cls, data, parts)
        if missing:  # the common mismatch (fields added to the API later): fast lenient path
            try:
                model = validator_of(lenient_class(cls, frozenset(missing))).validate_python(data)
            except ValidationError:
                pass  # more is wrong than missing fields: the general path below
            else:
                return _missing_only(cls, model, missing)
    try:
        return Typed(validator.validate_python(data), [])
    except ValidationError:
        pass
    own = cls.__pydantic_validator__  # the SDK's own validator names what is wrong
    try:
        return Typed(own.validate_python(data), [])
    except ValidationError as exc:
        fields = error_fields(exc)
        failing = {err["loc"][0] for err in exc.errors(include_url=False) if err["loc"]}
    if not isinstance(data, dict):
        return Typed(Unknown.model_construct(raw=data), fields)
    values = dict(data)
    isolated = True
    for name in failing:
        field_info = cls.model_fields.get(name) if isinstance(name, str) else None
        sub = model_class(field_info.annotation) if field_info else None
        if sub is None or not isinstance(values.get(name), dict):
            isolated = False
            break
        values[name] = build(sub, values[name]).model
    if isolated:
        try:
            return Typed(own.validate_python(values), fields)
        except ValidationError:
            pass
    try:
        return Typed(cls.model_construct(**data), fields)  # the SDK's own lenient path
    except Exception as exc:  # construct never validates, but be sure never to drop data
        fields.append(f"<construct> ({type(exc).__name__})")
    return Typed(Unknown.model_construct(raw=data), fields)


def _missing_only(cls: type[BaseModel], model: BaseModel, names: Iterable[str]) -> Typed:
    """A model valid but for absent required fields."""
    owner = sdk_class(cls).__name__  # the SDK's class, not a relaxed subclass
    return Typed(model, [], [], [Missing(name, f"{owner}.{name}") for name in sorted(names)])


def build_nested(
    cls: type[BaseModel],
    data: dict[str, Any],
    nested: dict[str, Any],
    plain: dict[str, Any] | None = None,
) -> Typed:
    """Build `cls` from `data` whose fields in `nested` are already typed (Typed or lists).

    Validating openai's big unions (28 output item types, 16 tools) tries member after member,
    even for finished instances. So those values are typed directly by their `type`, the rest
    of `cls` is validated without them (in a subclass where they may be absent), and the typed
    values are set afterwards. Mismatches are named with their path. `plain` values (see
    `plain_values`) are set as they are.
    """
    plain = plain or {}
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
    rest = {k: v for k, v in data.items() if k not in nested and k not in plain}
    outer = build(lenient_class(cls, frozenset(nested).union(plain)), rest)
    model = outer.model
    if type(model) is not Unknown:  # an instance of (a relaxed subclass of) cls
        for key, typed in nested.items():
            setattr(
                model, key, [e.model for e in typed] if isinstance(typed, list) else typed.model
            )
        for key, value in plain.items():
            setattr(model, key, value)
    return Typed(model, outer.mismatches + mismatches, unknown, outer.missing + missing)


@functools.cache
def _str_union_fields(cls: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """(JSON key, accepts None) of the fields of `cls` declared as a union of `str` with
    something costly to build (a Response's `instructions`: str, a list of input items or
    None)."""
    out = []
    for name, field in cls.model_fields.items():
        args = typing.get_args(field.annotation)
        is_union = typing.get_origin(field.annotation) is typing.Union
        if field.alias is None and is_union and str in args:
            costly = [a for a in args if a not in (str, type(None))]
            if any(typing.get_origin(a) is not typing.Literal for a in costly):
                out.append((field.alias or name, type(None) in args))
    return tuple(out)


def plain_values(cls: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """The values of `cls`'s str-union fields in `data` that validate to themselves: a str
    (the union's `str` member matches it exactly) or None where the field takes None. Set as
    they are, they need none of the union's other members built, which for a Response's
    `instructions` (every input item type) is most of the time typing a first Response took.
    """
    out: dict[str, Any] = {}
    for key, nullable in _str_union_fields(cls):
        if key in data:
            value = data[key]
            if type(value) is str or (value is None and nullable):
                out[key] = value
    return out
