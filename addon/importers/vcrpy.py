"""VCR.py cassettes (YAML or JSON serializer) and single request/response JSON records.

Covers the stock layout (`response: {status: {code}, body: {string}}`), the vcrpy-httpx
layout (`status_code`, `content`) and pydantic-ai's `parsed_body` mappings, which are
re-serialised the way pydantic-ai's own replay does (`json.dumps`). `!!binary` bodies are
content-encoded bytes and stay exactly as recorded, next to their Content-Encoding header.

respdeck's own cassettes (addon/exporters/vcr.py, whose docstring has the layout) add
`respdeck:` keys for what VCR.py has no field for: chunk timing, timings, abort flags, exact
header lists, WebSocket messages, a missing response. They are read back here.
"""

from __future__ import annotations

from typing import Any

from addon.importers._common import (
    as_dict,
    as_list,
    b64decode,
    dump_json,
    headers_from_mapping,
    headers_from_pairs,
    parse_when,
    status_code,
    to_bytes,
)
from addon.wire.exchange import Exchange, Headers, HttpRequest, HttpResponse, Timings, WsMessage


def is_cassette(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("interactions"), list)


def is_record(doc: Any) -> bool:
    """DataDog-style single record: `{request: {method, url|uri}, response: {...}}`."""
    if not isinstance(doc, dict) or not isinstance(doc.get("request"), dict):
        return False
    request = doc["request"]
    return "method" in request and ("url" in request or "uri" in request)


def _body(value: Any) -> bytes:
    """`{string: ...}` or Ruby/R's `{base64_string: ...}` wrapper, a bare string/bytes, or a
    parsed mapping -> bytes."""
    if isinstance(value, dict) and ("string" in value or "base64_string" in value):
        if value.get("base64_string") and isinstance(value["base64_string"], str):
            return b64decode(value["base64_string"])
        return to_bytes(value.get("string"))
    return to_bytes(value)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _headers(raw: dict[str, Any], exact: Any) -> Headers:
    """The exact `[[name, value], ...]` list respdeck kept, else the mapping's pairs."""
    if isinstance(exact, list):
        return headers_from_pairs(exact)
    return headers_from_mapping(raw.get("headers") or {})


def _request(raw: dict[str, Any], exact_headers: Any = None) -> HttpRequest:
    if raw.get("parsed_body") is not None:
        body = dump_json(raw["parsed_body"], compact=False)
    else:
        body = _body(raw.get("body"))
    return HttpRequest(
        method=str(raw.get("method") or "GET").upper(),
        url=str(raw.get("uri") or raw.get("url") or ""),
        headers=_headers(raw, exact_headers),
        body=body,
    )


def _response(raw: Any) -> HttpResponse | None:
    if not isinstance(raw, dict):
        return None
    extension = as_dict(raw.get("respdeck"))
    if extension.get("absent") is True:  # respdeck's stand-in where none was recorded
        return None
    if raw.get("parsed_body") is not None:
        body = dump_json(raw["parsed_body"], compact=False)
    elif "content" in raw and "body" not in raw:  # vcrpy-httpx
        body = to_bytes(raw.get("content"))
    else:
        body = _body(raw.get("body"))
    status = raw.get("status_code") if "status_code" in raw else raw.get("status")
    chunks = extension.get("chunks")
    return HttpResponse(
        status=status_code(status),
        headers=_headers(raw, extension.get("headers")),
        body=body,
        chunks=[(float(t), int(n)) for t, n in chunks] if isinstance(chunks, list) else None,
        truncated=extension.get("truncated") is True,
    )


def _message(raw: Any) -> WsMessage:
    """`{from, offset_ms, text|binary}`: a text frame's content is a string (or `!!binary`
    bytes when not UTF-8), a binary frame's always bytes."""
    message = as_dict(raw)
    is_text = "binary" not in message
    return WsMessage(
        offset_ms=_number(message.get("offset_ms")),
        from_client=message.get("from") == "client",
        content=to_bytes(message.get("text") if is_text else message.get("binary")),
        is_text=is_text,
    )


def read_interaction(interaction: Any) -> Exchange | None:
    """One recorded interaction (VCR.py, vcrpy-httpx, Ruby VCR and R vcr share the shape)."""
    if not isinstance(interaction, dict) or not isinstance(interaction.get("request"), dict):
        return None
    extension = as_dict(interaction.get("respdeck"))
    timings = Timings(
        started_at=parse_when(extension.get("started_at") or interaction.get("recorded_at")),
        ttfb_ms=_number(extension.get("ttfb_ms")),
        duration_ms=_number(extension.get("duration_ms")),
    )
    websocket = extension.get("websocket")
    reason = extension.get("abort_reason")
    return Exchange(
        request=_request(interaction["request"], extension.get("request_headers")),
        response=_response(interaction.get("response")),
        timings=timings,
        websocket=[_message(m) for m in websocket] if isinstance(websocket, list) else None,
        aborted=extension.get("aborted") is True,
        abort_reason=reason if isinstance(reason, str) else None,
        closed_early=extension.get("closed_early") is True,
    )


def read_cassette(doc: dict[str, Any]) -> list[Exchange]:
    """Every interaction of the cassette, whatever API it called."""
    return [ex for ex in map(read_interaction, as_list(doc.get("interactions"))) if ex is not None]


def read_record(doc: dict[str, Any]) -> list[Exchange]:
    ex = read_interaction(as_dict(doc))
    return [ex] if ex is not None else []
