"""Classify an exchange by endpoint, from its method and path alone.

Works for any host: api.openai.com, Azure (`/openai/v1/responses`, `/openai/deployments/x/...`),
OpenRouter (`/api/v1/responses`), local servers (`/responses`). The match anchors on the last
`responses` or `conversations` path segment, so any prefix is accepted.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

ENDPOINTS = (
    "responses.create",
    "responses.retrieve",
    "responses.delete",
    "responses.cancel",
    "responses.compact",
    "responses.input_items",
    "responses.input_tokens",
    "responses.websocket",
    "conversations.create",
    "conversations.retrieve",
    "conversations.update",
    "conversations.delete",
    "conversations.items.create",
    "conversations.items.list",
    "conversations.items.retrieve",
    "conversations.items.delete",
    "other",
)

_ID = r"[^/]+"
# (method, path suffix regex) -> endpoint. Order matters: fixed words before ids.
_RULES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(rf"(?:^|/)responses{p}/?$"), e)
    for m, p, e in (
        ("POST", "", "responses.create"),
        ("POST", "/compact", "responses.compact"),
        ("POST", "/input_tokens", "responses.input_tokens"),
        ("GET", rf"/{_ID}/input_items", "responses.input_items"),
        ("POST", rf"/{_ID}/cancel", "responses.cancel"),
        ("GET", rf"/{_ID}", "responses.retrieve"),
        ("DELETE", rf"/{_ID}", "responses.delete"),
    )
] + [
    (m, re.compile(rf"(?:^|/)conversations{p}/?$"), e)
    for m, p, e in (
        ("POST", "", "conversations.create"),
        ("POST", rf"/{_ID}/items", "conversations.items.create"),
        ("GET", rf"/{_ID}/items", "conversations.items.list"),
        ("GET", rf"/{_ID}/items/{_ID}", "conversations.items.retrieve"),
        ("DELETE", rf"/{_ID}/items/{_ID}", "conversations.items.delete"),
        ("GET", rf"/{_ID}", "conversations.retrieve"),
        ("POST", rf"/{_ID}", "conversations.update"),
        ("DELETE", rf"/{_ID}", "conversations.delete"),
    )
]
_WORDS = frozenset({"compact", "input_tokens"})
_RESPONSE_ID = re.compile(r"(?:^|/)responses/([^/]+)")


def classify(method: str, path: str, websocket: bool = False) -> str:
    """Endpoint name of a request, `other` when it is not Responses/Conversations API traffic."""
    path = path.split("?", 1)[0]
    method = method.upper()
    if websocket:
        return "responses.websocket" if re.search(r"(?:^|/)responses/?$", path) else "other"
    for rule_method, pattern, endpoint in _RULES:
        if rule_method != method:
            continue
        match = pattern.search(path)
        if not match:
            continue
        if (
            endpoint in ("responses.retrieve", "responses.delete")
            and path.rstrip("/").rsplit("/", 1)[-1] in _WORDS
        ):
            continue
        return endpoint
    return "other"


def response_id_in_path(path: str) -> str | None:
    """The `{response_id}` of /responses/{id}[/...], if the path has one."""
    match = _RESPONSE_ID.search(path.split("?", 1)[0])
    if not match or match.group(1) in _WORDS:
        return None
    return match.group(1)


def query_params(query: str) -> dict[str, list[str]]:
    """Query string as name -> values; `include[]` and `include` both become `include`."""
    out: dict[str, list[str]] = {}
    for name, values in parse_qs(query, keep_blank_values=True).items():
        out.setdefault(name.removesuffix("[]"), []).extend(values)
    return out


def is_stream_retrieve(query: str) -> bool:
    """GET /responses/{id}?stream=true resumes a (background) response as SSE."""
    values = query_params(query).get("stream", [])
    return any(v.lower() in ("true", "1") for v in values)
