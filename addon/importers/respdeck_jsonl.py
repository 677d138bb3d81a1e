"""respdeck's own JSON lines (`respdeck export --format jsonl`) back into exchanges, exactly.

One line is one exchange; `addon/exporters/jsonl.py` documents the layout. Only the exact
parts are read: method, URL, headers, each body from its `text` (UTF-8) or `base64` key, the
chunk table, `truncated`, WebSocket messages, timings and the abort flags. The readers' views
(`json`, `events`, `usage`, `redacted`, the ids) are derived from those and ignored here, so
editing a view changes nothing on import: edit `text` instead.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson

from addon.importers._common import headers_from_pairs
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings, WsMessage

MARKER = "respdeck"  # the first key of every line; its value is the layout's VERSION
VERSION = 1


class BadLine(ValueError):
    """A line that is not a readable record (the importer adds the file's name)."""


def is_record(obj: Any) -> bool:
    """A respdeck JSONL line, parsed: the marker key and a request object."""
    return (
        isinstance(obj, dict)
        and isinstance(obj.get(MARKER), int)
        and not isinstance(obj[MARKER], bool)
        and isinstance(obj.get("request"), dict)
    )


def is_record_list(doc: Any) -> bool:
    """Records gathered into one JSON array (`jq -s`)."""
    return isinstance(doc, list) and bool(doc) and all(is_record(r) for r in doc)


def record_lines(data: bytes) -> list[bytes] | None:
    """The non-blank lines of `data` when its first one is a respdeck record, else None
    (only that line is parsed here: a bad later line fails on reading, naming its number)."""
    lines = data.split(b"\n")
    first = next((line for line in lines if line.strip()), None)
    if first is None or not first.lstrip().startswith(b"{"):
        return None
    try:
        head = orjson.loads(first)
    except orjson.JSONDecodeError:
        return None
    return lines if is_record(head) else None


def read_lines(lines: list[bytes]) -> list[Exchange]:
    """Every record of a file's lines (blank lines skipped), in file order."""
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise BadLine(f"line {number}: invalid JSON: {exc}") from exc
        out.append(_read_numbered(obj, number))
    return out


def read_records(objs: list[Any]) -> list[Exchange]:
    """Records already parsed (a one-line file, or a `jq -s` array of lines)."""
    return [_read_numbered(obj, number) for number, obj in enumerate(objs, start=1)]


def _read_numbered(obj: Any, number: int) -> Exchange:
    if not is_record(obj):
        raise BadLine(f"line {number}: not a respdeck record")
    if obj[MARKER] > VERSION:
        raise BadLine(
            f"line {number}: layout version {obj[MARKER]} is newer than this respdeck "
            f"reads ({VERSION}): upgrade respdeck"
        )
    try:
        return read_record(obj)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise BadLine(f"line {number}: broken record: {type(exc).__name__}: {exc}") from exc


def body_of(holder: dict[str, Any]) -> bytes:
    """The exact bytes a body holder keeps: `text` (UTF-8) or `base64`; neither is empty."""
    if "base64" in holder:
        return base64.b64decode(holder["base64"], validate=True)
    text = holder.get("text")
    if text is None:
        return b""
    if not isinstance(text, str):
        raise TypeError(f"text is {type(text).__name__}, not a string")
    return text.encode("utf-8")


def _float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{value!r} is not a number")
    return float(value)


def _chunks(raw: Any) -> list[tuple[float, int]] | None:
    if raw is None:
        return None
    return [(float(offset), int(size)) for offset, size in raw]


def _messages(raw: Any) -> Iterator[WsMessage]:
    for message in raw:
        yield WsMessage(
            offset_ms=_float(message.get("offset_ms")),
            from_client=bool(message["from_client"]),
            content=body_of(message),
            is_text=bool(message["is_text"]),
        )


def read_record(obj: dict[str, Any]) -> Exchange:
    """One parsed line as the exchange it was exported from."""
    req = obj["request"]
    request = HttpRequest(
        method=str(req["method"]),
        url=str(req["url"]),
        headers=headers_from_pairs(req.get("headers")),
        body=body_of(req),
    )
    response = None
    if isinstance(res := obj.get("response"), dict):
        response = HttpResponse(
            status=int(res["status"]),
            headers=headers_from_pairs(res.get("headers")),
            body=body_of(res),
            chunks=_chunks(res.get("chunks")),
            truncated=bool(res.get("truncated", False)),
        )
    started = obj.get("started_at")
    websocket = obj.get("websocket")
    return Exchange(
        request=request,
        response=response,
        timings=Timings(
            started_at=datetime.fromisoformat(started) if started else None,
            ttfb_ms=_float(obj.get("ttfb_ms")),
            duration_ms=_float(obj.get("duration_ms")),
        ),
        websocket=None if websocket is None else list(_messages(websocket)),
        aborted=bool(obj.get("aborted", False)),
        abort_reason=None if obj.get("abort_reason") is None else str(obj["abort_reason"]),
        closed_early=bool(obj.get("closed_early", False)),
    )
