"""Items (messages, tool calls, reasoning, ...) as typed records with searchable plain text."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .lenient import Typed
from .models import implied_type, type_item
from .result import ItemRecord

_TEXT_PART_KEYS = ("text", "refusal")


def _parts_text(parts: Any) -> list[str]:
    out: list[str] = []
    if isinstance(parts, str):
        return [parts]
    if not isinstance(parts, list):
        return out
    for part in parts:
        if isinstance(part, dict):
            for key in _TEXT_PART_KEYS:
                value = part.get(key)
                if isinstance(value, str) and value:
                    out.append(value)
        elif isinstance(part, str):
            out.append(part)
    return out


def item_text(raw: Any) -> str | None:
    """Plain text of an item for full-text search: what a reader would call its content."""
    if not isinstance(raw, dict):
        return raw if isinstance(raw, str) else None
    kind = raw.get("type")
    texts: list[str] = []
    texts += _parts_text(raw.get("content"))
    if kind == "reasoning":
        texts += _parts_text(raw.get("summary"))
    for key in ("arguments", "input", "code", "output", "result", "error"):
        value = raw.get(key)
        if key == "result" and kind == "image_generation_call":
            continue  # base64 image, not text
        if isinstance(value, str):
            texts.append(value)
        elif key == "output" and isinstance(value, list):
            texts += _parts_text(value)
    action = raw.get("action")
    if isinstance(action, dict):
        for key in ("query", "url", "pattern", "command", "commands"):
            value = action.get(key)
            if isinstance(value, str):
                texts.append(value)
            elif isinstance(value, list):
                texts.append(" ".join(str(v) for v in value))
    operation = raw.get("operation")
    if isinstance(operation, dict) and isinstance(operation.get("diff"), str):
        texts.append(operation["diff"])
    if not texts and kind in ("tool_search_call",) and raw.get("arguments") is not None:
        texts.append(json.dumps(raw["arguments"]))
    return "\n".join(texts) if texts else None


def _str(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) else None


def record(direction: str, position: int, typed: Typed, raw: Any) -> ItemRecord:
    d = raw if isinstance(raw, dict) else {}
    kind = implied_type(d)
    kind = kind if isinstance(kind, str) else None
    if kind is None and isinstance(raw, str):
        kind = "message"
    return ItemRecord(
        direction=direction,
        position=position,
        type=kind,
        model=typed.model,
        raw=raw,
        id=_str(d, "id"),
        role=_str(d, "role") or ("user" if isinstance(raw, str) else None),
        status=_str(d, "status"),
        call_id=_str(d, "call_id") or _str(d, "approval_request_id"),
        name=_str(d, "name") or _str(d, "server_label"),
        text=item_text(raw),
    )


def type_items(
    raws: Iterable[Any], context: str, direction: str
) -> tuple[list[ItemRecord], list[tuple[int, Typed]]]:
    """Type a list of items; also return (position, Typed) for mismatch/unknown reporting."""
    records: list[ItemRecord] = []
    typed_list: list[tuple[int, Typed]] = []
    for position, raw in enumerate(raws):
        typed = type_item(raw, context)
        records.append(record(direction, position, typed, raw))
        typed_list.append((position, typed))
    return records, typed_list
