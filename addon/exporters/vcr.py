"""VCR.py cassettes: the YAML layout VCR.py's own serializer writes, readable in a review.

A cassette is `interactions:` (one per exchange, streamed one at a time) then `version: 1`:

    - request:  {body, headers: {name: [values]}, method, uri}
      response: {body: {string}, headers, status: {code, message}, respdeck: {...}}
      respdeck: {...}

Bodies: UTF-8 text that is not content-encoded is a string; multi-line text (SSE streams,
pretty JSON) is a literal block (`|`) so a pull request shows it line by line; a
content-encoded (gzip, br) or non-UTF-8 body is `!!binary`, the wire bytes, next to its
Content-Encoding header (what VCR.py writes for bytes). An empty request body is `null`.

Block style is used only where it reads back exactly: no CR, tab, control or Unicode line
break characters, no whitespace before a line end. libyaml (fast) refuses block style for
text with characters beyond the BMP (emoji), and the pure-Python emitter is ~50x slower
and writes NEL into blocks wrongly; so PyYAML's C dumper writes the cassette with a
placeholder for each block, and `_literal` writes the block itself (chomping `-`/`+` and
an indentation indicator where the text needs them).

What VCR.py has no field for goes in `respdeck:` keys, which VCR.py ignores (it reads only
`request` and `response`, whose `status`, `headers` and `body` it plays back; its request
takes no extra keys, so request parts live at the interaction level). Keys are written
only when they say something:
- `response.respdeck`: `chunks: [[offset_ms, size], ...]` (arrival over the wire bytes),
  `truncated: true`, `headers: [[name, value], ...]` (the exact list, when the mapping
  would lose the order of repeated names), `absent: true` (no response was recorded: the
  cassette still has one, status 0 and empty, because VCR.py needs a response to load).
- interaction `respdeck`: `started_at` (ISO 8601), `ttfb_ms`, `duration_ms`, `aborted`,
  `abort_reason`, `closed_early`, `request_headers` (exact list, as above), `redacted`
  (parts holding fingerprints, not what was sent: `request.headers.<name>`,
  `response.headers.<name>`, and the store's `request.body`, `response.body`,
  `websocket.<n>`), and `websocket`: VCR.py has no WebSocket, so the messages of a
  Responses WebSocket session are listed here, `{from: client|server, offset_ms,
  text|binary}` (`text` a string, or `!!binary` for a text frame that is not UTF-8;
  `binary` always `!!binary`).
`addon/importers/vcrpy.py` reads all of these back.
"""

from __future__ import annotations

import hashlib
import http
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import yaml

from addon.exporters import Format
from addon.wire.exchange import FINGERPRINT_PREFIX, Exchange, Headers, HttpResponse, WsMessage

if TYPE_CHECKING:  # the checker sees one static base; both share SafeRepresenter's methods
    _BaseDumper = yaml.SafeDumper
else:  # libyaml's C emitter where PyYAML was built with it
    _BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

HEADER = (
    "# VCR.py cassette written by respdeck. Secrets are fingerprints (fp:...), never the\n"
    "# values sent. `respdeck:` keys hold what VCR.py has no field for; VCR.py ignores them.\n"
)
_BLOCK_TOKEN = "respdeck-block-"
# Outside a literal block's safe set: C0 controls but LF (tab and CR among them), DEL and C1
# (NEL), U+2028/2029, surrogates, BOM, U+FFFE/FFFF; also whitespace before a line end.
_NOT_IN_BLOCK = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]| \n| \\Z"
)
_ENCODINGS_NONE = frozenset({"", "identity"})


class _Dumper(_BaseDumper):
    """Safe dumper (libyaml's when available); `_Flow` lists on one line."""


class _Flow(list[Any]):
    """A list written in flow style: `[[0.5, 120], [1.2, 80]]`."""


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(_Flow, _represent_flow)


def block_safe(text: str) -> bool:
    """Whether `text` is multi-line text a literal block holds exactly (and that reads)."""
    return "\n" in text and bool(text.strip("\n")) and _NOT_IN_BLOCK.search(text) is None


def _literal(text: str, column: int) -> str:
    """`text` as a literal block scalar for a mapping key at `column`: the indicator line
    and the lines, each indented two more (empty lines left empty)."""
    trailing = len(text) - len(text.rstrip("\n"))
    chomp = "-" if trailing == 0 else "" if trailing == 1 else "+"
    indent = "2" if text[0] in " \n" else ""  # auto-detection would misread these
    pad = " " * (column + 2)
    lines = "\n".join(pad + line if line else "" for line in text.split("\n"))
    return f"|{indent}{chomp}\n{lines}" + ("" if lines.endswith("\n") else "\n")


def place_blocks(text: str, blocks: dict[str, str]) -> str:
    """Replace each `key: <token>` line libyaml wrote by the literal block of its text."""
    pieces, pos = [], 0
    while (at := text.find(": " + _BLOCK_TOKEN, pos)) >= 0:
        end = text.index("\n", at)
        token = text[at + 2 : end]
        if token not in blocks:  # a value that merely looks like a token
            pieces.append(text[pos:end])
            pos = end
            continue
        line = text[text.rfind("\n", 0, at) + 1 : at]
        column = len(line) - len(line.lstrip(" -"))
        pieces += [text[pos : at + 2], _literal(blocks[token], column)]
        pos = end + 1
    pieces.append(text[pos:])
    return "".join(pieces)


