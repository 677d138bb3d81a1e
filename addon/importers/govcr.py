"""go-vcr cassettes (format version 1 and 2), which share `interactions:` with VCR.py.

They differ from VCR.py by `request.url` (not `uri`), a `form` map, and a response with a
numeric `code`, a textual `status` ("200 OK") and a Go `duration` ("83.98ms" or nanoseconds).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from addon.importers._common import (
    as_list,
    headers_from_mapping,
    status_code,
    to_bytes,
)
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings

_GO_UNITS_MS = {
    "h": 3_600_000.0,
    "m": 60_000.0,
    "s": 1000.0,
    "ms": 1.0,
    "us": 1e-3,
    "µs": 1e-3,  # micro sign
    "μs": 1e-3,  # greek mu
    "ns": 1e-6,
}
_GO_PART = re.compile(r"([0-9]*\.?[0-9]+)(h|ms|m|s|us|µs|μs|ns)")


def is_cassette(doc: Any) -> bool:
    """An `interactions:` cassette whose requests carry `url` rather than VCR.py's `uri`."""
    if not isinstance(doc, dict) or not isinstance(doc.get("interactions"), list):
        return False
    for interaction in doc["interactions"]:
        if isinstance(interaction, dict) and isinstance(interaction.get("request"), dict):
            request = interaction["request"]
            return "url" in request and "uri" not in request
    return False


def go_duration_ms(value: Any) -> float | None:
    """Go's time.Duration as yaml writes it: "1m2.5s", "83.98ms" or integer nanoseconds."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value / 1e6
    text = str(value).strip().replace(" ", "")
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-")
    if text == "0":
        return 0.0
    total, pos = 0.0, 0
    for match in _GO_PART.finditer(text):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * _GO_UNITS_MS[match.group(2)]
        pos = match.end()
    return sign * total if pos and pos == len(text) else None


def _request_body(req: dict[str, Any]) -> bytes:
    body = to_bytes(req.get("body"))
    form = req.get("form")
    if not body and isinstance(form, dict) and form:
        return urlencode(
            [(k, v) for k, vs in form.items() for v in (vs if isinstance(vs, list) else [vs])]
        ).encode()
    return body


def _exchange(interaction: Any) -> Exchange | None:
    if not isinstance(interaction, dict) or not isinstance(interaction.get("request"), dict):
        return None
    req = interaction["request"]
    request = HttpRequest(
        method=str(req.get("method") or "GET").upper(),
        url=str(req.get("url") or ""),
        headers=headers_from_mapping(req.get("headers") or {}),
        body=_request_body(req),
    )
    res = interaction.get("response")
    response = None
    timings = Timings()
    if isinstance(res, dict):
        code = res.get("code") if res.get("code") is not None else res.get("status")
        response = HttpResponse(
            status=status_code(code),
            headers=headers_from_mapping(res.get("headers") or {}),
            body=to_bytes(res.get("body")),
        )
        timings.duration_ms = go_duration_ms(res.get("duration"))
    return Exchange(request=request, response=response, timings=timings)


def read_cassette(doc: dict[str, Any]) -> list[Exchange]:
    return [ex for ex in map(_exchange, as_list(doc.get("interactions"))) if ex is not None]
