"""The re-send panel's fields as edits of the recorded body (pure): what the panel shows of a
body (model, reasoning effort, temperature, instructions, tools), and the `Edits` that turn
the recorded body into the one the fields describe, in `inspector.resend.edit`'s terms, so a
re-send from the panel is the one `respdeck resend --set/--unset` would make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspector.resend.edit import EditError, Edits

EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")


@dataclass(frozen=True, slots=True)
class Fields:
    model: str
    effort: str | None  # None: not set
    temperature: str  # as typed; "" for not set
    instructions: str
    tools: tuple[bool, ...]  # per recorded tool: kept


def _effort(body: dict[str, Any]) -> str | None:
    reasoning = body.get("reasoning")
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
    return effort if isinstance(effort, str) else None


def tools_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = body.get("tools")
    return [t if isinstance(t, dict) else {} for t in found] if isinstance(found, list) else []


def tool_label(tool: dict[str, Any]) -> str:
    """A tool as a checkbox names it: its type, and its name when it has one."""
    kind = str(tool.get("type") or "?")
    name = tool.get("name") or (tool.get("server_label") if kind == "mcp" else None)
    return f"{kind}: {name}" if name else kind


def fields_of(body: dict[str, Any]) -> Fields:
    """The fields as the recorded body sets them."""
    temperature = body.get("temperature")
    instructions = body.get("instructions")
    return Fields(
        model=str(body.get("model") or ""),
        effort=_effort(body),
        temperature="" if temperature is None else str(temperature),
        instructions=instructions if isinstance(instructions, str) else "",
        tools=tuple(True for _ in tools_of(body)),
    )


def _number(text: str) -> float | int:
    try:
        value = float(text)
    except ValueError:
        raise EditError(f"temperature {text!r} is not a number") from None
    return int(value) if value.is_integer() and "." not in text else value


def edits_of(body: dict[str, Any], fields: Fields) -> Edits:
    """The edits from `body` to what `fields` say; none when nothing changed (the recorded
    bytes then go out as they are). EditError for a field that is not valid."""
    sets: list[tuple[str, Any]] = []
    unsets: list[str] = []
    if fields.model.strip() != str(body.get("model") or ""):
        if fields.model.strip():
            sets.append(("model", fields.model.strip()))
        elif "model" in body:
            unsets.append("model")
    if fields.effort != _effort(body):
        if fields.effort is not None:
            sets.append(("reasoning.effort", fields.effort))
        else:
            unsets.append("reasoning.effort")
    temperature = fields.temperature.strip()
    recorded = body.get("temperature")
    if temperature:
        value = _number(temperature)
        if value != recorded or type(value) is not type(recorded):
            sets.append(("temperature", value))
    elif recorded is not None:
        unsets.append("temperature")
    instructions = body.get("instructions")
    if fields.instructions != (instructions if isinstance(instructions, str) else ""):
        if fields.instructions:
            sets.append(("instructions", fields.instructions))
        else:
            unsets.append("instructions")
    unsets += [f"tools.{n}" for n, kept in enumerate(fields.tools) if not kept]
    return Edits(tuple(sets), tuple(unsets))


def edited_model(body: dict[str, Any], edits: Edits) -> str | None:
    """The model the edited request asks for."""
    if edits.replacement is not None:
        found = edits.replacement.get("model")
        return found if isinstance(found, str) else None
    for path, value in reversed(edits.sets):
        if path == "model":
            return str(value)
    if "model" in edits.unsets:
        return None
    found = body.get("model")
    return found if isinstance(found, str) else None
