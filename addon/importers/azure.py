"""Azure SDK test-proxy session records (`{"Entries": [...], "Variables": {...}}`).

The proxy stores a body by content type: JSON bodies as parsed JSON (re-serialised compactly,
as .NET writes them), text as a string or, when it has line breaks (SSE), as an array of
lines, and binary as base64. Multipart bodies are line arrays whose binary parts are
`b64:`-prefixed segments.
"""

from __future__ import annotations

import binascii
from typing import Any

from addon.importers._common import (
    as_list,
    b64decode,
    dump_json,
    get_header,
    headers_from_mapping,
    status_code,
)
from addon.wire.exchange import Exchange, Headers, HttpRequest, HttpResponse

_TEXT_HINTS = (
    "json",
    "text/",
    "xml",
    "x-www-form-urlencoded",
    "multipart/",
    "javascript",
    "ndjson",
)


def is_session(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("Entries"), list)


def _is_text(content_type: str) -> bool:
    return not content_type or any(hint in content_type.lower() for hint in _TEXT_HINTS)


def _segment(line: str) -> bytes:
    if line.startswith("b64:") and "\n" not in line:
        try:
            return b64decode(line[4:])
        except (binascii.Error, ValueError):
            pass
    return line.encode("utf-8", "surrogatepass")


def _body(value: Any, headers: Headers) -> bytes:
    content_type = get_header(headers, "content-type")
    if value is None:
        return b""
    if isinstance(value, str):
        if _is_text(content_type):
            return value.encode("utf-8", "surrogatepass")
        try:
            return b64decode(value)
        except (binascii.Error, ValueError):
            return value.encode("utf-8", "surrogatepass")
    is_json = "json" in content_type.lower()
    if isinstance(value, list) and not is_json and all(isinstance(x, str) for x in value):
        return b"".join(_segment(line) for line in value)
    return dump_json(value, compact=True)


def _exchange(entry: Any) -> Exchange | None:
    if not isinstance(entry, dict):
        return None
    req_headers = headers_from_mapping(entry.get("RequestHeaders") or {})
    request = HttpRequest(
        method=str(entry.get("RequestMethod") or "GET").upper(),
        url=str(entry.get("RequestUri") or ""),
        headers=req_headers,
        body=_body(entry.get("RequestBody"), req_headers),
    )
    response = None
    if "StatusCode" in entry or "ResponseHeaders" in entry or "ResponseBody" in entry:
        res_headers = headers_from_mapping(entry.get("ResponseHeaders") or {})
        response = HttpResponse(
            status=status_code(entry.get("StatusCode")),
            headers=res_headers,
            body=_body(entry.get("ResponseBody"), res_headers),
        )
    return Exchange(request=request, response=response)


def read_session(doc: dict[str, Any]) -> list[Exchange]:
    return [ex for ex in map(_exchange, as_list(doc.get("Entries"))) if ex is not None]
