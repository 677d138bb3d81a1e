"""Ruby VCR and R vcr cassettes (`http_interactions:`), YAML or JSON.

Bodies are `{encoding, string}` or, for bytes that are not valid text, `{encoding,
base64_string}`; psych may also write them as `!binary` scalars, which the YAML loader turns
into bytes. R's vcr writes the status as `{status_code: '200'}` instead of `{code: 200}`.
"""

from __future__ import annotations

from typing import Any

from addon.importers._common import (
    as_list,
    b64decode,
    headers_from_mapping,
    parse_when,
    status_code,
    to_bytes,
)
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings


def is_cassette(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("http_interactions"), list)


def _body(value: Any) -> bytes:
    if not isinstance(value, dict):
        return to_bytes(value)
    if value.get("base64_string"):
        return b64decode(value["base64_string"])
    return to_bytes(value.get("string"))


def _exchange(interaction: Any) -> Exchange | None:
    if not isinstance(interaction, dict) or not isinstance(interaction.get("request"), dict):
        return None
    req = interaction["request"]
    request = HttpRequest(
        method=str(req.get("method") or "GET").upper(),
        url=str(req.get("uri") or ""),
        headers=headers_from_mapping(req.get("headers") or {}),
        body=_body(req.get("body")),
    )
    res = interaction.get("response")
    response = None
    if isinstance(res, dict):
        response = HttpResponse(
            status=status_code(res.get("status")),
            headers=headers_from_mapping(res.get("headers") or {}),
            body=_body(res.get("body")),
        )
    return Exchange(
        request=request,
        response=response,
        timings=Timings(started_at=parse_when(interaction.get("recorded_at"))),
    )


def read_cassette(doc: dict[str, Any]) -> list[Exchange]:
    return [ex for ex in map(_exchange, as_list(doc.get("http_interactions"))) if ex is not None]
