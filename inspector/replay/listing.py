"""Items as the API lists them, and its cursor pages: pure functions for the replay state.

What a client sent as input (a string, a message with string content, an item without id) the
API lists as a full item: a message with content parts, an id and a status. Ids come from a
recorded listing of the same object when it has an item with the same content (so ids agree
with what the recording showed), else they are made up, stable per owner and position.
Pages follow `GET /v1/responses/{id}/input_items` and `GET /v1/conversations/{id}/items`:
`order` asc or desc (the default), `after` an item id, `limit` 1 to 100 (default 20), and
`first_id`, `last_id`, `has_more`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from typing import Any

from addon.wire.content_key import content_key

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_ID_PREFIX = {"message": "msg", "function_call": "fc", "function_call_output": "fco"}


class BadPage(ValueError):
    """A page parameter the API would refuse (its message is the API-style one)."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def made_id(item_type: str, owner: str, position: int) -> str:
    """An id for an item the recording never showed one for."""
    digest = hashlib.blake2b(f"{owner}#{position}".encode(), digest_size=24).hexdigest()
    return f"{_ID_PREFIX.get(item_type, 'item')}_{digest}"


def _parts(content: Any, role: Any) -> Any:
    if isinstance(content, str):
        kind = "output_text" if role == "assistant" else "input_text"
        part: dict[str, Any] = {"type": kind, "text": content}
        if kind == "output_text":
            part["annotations"] = []
        return [part]
    if isinstance(content, list):
        return [{"type": "input_text", "text": p} if isinstance(p, str) else p for p in content]
    return content


def listed_item(item: Any) -> dict[str, Any]:
    """One input item in the listed form, without an id yet when it had none."""
    if isinstance(item, str):
        item = {"type": "message", "role": "user", "content": item}
    if not isinstance(item, dict):
        return {"type": "unknown", "value": item}
    out = dict(item)
    if "type" not in out and "role" in out:
        out["type"] = "message"
    if out.get("type") == "message":
        out["content"] = _parts(out.get("content"), out.get("role"))
        out.setdefault("status", "completed")
    return out


def with_ids(
    items: Sequence[Any], owner: str, known: Iterable[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """`items` listed, each with an id: its own, a known item's with the same content (each
    known id given once, and never one an item already has), or a made-up one."""
    listed = [listed_item(item) for item in items]
    taken = {i["id"] for i in listed if isinstance(i.get("id"), str)}
    by_content: dict[str, deque[str]] = defaultdict(deque)
    for item in known:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"] not in taken:
            taken.add(item["id"])
            by_content[content_key(item)].append(item["id"])
    out = []
    for position, item in enumerate(listed):
        if not isinstance(item.get("id"), str):
            queue = by_content.get(content_key(item))
            found = queue.popleft() if queue else None
            item = {"id": found or made_id(str(item.get("type")), owner, position), **item}
        out.append(item)
    return out


def _limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        raise BadPage(f"Invalid 'limit': expected an integer, got {value!r}.", "limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadPage(
            f"Invalid 'limit': integer must be between 1 and {MAX_LIMIT}, got {limit}.", "limit"
        )
    return limit


def page(
    items: Sequence[dict[str, Any]],
    order: str | None = None,
    after: str | None = None,
    limit: str | None = None,
) -> dict[str, Any]:
    """A list page over `items` (oldest first), as the API answers one; BadPage for an order
    or limit it refuses. An `after` id that is not listed gives an empty page."""
    order = order or "desc"
    if order not in ("asc", "desc"):
        raise BadPage(f"Invalid 'order': expected 'asc' or 'desc', got {order!r}.", "order")
    count = _limit(limit)
    ordered = list(items) if order == "asc" else list(reversed(items))
    if after:
        ids = [i.get("id") for i in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    data = ordered[:count]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0].get("id") if data else None,
        "last_id": data[-1].get("id") if data else None,
        "has_more": len(ordered) > count,
    }


def full_listing(body: Any, query: dict[str, list[str]]) -> list[dict[str, Any]] | None:
    """A recorded list body's items oldest first, when it is a whole listing (the first page
    and no more); None otherwise."""
    if not isinstance(body, dict) or body.get("has_more") is not False or query.get("after"):
        return None
    data = body.get("data")
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        return None
    order = (query.get("order") or ["desc"])[-1]
    return list(data) if order == "asc" else list(reversed(data))
