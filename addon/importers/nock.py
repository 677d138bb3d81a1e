"""nock recordings (`nock.recorder` with `output_objects`, or nock-back fixtures): a JSON
list of `{scope, method, path, body, status, response, rawHeaders|headers, reqheaders}`.

nock parses JSON bodies (re-serialised compactly, as JSON.stringify replays them), writes
binary bodies as hex (`responseIsBinary`) and content-encoded responses as an array of hex
chunks, which are joined back into the raw, still-encoded body.
"""

from __future__ import annotations

from typing import Any

from addon.importers._common import (
    get_header,
    headers_from_flat,
    headers_from_mapping,
    status_code,
    to_bytes,
)
from addon.wire.exchange import Exchange, Headers, HttpRequest, HttpResponse


def is_definition(obj: Any) -> bool:
    return isinstance(obj, dict) and "scope" in obj and ("method" in obj or "path" in obj)


def is_recording(doc: Any) -> bool:
    return isinstance(doc, list) and bool(doc) and all(is_definition(d) for d in doc)


def _hex(text: str) -> bytes | None:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


def _response_body(value: Any, is_binary: bool, headers: Headers) -> bytes:
    if isinstance(value, str) and is_binary:
        decoded = _hex(value)
        return decoded if decoded is not None else value.encode("utf-8", "surrogatepass")
    if (
        isinstance(value, list)
        and value
        and all(isinstance(x, str) for x in value)
        and get_header(headers, "content-encoding")
    ):
        parts = [_hex(x) for x in value]
        if all(p is not None for p in parts):
            return b"".join(p for p in parts if p is not None)
    return to_bytes(value, compact_json=True)


def _exchange(d: dict[str, Any]) -> Exchange:
    scope = str(d.get("scope") or "").rstrip("/")
    path = str(d.get("path") or "/")
    headers = (
        headers_from_flat(d["rawHeaders"])
        if "rawHeaders" in d
        else headers_from_mapping(d.get("headers") or {})
    )
    request = HttpRequest(
        method=str(d.get("method") or "GET").upper(),
        url=scope + (path if path.startswith("/") else "/" + path),
        headers=headers_from_mapping(d.get("reqheaders") or {}),
        body=to_bytes(d.get("body"), compact_json=True),
    )
    response = HttpResponse(
        status=status_code(d.get("status", 200)),
        headers=headers,
        body=_response_body(d.get("response"), bool(d.get("responseIsBinary")), headers),
    )
    return Exchange(request=request, response=response)


def read_recording(doc: list[dict[str, Any]]) -> list[Exchange]:
    return [_exchange(d) for d in doc]
