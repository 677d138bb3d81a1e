"""The request half of an exchange diff: model, instructions, tools by name, parameters by path.

Volatile parameters (`prompt_cache_key`, `safety_identifier`, `user`) are left out; ids that
link a request to state (`previous_response_id`, `conversation`) count only when one side has
one and the other not: two runs never share them. `--strict` compares them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .items import as_items, diff_items
from .structure import Change, Ignore, changes
from .words import text_diff

# Parameters that differ between any two runs of the same call.
VOLATILE_PARAMS = frozenset({"prompt_cache_key", "safety_identifier", "user"})
# Ids of server-side state: that there is one is compared, not which.
STATE_IDS = ("previous_response_id", "conversation")
# Shown in their own sections, not as parameters.
OWN_SECTIONS = frozenset({"model", "instructions", "tools", "input"})


def tool_name(tool: Any) -> str:
    """A tool's name as the model knows it: a function's name, an MCP server's label, else
    the built-in tool's type (`web_search`)."""
    if not isinstance(tool, dict):
        return str(tool)
    for key in ("name", "server_label"):
        if isinstance(tool.get(key), str):
            return str(tool[key])
    return str(tool.get("type"))


def diff_tools(a_tools: Any, b_tools: Any, ignore: Ignore) -> list[dict[str, Any]]:
    """`{name, op, changes}` per tool of either side, a's order first, then b's new ones."""
    a_by = {tool_name(t): t for t in a_tools or []}
    b_by = {tool_name(t): t for t in b_tools or []}
    out: list[dict[str, Any]] = []
    for name in [*a_by, *(n for n in b_by if n not in a_by)]:
        if name not in b_by:
            out.append({"name": name, "op": "removed", "changes": []})
        elif name not in a_by:
            out.append({"name": name, "op": "added", "changes": []})
        else:
            found = changes(a_by[name], b_by[name], ignore, "request", f"tools.{name}")
            out.append({"name": name, "op": "changed" if found else "equal", "changes": found})
    return out


def without_volatile(body: Mapping[str, Any]) -> dict[str, Any]:
    """A request body as two runs of one call compare: volatile parameters left out, state ids
    reduced to whether there is one (the exchange diff and capture pairing both read it so)."""
    out = {k: v for k, v in body.items() if k not in VOLATILE_PARAMS}
    for key in STATE_IDS:
        if out.get(key) is not None:
            out[key] = "(an id)"
    return out


def _params(body: dict[str, Any], ignore: Ignore) -> dict[str, Any]:
    params = body if ignore.strict else without_volatile(body)
    return {k: v for k, v in params.items() if k not in OWN_SECTIONS}


def diff_params(a: dict[str, Any], b: dict[str, Any], ignore: Ignore) -> list[Change]:
    return changes(_params(a, ignore), _params(b, ignore), ignore, "request")


def diff_request(a: dict[str, Any], b: dict[str, Any], ignore: Ignore) -> dict[str, Any]:
    model_same = ignore.ignores("model", "request") or a.get("model") == b.get("model")
    instructions = text_diff(a.get("instructions"), b.get("instructions"))
    if ignore.ignores("instructions", "request"):
        instructions = {"same": True, "diff": []}
    return {
        "model": {"a": a.get("model"), "b": b.get("model"), "same": model_same},
        "instructions": instructions,
        "tools": diff_tools(a.get("tools"), b.get("tools"), ignore),
        "params": diff_params(a, b, ignore),
        "input_items": diff_items(
            as_items(a.get("input")), as_items(b.get("input")), ignore, "request.input"
        ),
    }


def request_same(part: dict[str, Any]) -> bool:
    return bool(
        part["model"]["same"]
        and part["instructions"]["same"]
        and all(t["op"] == "equal" for t in part["tools"])
        and not part["params"]
        and all(e["op"] == "equal" for e in part["input_items"])
    )
