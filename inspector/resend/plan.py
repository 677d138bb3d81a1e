"""What goes out for a recorded request: its URL on the upstream, its headers with the key in
use, and its body, the recorded bytes unless something changes them (pure functions).

Two things change a body: the user's edits, and re-chaining. A capture re-run gets new
response (and conversation) ids from the upstream, so every string equal to an old id, in a
body or a path segment, becomes its new one (`previous_response_id`, `conversation`, the id of
a `GET /v1/responses/{id}`). A body whose JSON comes out equal to the recorded one is sent as
the recorded bytes, exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from addon.wire.exchange import SECRET_HEADERS, Headers, fingerprint, header

from .edit import EditError, Edits, apply_edits, body_bytes

# Headers of one connection, not of the request: the new connection makes its own.
HOP_BY_HOP = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection",
     "te", "trailer", "upgrade", "expect"}
)  # fmt: skip
# The WebSocket handshake's own: the client makes a new one (and no compression extension).
HANDSHAKE = frozenset(
    {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
     "sec-websocket-accept"}
)  # fmt: skip
KEY_HEADERS = ("authorization", "api-key", "x-api-key")


@dataclass(frozen=True, slots=True)
class KeyUse:
    """Which key a re-send carries, told by fingerprints (the key itself is never kept)."""

    recorded: str | None  # the recorded request's fingerprint (`fp:` and 12 hex digits)
    in_use: str | None  # the fingerprint of the key sent now
    env: str  # the variable it came from

    @property
    def mismatch(self) -> bool:
        return (
            self.recorded is not None and self.in_use is not None and self.recorded != self.in_use
        )

    def describe(self) -> str:
        recorded = self.recorded or "none recorded"
        in_use = f"{self.in_use} (${self.env})" if self.in_use else f"none (${self.env} unset)"
        return f"key: recorded {recorded} · in use {in_use}"


def key_use(recorded: Headers, key: str | None, env: str) -> KeyUse:
    """The fingerprints of the recorded key and of `key`, as the recorder makes them."""
    value = next((v for n in KEY_HEADERS if (v := header(recorded, n))), None)
    return KeyUse(
        value.rsplit(" ", 1)[-1] if value else None, fingerprint(key) if key else None, env
    )


def default_upstream(recorded_url: str) -> str:
    """Where the recorded request went: its scheme and host (a WebSocket's as HTTP)."""
    parts = urlsplit(recorded_url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, "", "", ""))


def target_url(recorded_url: str, upstream: str, ids: Mapping[str, str] = {}) -> str:
    """The recorded path and query on `upstream`. An upstream's own path is put in front,
    unless the recorded path starts with it already (`http://127.0.0.1:9000/v1` works as
    well as `http://127.0.0.1:9000`)."""
    recorded, base = urlsplit(recorded_url), urlsplit(upstream)
    prefix = base.path.rstrip("/")
    path = remap_path(recorded.path or "/", ids)
    if prefix and not (path == prefix or path.startswith(prefix + "/")):
        path = prefix + path
    return urlunsplit((base.scheme, base.netloc, path, recorded.query, ""))


def remap_path(path: str, ids: Mapping[str, str]) -> str:
    return "/".join(ids.get(part, part) for part in path.split("/")) if ids else path


