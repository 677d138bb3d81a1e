"""Faster validators for openai's models, built from the models' own schemas.

- **Tagged unions.** openai's unions of models (a message's content parts, a text part's
  annotations, a text format...) carry their discriminator only in openai's own metadata, so
  pydantic validates them in smart mode: every member is tried, strictly and then laxly,
  until one fits. Where each member is a model whose required `type` is a string literal and
  no two members share a literal, only the member whose literal is the payload's `type` can
  succeed. Such a union becomes a tagged union on `type`: it validates that one member, and
  what it builds is exactly what smart mode builds (a ResponseOutputMessage validates ~5x
  faster). What it refuses, smart mode refuses; error reports come from the model's own
  validator (see lenient.build), so they are the SDK's.
- **Verdict only.** Where only whether a payload validates matters (a stream event's model is
  not kept, see result.StreamEvent), each model in the schema is replaced by its fields'
  schema, which is what the model validator runs on a dict before it builds the instance: the
  same verdict, without building (and isinstance-checking) instances, and extras that the
  model would keep unvalidated are ignored rather than collected. Done only for plain models:
  no validators, post-init, custom init or root model, one config throughout.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaValidator


def _definitions(schema: Any, found: dict[str, Any]) -> dict[str, Any]:
    """Every schema in `schema` that declares a `ref`, by ref (definition-refs point there)."""
    if isinstance(schema, dict):
        if isinstance(schema.get("ref"), str) and isinstance(schema.get("type"), str):
            found[schema["ref"]] = schema
        for value in schema.values():
            _definitions(value, found)
    elif isinstance(schema, list | tuple):
        for value in schema:
            _definitions(value, found)
    return found


def _type_literals(choice: Any, definitions: dict[str, Any]) -> list[str] | None:
    """The `type` literals of a union member that is a model with a required literal `type`
    read by that very key; None for any other member."""
    schema = choice[0] if isinstance(choice, tuple) else choice
    if isinstance(schema, dict) and schema.get("type") == "definition-ref":
        schema = definitions.get(schema.get("schema_ref", ""))
    if not isinstance(schema, dict) or schema.get("type") != "model":
        return None
    fields = schema.get("schema", {})
    if fields.get("type") != "model-fields":
        return None
    field = fields.get("fields", {}).get("type")
    if not isinstance(field, dict) or "validation_alias" in field:
        return None
    literal = field.get("schema", {})
    if literal.get("type") != "literal":  # a default (not required) or anything else
        return None
    expected = literal.get("expected", [])
    return expected if expected and all(type(e) is str for e in expected) else None


def _as_tagged(union: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any] | None:
    """The tagged union equivalent to a smart-mode union, or None where there is none."""
    if union.get("mode", "smart") != "smart" or "custom_error_type" in union:
        return None
    choices: dict[str, Any] = {}
    for choice in union["choices"]:
        literals = _type_literals(choice, definitions)
        if literals is None or any(literal in choices for literal in literals):
            return None
        for literal in literals:
            choices[literal] = choice[0] if isinstance(choice, tuple) else choice
    tagged = {"type": "tagged-union", "choices": choices, "discriminator": "type"}
    for key in ("ref", "metadata", "serialization", "strict"):
        if key in union:
            tagged[key] = union[key]
    return tagged


def tagged_schema(schema: Any, definitions: dict[str, Any] | None = None) -> Any:
    """A copy of a core schema with every union that is dispatchable by `type` tagged."""
    if definitions is None:
        definitions = _definitions(schema, {})
    if isinstance(schema, dict):
        out = {key: tagged_schema(value, definitions) for key, value in schema.items()}
        if out.get("type") == "union":
            return _as_tagged(out, definitions) or out
        return out
    if isinstance(schema, list):
        return [tagged_schema(value, definitions) for value in schema]
    if isinstance(schema, tuple):
        return tuple(tagged_schema(value, definitions) for value in schema)
    return schema


class _NotPlain(Exception):
    """A schema that `fields_only` must not rewrite."""


def fields_only(schema: Any, config: dict[str, Any]) -> Any:
    """A copy of a core schema whose models are their fields' schemas (raises _NotPlain)."""
    if isinstance(schema, dict):
        kind = schema.get("type")
        if isinstance(kind, str) and kind.startswith("function"):
            raise _NotPlain(kind)  # a validator may expect a model instance
        if kind == "model":
            own = {k: v for k, v in schema.get("config", {}).items() if k != "title"}
            plain = schema.get("custom_init") is False and schema.get("root_model") is False
            if not plain or set(schema) - _MODEL_KEYS or own != config:
                raise _NotPlain(schema.get("ref"))
            fields = dict(schema["schema"])
            if fields.get("type") != "model-fields":
                raise _NotPlain(schema.get("ref"))
            extra = fields.get("extra_behavior", own.get("extra_fields_behavior", "ignore"))
            if extra == "allow" and "extras_schema" not in fields:
                extra = "ignore"  # extras accepted unvalidated either way: none collected
            fields["extra_behavior"] = extra
            if "ref" in schema:
                fields["ref"] = schema["ref"]
            return fields_only(fields, config)
        return {key: fields_only(value, config) for key, value in schema.items()}
    if isinstance(schema, list):
        return [fields_only(value, config) for value in schema]
    if isinstance(schema, tuple):
        return tuple(fields_only(value, config) for value in schema)
    return schema


_MODEL_KEYS = frozenset(
    {"type", "cls", "config", "custom_init", "metadata", "ref", "root_model", "schema"}
)


@functools.cache
def fast_validator(cls: type[BaseModel]) -> Any:
    """The validator of a built model class with its unions tagged (the model's own validator
    where it has no such union)."""
    schema = cls.__pydantic_core_schema__
    tagged = tagged_schema(schema)
    if tagged == schema:
        return cls.__pydantic_validator__
    return SchemaValidator(tagged, schema.get("config"))


@functools.cache
def verdict_validator(cls: type[BaseModel]) -> Any:
    """A validator that says whether a payload validates as a built model class, without
    building it (its unions tagged too); the fast validator where the schema is not plain."""
    schema = cls.__pydantic_core_schema__
    config = {k: v for k, v in schema.get("config", {}).items() if k != "title"}
    try:
        rewritten = fields_only(tagged_schema(schema), config)
    except _NotPlain:
        return fast_validator(cls)
    return SchemaValidator(rewritten, schema.get("config"))
