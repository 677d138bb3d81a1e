"""Response-body-only stream fixtures: raw SSE text, SSE JSON lines, JSON arrays of events.

None of them records the request, so each becomes one exchange with a synthetic
`POST /v1/responses` (`{"stream":true}`) request. Raw SSE keeps the file bytes unchanged as
the body; the JSON forms are reframed as `data: <event>\\n\\n` blocks and flagged with
`x-respdeck-converted`, since those bytes never crossed the wire in that shape.
"""

from __future__ import annotations

import json
import re
from typing import Any

from addon.importers._common import CONVERTED_HEADER, dump_json, synthetic_request
from addon.wire.exchange import Exchange, HttpResponse

_SSE_FIRST_LINE = re.compile(rb"\A(?:(?:event|data|id|retry)[ \t]*:|:)")
_STREAM_REQUEST = b'{"stream":true}'
_SSE_TYPE = ("content-type", "text/event-stream; charset=utf-8")


def looks_like_sse(data: bytes) -> bool:
    """First non-blank line is an SSE field (`event:`, `data:`, `id:`, `retry:`) or comment."""
    start = data.lstrip(b" \t\r\n")
    return bool(_SSE_FIRST_LINE.match(start[:64]))


def _exchange(body: bytes, converted: str | None = None) -> Exchange:
    headers = [_SSE_TYPE]
    if converted:
        headers.append((CONVERTED_HEADER, converted))
    request = synthetic_request(
        "/v1/responses", body=_STREAM_REQUEST, headers=[("content-type", "application/json")]
    )
    return Exchange(request=request, response=HttpResponse(status=200, headers=headers, body=body))


def read_raw(data: bytes) -> list[Exchange]:
    return [_exchange(data)]


def jsonl_events(data: bytes) -> list[bytes] | None:
    """The lines of a JSON-lines file if every non-blank line is a JSON object with `type`."""
    lines = [line.strip() for line in data.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return None
    for line in lines:
        if not line.startswith(b"{"):
            return None
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        if not isinstance(obj, dict) or "type" not in obj:
            return None
    return lines


def split_responses(payloads: list[bytes]) -> list[list[bytes]]:
    """One HTTP stream carries one response: a file holding several streams back to back
    (a new `response.created` after one was seen) becomes one group per response."""
    groups: list[list[bytes]] = [[]]
    seen_created = False
    for payload in payloads:
        created = b'"response.created"' in payload and json.loads(payload).get("type") == (
            "response.created"
        )
        if created and seen_created:
            groups.append([])
        seen_created = seen_created or created
        groups[-1].append(payload)
    return groups


def read_jsonl(lines: list[bytes]) -> list[Exchange]:
    """Each line is kept byte for byte as one `data:` payload."""
    return [
        _exchange(b"".join(b"data: " + line + b"\n\n" for line in group), "sse-jsonl")
        for group in split_responses(lines)
    ]


def is_event_array(doc: Any) -> bool:
    return (
        isinstance(doc, list)
        and bool(doc)
        and all(isinstance(e, dict) and isinstance(e.get("type"), str) for e in doc)
    )


def is_single_event(doc: Any) -> bool:
    """One streaming event saved alone (`{"type": "response.completed", ...}`)."""
    return (
        isinstance(doc, dict)
        and "object" not in doc
        and isinstance(doc.get("type"), str)
        and (doc["type"].startswith("response.") or doc["type"] == "error")
    )


def read_event_array(events: list[Any]) -> list[Exchange]:
    payloads = [dump_json(e, compact=True) for e in events]
    return [
        _exchange(b"".join(b"data: " + p + b"\n\n" for p in group), "sse-json-array")
        for group in split_responses(payloads)
    ]