def _content_encoded(headers: Headers) -> bool:
    return any(
        k.lower() == "content-encoding" and v.strip().lower() not in _ENCODINGS_NONE
        for k, v in headers
    )


def _text(data: bytes, blocks: dict[str, str], as_bytes: bool = False) -> str | bytes:
    """Bytes as YAML will hold them: text, a block placeholder, or bytes (`!!binary`)."""
    if as_bytes:
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    if not block_safe(text):
        return text
    token = _BLOCK_TOKEN + hashlib.sha256(data).hexdigest()[:32]
    blocks[token] = text
    return token


def _mapping(headers: Headers) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers:
        out.setdefault(name, []).append(value)
    return out


def _exact(headers: Headers) -> _Flow | None:
    """The header list when VCR.py's mapping would not give it back (repeats apart)."""
    grouped = [(k, v) for k, values in _mapping(headers).items() for v in values]
    return None if grouped == list(headers) else _Flow([k, v] for k, v in headers)


def _redacted(side: str, headers: Headers) -> list[str]:
    return [
        f"{side}.headers.{name.lower()}"
        for name, value in headers
        if value.startswith(FINGERPRINT_PREFIX)
        or value.partition(" ")[2].startswith(FINGERPRINT_PREFIX)
    ]


def _status(code: int) -> dict[str, Any]:
    try:
        message = http.HTTPStatus(code).phrase
    except ValueError:
        message = ""
    return {"code": code, "message": message}


def _response(response: HttpResponse | None, blocks: dict[str, str]) -> dict[str, Any]:
    if response is None:
        return {
            "body": {"string": ""},
            "headers": {},
            "status": {"code": 0, "message": "no response recorded"},
            "respdeck": {"absent": True},
        }
    extension: dict[str, Any] = {}
    if response.chunks is not None:
        extension["chunks"] = _Flow([offset, size] for offset, size in response.chunks)
    if response.truncated:
        extension["truncated"] = True
    if (exact := _exact(response.headers)) is not None:
        extension["headers"] = exact
    encoded = _content_encoded(response.headers)
    out: dict[str, Any] = {
        "body": {"string": _text(response.body, blocks, encoded) if response.body else ""},
        "headers": _mapping(response.headers),
        "status": _status(response.status),
    }
    if extension:
        out["respdeck"] = extension
    return out


def _message(message: WsMessage, blocks: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"from": "client" if message.from_client else "server"}
    out["offset_ms"] = message.offset_ms
    if message.is_text:
        out["text"] = _text(message.content, blocks)
    else:
        out["binary"] = bytes(message.content)
    return out


def _extension(ex: Exchange, blocks: dict[str, str]) -> dict[str, Any]:
    """The interaction's `respdeck` mapping: only the keys that say something."""
    timings = ex.timings
    found: dict[str, Any] = {
        "started_at": timings.started_at.isoformat() if timings.started_at else None,
        "ttfb_ms": timings.ttfb_ms,
        "duration_ms": timings.duration_ms,
        "aborted": ex.aborted or None,
        "abort_reason": ex.abort_reason,
        "closed_early": ex.closed_early or None,
        "request_headers": _exact(ex.request.headers),
    }
    redacted = _redacted("request", ex.request.headers)
    if ex.response is not None:
        redacted += _redacted("response", ex.response.headers)
    redacted += [str(part) for part in getattr(ex, "redacted", ())]  # a StoredExchange's
    found["redacted"] = list(dict.fromkeys(redacted)) or None
    if ex.websocket is not None:
        found["websocket"] = [_message(m, blocks) for m in ex.websocket]
    return {k: v for k, v in found.items() if v is not None}


def interaction(ex: Exchange, blocks: dict[str, str]) -> dict[str, Any]:
    """One exchange as a VCR.py interaction (block texts collected into `blocks`)."""
    request = ex.request
    body = _text(request.body, blocks, _content_encoded(request.headers))
    out: dict[str, Any] = {
        "request": {
            "body": body if request.body else None,
            "headers": _mapping(request.headers),
            "method": request.method,
            "uri": request.url,
        },
        "response": _response(ex.response, blocks),
    }
    if extension := _extension(ex, blocks):
        out["respdeck"] = extension
    return out


def interaction_yaml(ex: Exchange) -> str:
    """One `- request: ...` list entry of `interactions:`."""
    blocks: dict[str, str] = {}
    text = yaml.dump([interaction(ex, blocks)], Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    return place_blocks(text, blocks) if blocks else text


def chunks(exchanges: Iterable[Exchange]) -> Iterator[bytes]:
    """The cassette in pieces: the header, each interaction, then `version: 1`."""
    yield HEADER.encode()
    empty = True
    for ex in exchanges:
        if empty:
            yield b"interactions:\n"
            empty = False
        yield interaction_yaml(ex).encode("utf-8")
    yield b"interactions: []\nversion: 1\n" if empty else b"version: 1\n"


FORMAT = Format(
    "vcr",
    ".yaml",
    "VCR.py cassette (YAML): SSE as block text, timing and WebSocket in `respdeck:` keys",
    chunks,
)
