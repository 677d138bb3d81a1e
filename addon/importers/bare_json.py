"""Bare JSON bodies saved without their exchange: Responses API objects, error bodies,
request bodies, and Batch API files with embedded /v1/responses bodies.

The missing half is synthesised and marked `x-respdeck-synthetic: 1`: the request path comes
from the object type (a compaction was answered by /v1/responses/compact, and so on), the
status is 200, or for an error body the status its error type implies. The recorded body is
kept byte for byte; only Batch bodies, which are stored parsed, are re-serialised.
"""

from __future__ import annotations

from typing import Any

from addon.importers._common import (
    as_dict,
    as_list,
    synthetic_request,
    to_bytes,
)
from addon.wire.exchange import Exchange, HttpResponse

_JSON = ("content-type", "application/json")

# object type -> (method, path template); {id} is the object's own id.
_OBJECT_ROUTES: dict[str, tuple[str, str]] = {
    "response": ("POST", "/v1/responses"),
    "response.compaction": ("POST", "/v1/responses/compact"),
    "response.input_tokens": ("POST", "/v1/responses/input_tokens"),
    "response.deleted": ("DELETE", "/v1/responses/{id}"),
    "list": ("GET", "/v1/responses/resp_unknown/input_items"),
    "conversation": ("POST", "/v1/conversations"),
    "conversation.deleted": ("DELETE", "/v1/conversations/{id}"),
}

_ERROR_STATUS: dict[str, int] = {
    "invalid_request_error": 400,
    "invalid_api_key": 401,
    "authentication_error": 401,
    "permission_error": 403,
    "permission_denied": 403,
    "not_found_error": 404,
    "not_found": 404,
    "model_not_found": 404,
    "conflict_error": 409,
    "unprocessable_entity_error": 422,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "server_error": 500,
    "api_error": 500,
    "internal_error": 500,
    "service_unavailable": 503,
    "overloaded_error": 503,
}

_REQUEST_KEYS = frozenset({"model", "input", "instructions", "prompt", "previous_response_id"})


def is_api_object(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("object"), str)
        and (doc["object"] in _OBJECT_ROUTES)
    )


def is_error_body(doc: Any) -> bool:
    return isinstance(doc, dict) and "object" not in doc and "error" in doc and len(doc) <= 3


def is_request_body(doc: Any) -> bool:
    """A Responses create body: has `model`/`input`-like keys but no `object` or `error`."""
    return (
        isinstance(doc, dict)
        and "object" not in doc
        and "error" not in doc
        and bool(_REQUEST_KEYS & doc.keys())
    )


def is_batch_state(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("results"), list) and "batch" in doc


def is_batch_line(obj: Any) -> bool:
    """One line of a Batch API input or output JSONL file."""
    return isinstance(obj, dict) and "custom_id" in obj


def error_status(error: Any) -> int:
    error = as_dict(error)
    for key in ("status", "status_code"):
        status = error.get(key)
        if isinstance(status, int) and 400 <= status <= 599:
            return status
    for key in ("type", "code"):
        value = error.get(key)
        if isinstance(value, str) and value in _ERROR_STATUS:
            return _ERROR_STATUS[value]
    return 400


def read_api_object(doc: dict[str, Any], data: bytes) -> list[Exchange]:
    method, template = _OBJECT_ROUTES[doc["object"]]
    path = template.format(id=str(doc.get("id") or "unknown"))
    request = synthetic_request(path, method=method)
    response = HttpResponse(status=200, headers=[_JSON], body=data)
    return [Exchange(request=request, response=response)]


def read_error_body(doc: dict[str, Any], data: bytes) -> list[Exchange]:
    request = synthetic_request("/v1/responses")
    response = HttpResponse(status=error_status(doc.get("error")), headers=[_JSON], body=data)
    return [Exchange(request=request, response=response)]


def read_request_body(data: bytes) -> list[Exchange]:
    """A request saved alone: the body is real, the URL is assumed; there is no response."""
    request = synthetic_request("/v1/responses", body=data, headers=[_JSON])
    return [Exchange(request=request, response=None)]


def _batch_exchange(line: dict[str, Any], endpoint: str) -> Exchange:
    """A Batch output line (`response: {status_code, request_id, body}`) or input line."""
    if "response" not in line and "url" in line:  # input line: {custom_id, method, url, body}
        request = synthetic_request(
            str(line.get("url") or endpoint),
            method=str(line.get("method") or "POST").upper(),
            body=to_bytes(line.get("body"), compact_json=True),
            headers=[_JSON],
        )
        return Exchange(request=request, response=None)
    request = synthetic_request(endpoint)
    raw = line.get("response")
    if not isinstance(raw, dict):
        return Exchange(request=request, response=None, aborted=bool(line.get("error")))
    headers = [_JSON]
    if raw.get("request_id"):
        headers.append(("x-request-id", str(raw["request_id"])))
    status = raw.get("status_code")
    response = HttpResponse(
        status=status if isinstance(status, int) and not isinstance(status, bool) else 200,
        headers=headers,
        body=to_bytes(raw.get("body"), compact_json=True),
    )
    return Exchange(request=request, response=response)


def read_batch_state(doc: dict[str, Any]) -> list[Exchange]:
    endpoint = str(as_dict(doc.get("batch")).get("endpoint") or "/v1/responses")
    return [_batch_exchange(r, endpoint) for r in as_list(doc["results"]) if isinstance(r, dict)]


def read_batch_lines(lines: list[dict[str, Any]]) -> list[Exchange]:
    return [_batch_exchange(line, "/v1/responses") for line in lines]
