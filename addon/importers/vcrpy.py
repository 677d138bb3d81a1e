"""VCR.py cassettes (YAML or JSON serializer) and single request/response JSON records.

Covers the stock layout (`response: {status: {code}, body: {string}}`), the vcrpy-httpx
layout (`status_code`, `content`) and pydantic-ai's `parsed_body` mappings, which are
re-serialised the way pydantic-ai's own replay does (`json.dumps`). `!!binary` bodies are
content-encoded bytes and stay exactly as recorded, next to their Content-Encoding header.
"""

from __future__ import annotations

from typing import Any

from addon.importers._common import (
    as_dict,
    as_list,
    b64decode,
    dump_json,
    headers_from_mapping,
    parse_when,
    status_code,
    to_bytes,
)
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings


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


def _request(raw: dict[str, Any]) -> HttpRequest:
    if raw.get("parsed_body") is not None:
        body = dump_json(raw["parsed_body"], compact=False)
    else:
        body = _body(raw.get("body"))
    return HttpRequest(
        method=str(raw.get("method") or "GET").upper(),
        url=str(raw.get("uri") or raw.get("url") or ""),
        headers=headers_from_mapping(raw.get("headers") or {}),
        body=body,
    )


def _response(raw: Any) -> HttpResponse | None:
    if not isinstance(raw, dict):
        return None
    if raw.get("parsed_body") is not None:
        body = dump_json(raw["parsed_body"], compact=False)
    elif "content" in raw and "body" not in raw:  # vcrpy-httpx
        body = to_bytes(raw.get("content"))
    else:
        body = _body(raw.get("body"))
    status = raw.get("status_code") if "status_code" in raw else raw.get("status")
    return HttpResponse(
        status=status_code(status),
        headers=headers_from_mapping(raw.get("headers") or {}),
        body=body,
    )


def read_interaction(interaction: Any) -> Exchange | None:
    """One recorded interaction (VCR.py, vcrpy-httpx, Ruby VCR and R vcr share the shape)."""
    if not isinstance(interaction, dict) or not isinstance(interaction.get("request"), dict):
        return None
    timings = Timings(started_at=parse_when(interaction.get("recorded_at")))
    return Exchange(
        request=_request(interaction["request"]),
        response=_response(interaction.get("response")),
        timings=timings,
    )


def read_cassette(doc: dict[str, Any]) -> list[Exchange]:
    """Every interaction of the cassette, whatever API it called."""
    return [ex for ex in map(read_interaction, as_list(doc.get("interactions"))) if ex is not None]


def read_record(doc: dict[str, Any]) -> list[Exchange]:
    ex = read_interaction(as_dict(doc))
    return [ex] if ex is not None else []
