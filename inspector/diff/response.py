"""The response half of an exchange diff: how it ended, what it said, which tools it called.

Output items align like input items (a tool call compares by name, then its argument JSON);
`output_text` is the SDK's convenience text (every output_text part), as a word diff. An HTTP
error has no response object: its error body's `error` is compared instead.
"""

from __future__ import annotations

from typing import Any

from .items import diff_items
from .side import DiffSide
from .structure import Ignore, changes
from .words import text_diff


def output_text(response: dict[str, Any] | None) -> str | None:
    """The output_text parts of the output's messages, joined by newlines (the SDK's)."""
    if not isinstance(response, dict) or not isinstance(response.get("output"), list):
        return None
    return "\n".join(
        str(part.get("text") or "")
        for item in response["output"]
        if isinstance(item, dict) and item.get("type") == "message"
        for part in item.get("content") or []
        if isinstance(part, dict) and part.get("type") == "output_text"
    )


def _field(response: dict[str, Any] | None, *path: str) -> Any:
    value: Any = response
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _pair(a: Any, b: Any) -> dict[str, Any]:
    return {"a": a, "b": b, "same": a == b}


def diff_response(a: DiffSide, b: DiffSide, ignore: Ignore) -> dict[str, Any]:
    ra, rb = a.response, b.response
    error = changes(_field(ra, "error"), _field(rb, "error"), ignore, "response", "error")
    part = {
        "http_status": _pair(a.http_status, b.http_status),
        "status": _pair(_field(ra, "status"), _field(rb, "status")),
        "incomplete_reason": _pair(
            _field(ra, "incomplete_details", "reason"), _field(rb, "incomplete_details", "reason")
        ),
        "error": {"a": _field(ra, "error"), "b": _field(rb, "error"), "changes": error},
        "output_text": text_diff(output_text(ra), output_text(rb)),
        "output_items": diff_items(
            _field(ra, "output") or [], _field(rb, "output") or [], ignore, "response.output"
        ),
    }
    if ignore.ignores("output_text", "response"):
        part["output_text"] = {"same": True, "diff": []}
    return part


def response_same(part: dict[str, Any]) -> bool:
    return bool(
        part["http_status"]["same"]
        and part["status"]["same"]
        and part["incomplete_reason"]["same"]
        and not part["error"]["changes"]
        and part["output_text"]["same"]
        and all(e["op"] == "equal" for e in part["output_items"])
    )
