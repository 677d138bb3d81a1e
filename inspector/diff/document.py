"""The diff of two exchanges as one JSON document (the `--json` output, the TUI's input).

Keys (stable; the README documents them): `same`, `a` and `b` (which exchanges), `request`
(model, instructions, tools, params, input_items), `response` (http_status, status,
incomplete_reason, error, output_text, output_items), `usage`, `timing`, `events`, `findings`.
`same` means the request and the response agree once volatile fields are left out; usage,
timing, event counts and findings are the outcome, reported but not part of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .outcome import diff_outcome
from .request import diff_request, request_same
from .response import diff_response, response_same
from .side import DiffSide
from .structure import Ignore

# Response and item fields that differ between any two runs, whatever the call.
VOLATILE_FIELDS = frozenset({"id", "created_at", "completed_at", "call_id"})


def make_ignore(paths: Iterable[str] = (), strict: bool = False) -> Ignore:
    """What a diff leaves out: the volatile fields (unless strict) and the paths named."""
    return Ignore(tuple(paths), strict, VOLATILE_FIELDS)


def describe(side: DiffSide) -> dict[str, Any]:
    return {
        "label": side.label,
        "exchange_id": side.exchange_id,
        "response_id": side.response_id,
        "endpoint": side.endpoint,
        "started_at": side.started_at,
    }


def diff_exchanges(
    a: DiffSide, b: DiffSide, *, ignore: Iterable[str] = (), strict: bool = False
) -> dict[str, Any]:
    """What changed from a to b, by meaning (see the module docstring for the keys)."""
    rules = make_ignore(ignore, strict)
    request = diff_request(a.request, b.request, rules)
    response = diff_response(a, b, rules)
    return {
        "same": request_same(request) and response_same(response),
        "a": describe(a),
        "b": describe(b),
        "request": request,
        "response": response,
        **diff_outcome(a, b),
    }
