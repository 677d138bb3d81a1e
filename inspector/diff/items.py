"""Input or output items of two exchanges, aligned by what they say.

An item's key is its content key (`addon.wire.content_key`: ids, status and delivery details
left out, encrypted content by hash), so the same conversation resent with new ids is equal
and one inserted message is one `added` entry. A tool's output is keyed with the call it
answers (paired by `call_id` within its side): the same output to another call is a change.
A changed item lists its changes by path over the item as the model saw it (message content
part by part, texts with word diffs, call arguments as JSON, reasoning by summary and the
hash of its encrypted content); `--strict` compares the items as sent, ids included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from addon.wire.canonical import canonical_text
from addon.wire.content_key import canonical_item, content_key
from addon.wire.items import item_text
from addon.wire.models import implied_type
from addon.wire.tool_calls import CALL_OUTPUT_TYPES, OUTPUT_CALL_TYPES

from .align import align
from .structure import Change, Ignore, changes

Entry = dict[str, Any]
PREVIEW_CHARS = 80  # of an added or removed item's text, to say which one it is


def as_items(value: Any) -> list[Any]:
    """A request's `input` as items: a string is one user message, a missing input none."""
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, list) else []


def kind_of(item: Any) -> str:
    if isinstance(item, str):
        return "message"
    found = implied_type(item) if isinstance(item, dict) else None
    return found if isinstance(found, str) else type(item).__name__


def align_kind(item: Any) -> str:
    """What may pair as `changed`: the same type, and for messages the same role (a user
    message that became an assistant one is one removed and one added)."""
    kind = kind_of(item)
    if kind == "message":
        role = "user" if isinstance(item, str) else item.get("role")
        return f"message:{role}" if isinstance(role, str) else kind
    return kind


def preview(item: Any) -> str | None:
    """The start of an item's text, on one line (None when it has no text)."""
    text = item_text(item)
    if not text:
        return None
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"


def comparable(item: Any, strict: bool) -> Any:
    """The form changes are listed over: the item as sent (strict), or as the model saw it,
    with call arguments as JSON values and a reasoning item's summary beside its hash."""
    if strict:
        return item
    seen = canonical_item(item)
    if not isinstance(seen, dict):
        return seen
    if isinstance(item, dict) and seen.get("type") == "reasoning" and "summary" not in seen:
        shown = canonical_item({**item, "encrypted_content": None})
        seen = {**seen, "summary": shown.get("summary"), "content": shown.get("content")}
        seen = {k: v for k, v in seen.items() if v not in (None, [])}
    arguments = seen.get("arguments")
    if isinstance(arguments, dict) and set(arguments) == {"json"}:
        seen = {**seen, "arguments": arguments["json"]}
    return seen


def _keys(items: Sequence[Any], strict: bool) -> list[str]:
    """Alignment keys: content keys (strict: the item's exact JSON), an output's with its
    call's key appended."""
    own = [canonical_text(i) if strict else content_key(i) for i in items]
    calls = {
        item.get("call_id"): n
        for n, item in enumerate(items)
        if isinstance(item, dict) and item.get("type") in CALL_OUTPUT_TYPES
    }
    keys = []
    for n, item in enumerate(items):
        key = own[n]
        if isinstance(item, dict) and item.get("type") in OUTPUT_CALL_TYPES:
            call = calls.get(item.get("call_id"))
            key += "<" + (own[call] if call is not None else "no call")
        keys.append(key)
    return keys


def _labels(items: Sequence[Any]) -> list[dict[str, Any]]:
    """What names each item beside its type: a call's name, an output's call (by `call_id`),
    a message's role."""
    call_names = {
        item.get("call_id"): item.get("name")
        for item in items
        if isinstance(item, dict) and item.get("type") in CALL_OUTPUT_TYPES
    }
    labels: list[dict[str, Any]] = []
    for item in items:
        out: dict[str, Any] = {}
        if isinstance(item, str):
            out["role"] = "user"
        elif isinstance(item, dict):
            for key in ("name", "role"):
                if isinstance(item.get(key), str):
                    out[key] = item[key]
            call = call_names.get(item.get("call_id"))
            if item.get("type") in OUTPUT_CALL_TYPES and isinstance(call, str):
                out["call"] = call
        labels.append(out)
    return labels


def diff_items(
    a_items: Sequence[Any], b_items: Sequence[Any], ignore: Ignore, section: str
) -> list[Entry]:
    """One entry per aligned step: `{op, a_index, b_index, type, changes}` (plus `name`,
    `role` or `call` where they say which item it is, and an added or removed item's
    `preview`: the start of its text)."""
    strict = ignore.strict
    a_keys, b_keys = _keys(a_items, strict), _keys(b_items, strict)
    steps = align(
        a_keys,
        b_keys,
        [align_kind(i) for i in a_items],
        [align_kind(i) for i in b_items],
    )
    a_labels, b_labels = _labels(a_items), _labels(b_items)
    entries: list[Entry] = []
    for step in steps:
        if step.a_index is not None:
            side, labels, index = a_items, a_labels, step.a_index
        else:
            assert step.b_index is not None
            side, labels, index = b_items, b_labels, step.b_index
        found: list[Change] = []
        if step.op == "changed":
            assert step.a_index is not None and step.b_index is not None
            found = changes(
                comparable(a_items[step.a_index], strict),
                comparable(b_items[step.b_index], strict),
                ignore,
                section,
            )
            if not found and a_keys[step.a_index] != b_keys[step.b_index]:
                found = _answered_call(
                    a_items, b_items, step.a_index, step.b_index, ignore, section
                )
        op = "equal" if step.op == "changed" and not found else step.op
        entry: Entry = {
            "op": op,
            "a_index": step.a_index,
            "b_index": step.b_index,
            "type": kind_of(side[index]),
            **labels[index],
            "changes": found,
        }
        if op in ("added", "removed") and (shown := preview(side[index])) is not None:
            entry["preview"] = shown
        entries.append(entry)
    return entries


def _call_of(items: Sequence[Any], index: int) -> Any:
    """The call an output answers (by `call_id`, within its side), or None."""
    item = items[index]
    if not isinstance(item, dict) or item.get("type") not in OUTPUT_CALL_TYPES:
        return None
    return next(
        (
            i
            for i in items
            if isinstance(i, dict)
            and i.get("type") in CALL_OUTPUT_TYPES
            and i.get("call_id") == item.get("call_id")
        ),
        None,
    )


def _answered_call(
    a_items: Sequence[Any],
    b_items: Sequence[Any],
    a_index: int,
    b_index: int,
    ignore: Ignore,
    section: str,
) -> list[Change]:
    """The one change of an output that says the same to another call: which call it answers
    (`call`, each side's call as the model saw it)."""
    if ignore.ignores("call", section):
        return []
    a_call, b_call = _call_of(a_items, a_index), _call_of(b_items, b_index)
    return [
        {
            "path": "call",
            "op": "changed",
            "a": None if a_call is None else comparable(a_call, ignore.strict),
            "b": None if b_call is None else comparable(b_call, ignore.strict),
        }
    ]


def all_equal(entries: Sequence[Entry]) -> bool:
    return all(e["op"] == "equal" for e in entries)