def remap(value: Any, ids: Mapping[str, str]) -> Any:
    """`value` with every string equal to an old id replaced by its new one (a copy)."""
    if not ids:
        return value
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [remap(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: remap(v, ids) for k, v in value.items()}
    return value


@dataclass(slots=True)
class Outgoing:
    """One request as it is sent."""

    method: str
    url: str
    headers: Headers
    body: bytes
    changed: list[str] = field(default_factory=list)  # edits and ids re-chained; [] = exact
    dropped: list[str] = field(default_factory=list)  # recorded secret headers not sent


def json_object(data: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(data)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def outgoing_body(
    recorded: bytes, edits: Edits, ids: Mapping[str, str] = {}
) -> tuple[bytes, list[str]]:
    """(the body to send, what changed in it). Nothing changed: the recorded bytes."""
    document = json_object(recorded)
    if document is None:
        if edits:
            raise EditError("the recorded body is not a JSON object: nothing to edit")
        return recorded, []
    new = apply_edits(remap(document, ids), edits)
    if new == document:
        return recorded, []
    changed = edits.described() + _rechained(document, ids)
    return body_bytes(new), changed or ["re-serialised"]


def outgoing_message(content: bytes, edits: Edits, ids: Mapping[str, str] = {}) -> bytes:
    """A WebSocket client message to send: a `response.create` gets the edits (on its
    `response` object when it has one, else on its own fields but `type`), every message its
    ids re-chained. Unchanged: the recorded bytes."""
    message = json_object(content)
    if message is None:
        return content
    new = remap(message, ids)
    if message.get("type") == "response.create" and edits:
        inner = new.get("response")
        if isinstance(inner, dict):
            new = {**new, "response": apply_edits(inner, edits)}
        else:
            fields = apply_edits({k: v for k, v in new.items() if k != "type"}, edits)
            new = {"type": new["type"], **fields}
    return content if new == message else body_bytes(new)


def _rechained(document: dict[str, Any], ids: Mapping[str, str]) -> list[str]:
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str) and value in ids and value not in found:
            found.append(value)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    walk(document)
    return [f"re-chained {old} -> {ids[old]}" for old in found]


def outgoing_headers(
    recorded: Headers,
    host: str,
    key: str | None,
    body_length: int | None,
    *,
    websocket: bool = False,
) -> tuple[Headers, list[str]]:
    """(headers to send, names of recorded secret headers left out). The recorded ones in
    their order, with the upstream's host, a new length, and the key in use where the
    recorded key was (or as `Authorization: Bearer`, when none was recorded); a secret was
    stored as its fingerprint, so it cannot be sent again and is left out."""
    out: Headers = []
    dropped: list[str] = []
    keyed = False
    for name, value in recorded:
        lower = name.lower()
        if lower == "host":
            out.append((name, host))
        elif lower in HOP_BY_HOP or (websocket and lower in HANDSHAKE):
            if lower == "content-length" and body_length is not None:
                out.append((name, str(body_length)))
                body_length = None
        elif lower in KEY_HEADERS and not keyed:
            keyed = True
            if key is not None:
                scheme, sep, _ = value.partition(" ")
                bearer = lower == "authorization" and sep
                out.append((name, f"{scheme} {key}" if bearer else key))
            else:
                dropped.append(name)
        elif lower in SECRET_HEADERS or lower in KEY_HEADERS:
            dropped.append(name)
        else:
            out.append((name, value))
    if not any(n.lower() == "host" for n, _ in out):
        out.insert(0, ("Host", host))
    if key is not None and not keyed:
        out.append(("Authorization", f"Bearer {key}"))
    if body_length is not None:
        out.append(("Content-Length", str(body_length)))
    return out, dropped


def plan_http(
    method: str,
    recorded_url: str,
    recorded_headers: Headers,
    recorded_body: bytes,
    upstream: str,
    key: str | None,
    edits: Edits,
    ids: Mapping[str, str] = {},
) -> Outgoing:
    """The whole request to send for a recorded HTTP one."""
    url = target_url(recorded_url, upstream, ids)
    body, changed = outgoing_body(recorded_body, edits, ids)
    length = len(body) if body or method.upper() not in ("GET", "HEAD", "DELETE") else None
    headers, dropped = outgoing_headers(recorded_headers, urlsplit(url).netloc, key, length)
    recorded_path = urlsplit(recorded_url).path or "/"
    if remap_path(recorded_path, ids) != recorded_path:
        changed.append(f"path re-chained: {remap_path(recorded_path, ids)}")
    return Outgoing(method, url, headers, body, changed, dropped)
