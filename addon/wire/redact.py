"""User redaction rules, applied to a captured exchange before it reaches the journal.

Secret headers (Authorization, api-key, cookies) are always fingerprinted by `Exchange`;
`--redact-header NAME` adds header names, and `--redact-json-path PATH` blanks values inside
JSON documents: the request body, a JSON response body, every SSE event's data and every
WebSocket message. A path is dotted keys from the document's root, `*` matching every element
of a list or every key of an object: `input.*.content`, `metadata.email`, `delta`. A string
value becomes its fingerprint (so equal values stay linkable), any other value `null`.

The client always receives the original bytes; only what is stored is redacted. A body that
is content-encoded is stored decoded once a rule changed it (the encoding header goes too).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from .decoding import BodyDecoder
from .exchange import Exchange, fingerprint, header, redact_headers
from .result import loads

Path = tuple[str, ...]


def parse_path(text: str) -> Path:
    parts = tuple(p for p in text.strip().split("."))
    if not text.strip() or any(not p for p in parts):
        raise ValueError(
            f"bad JSON path {text!r}: use dotted keys, * for any, e.g. input.*.content"
        )
    return parts


def _blank(value: Any) -> Any:
    return fingerprint(value) if isinstance(value, str) else None


def redact_value(document: Any, path: Path) -> bool:
    """Blank what `path` names inside `document`, in place; True if anything changed."""
    if not path:
        return False
    key, rest = path[0], path[1:]
    keys: Sequence[str | int]
    if isinstance(document, dict):
        keys = list(document) if key == "*" else [key] if key in document else []
    elif isinstance(document, list) and (key == "*" or key.isdigit()):
        keys = (
            range(len(document)) if key == "*" else [int(key)] if int(key) < len(document) else []
        )
    else:
        return False
    changed = False
    for k in keys:
        if rest:
            changed |= redact_value(document[k], rest)
        elif document[k] is not None:
            document[k] = _blank(document[k])
            changed = True
    return changed


@dataclass(slots=True)
class Redactor:
    headers: tuple[str, ...] = ()
    paths: tuple[Path, ...] = ()

    @classmethod
    def from_options(cls, headers: Sequence[str], paths: Sequence[str]) -> Redactor:
        return cls(
            tuple(h.strip().lower() for h in headers if h.strip()), tuple(map(parse_path, paths))
        )

    def json_bytes(self, data: bytes) -> bytes | None:
        """The redacted JSON text, or None when nothing changed (or it is not JSON)."""
        if not self.paths or data.lstrip()[:1] not in (b"{", b"["):
            return None
        try:
            document = loads(data)  # TooDeep (a ValueError) for absurd nesting, not a crash
        except ValueError:
            return None
        changed = False
        for path in self.paths:
            changed |= redact_value(document, path)
        return json.dumps(document, separators=(",", ":")).encode() if changed else None

    def apply(self, exchange: Exchange) -> Exchange:
        """Redact in place and return the exchange."""
        request, response = exchange.request, exchange.response
        if self.headers:
            request.headers = redact_headers(request.headers, self.headers)
            if response is not None:
                response.headers = redact_headers(response.headers, self.headers)
        if not self.paths:
            return exchange
        if (new := self.json_bytes(request.body)) is not None:
            request.body = new
        if response is not None and response.body:
            self._response(response)
        for message in exchange.websocket or ():
            if message.is_text and (new := self.json_bytes(message.content)) is not None:
                message.content = new
        return exchange

    def _response(self, response: Any) -> None:
        encoding = header(response.headers, "content-encoding")
        pieces = list(response.iter_chunks())
        offsets = [offset for offset, _ in pieces]
        chunks = [bytes(data) for _, data in pieces]
        if encoding and encoding.lower() != "identity":
            decoder = BodyDecoder(encoding)
            chunks = [decoder.feed(c) for c in chunks]
            chunks[-1] += decoder.close()
            if decoder.error or decoder.unsupported:
                return  # cannot read it, so cannot redact it: the parser will flag the body
        body = b"".join(chunks)
        content_type = (header(response.headers, "content-type") or "").lower()
        if "event-stream" in content_type:
            new_chunks = self._sse(chunks)
        else:
            new = self.json_bytes(body)
            new_chunks = None if new is None else [new]
        if new_chunks is None:
            return
        response.body = b"".join(new_chunks)
        if response.chunks is not None and len(new_chunks) == len(offsets):
            response.chunks = [(o or 0.0, len(c)) for o, c in zip(offsets, new_chunks, strict=True)]
        else:
            response.chunks = None
        if encoding:
            response.headers = [
                (k, v)
                for k, v in response.headers
                if k.lower() not in ("content-encoding", "content-length")
            ]

    def _sse(self, chunks: list[bytes]) -> list[bytes] | None:
        """Redact each `data:` line; chunk boundaries move with the lines they fall in."""
        body = b"".join(chunks)
        lines = body.splitlines(keepends=True)
        out: list[bytes] = []
        changed = False
        old_starts: list[int] = []
        new_starts: list[int] = []
        new_lens: list[int] = []
        old_pos = new_pos = 0
        for line in lines:
            new_line = line
            if line.startswith(b"data:"):
                content = line[5:].rstrip(b"\r\n")
                ending = line[5 + len(content) :]
                lead = b" " if content.startswith(b" ") else b""
                if (new := self.json_bytes(content[len(lead) :])) is not None:
                    new_line = b"data:" + lead + new + ending
                    changed = True
            old_starts.append(old_pos)
            new_starts.append(new_pos)
            new_lens.append(len(new_line))
            out.append(new_line)
            old_pos += len(line)
            new_pos += len(new_line)
        if not changed:
            return None
        new_body = b"".join(out)
        bounds: list[int] = []
        pos = at = 0  # `at`: the line the chunk boundary at `pos` falls in
        for chunk in chunks[:-1]:
            pos += len(chunk)
            while at + 1 < len(old_starts) and old_starts[at + 1] <= pos:
                at += 1
            bounds.append(new_starts[at] + min(pos - old_starts[at], new_lens[at]))
        edges = [0, *bounds, len(new_body)]
        return [new_body[a:b] for a, b in pairwise(edges)]
