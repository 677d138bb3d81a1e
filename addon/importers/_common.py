"""Helpers shared by the importers: errors, header and body coercion, synthetic requests.

Recordings from other tools store headers and bodies in half a dozen shapes; these helpers turn
each shape into the (name, value) pairs and raw bytes that `Exchange` keeps, without guessing
more than the source says.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from addon.wire.exchange import Headers, HttpRequest

API_BASE = "https://api.openai.com"
SYNTHETIC_HEADER = "x-respdeck-synthetic"  # request made up by the importer, not recorded
CONVERTED_HEADER = "x-respdeck-converted"  # response body reframed by the importer


class ImportFailure(Exception):
    """A file could not be imported; str() is one line naming the file."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


def one_line(text: str, limit: int = 300) -> str:
    """Collapse a (possibly multi-line) message so the CLI prints exactly one line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def header_value(value: Any) -> str:
    """Header values arrive as str, int, bool or bytes depending on the serializer."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("latin-1")
    if value is None:
        return ""
    return str(value)


def headers_from_mapping(mapping: Any) -> Headers:
    """`{name: value | [values]}` -> pairs, repeating the name for every value."""
    if not isinstance(mapping, Mapping):
        return headers_from_pairs(mapping)
    out: Headers = []
    for name, value in mapping.items():
        values = value if isinstance(value, list | tuple) else [value]
        out.extend((header_value(name), header_value(v)) for v in values)
    return out


def headers_from_pairs(items: Any) -> Headers:
    """`[{name, value}]` (HAR) or `[[name, value]]` -> pairs; anything else -> none."""
    if isinstance(items, Mapping):
        return headers_from_mapping(items)
    out: Headers = []
    if not isinstance(items, list):
        return out
    for item in items:
        if isinstance(item, Mapping) and "name" in item:
            out.append((header_value(item["name"]), header_value(item.get("value"))))
        elif isinstance(item, list | tuple) and len(item) == 2:
            out.append((header_value(item[0]), header_value(item[1])))
    return out


def headers_from_flat(items: Any) -> Headers:
    """nock's `rawHeaders`: `[name, value, name, value, ...]` (or a mapping in newer nock)."""
    if not isinstance(items, list):
        return headers_from_mapping(items) if isinstance(items, Mapping) else []
    return [
        (header_value(items[i]), header_value(items[i + 1])) for i in range(0, len(items) - 1, 2)
    ]


def get_header(headers: Headers, name: str) -> str:
    lname = name.lower()
    return next((v for k, v in headers if k.lower() == lname), "")


def _json_default(value: Any) -> Any:
    """YAML can hand us dates or bytes inside a parsed body; JSON has no such types."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def dump_json(obj: Any, *, compact: bool) -> bytes:
    """Re-serialise a body the source stored parsed. Compact matches JS/.NET writers."""
    if compact:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    else:
        text = json.dumps(obj, default=_json_default)
    return text.encode("utf-8", "surrogatepass")


def to_bytes(value: Any, *, compact_json: bool = False) -> bytes:
    """A body as bytes: text is UTF-8 encoded, bytes kept, parsed JSON re-serialised."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, dict | list | int | float | bool):
        return dump_json(value, compact=compact_json)
    return str(value).encode("utf-8", "surrogatepass")


def b64decode(text: str | bytes) -> bytes:
    """Base64 as recorders write it (line-wrapped or not, sometimes unpadded)."""
    raw = text.encode("ascii") if isinstance(text, str) else text
    raw = b"".join(raw.split())
    raw += b"=" * (-len(raw) % 4)
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return base64.urlsafe_b64decode(raw)


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def status_code(value: Any) -> int:
    """`200`, `"200 OK"`, `{code: 200}` or R's `{status_code: "200"}` -> 200 (0 if unknown)."""
    if isinstance(value, Mapping):
        value = value.get("code", value.get("status_code"))
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        head = value.strip().split(" ", 1)[0]
        return int(head) if head.isdigit() else 0
    return 0


def parse_when(value: Any) -> datetime | None:
    """ISO 8601, RFC 2822 (Ruby VCR) or epoch seconds -> datetime; None when unreadable."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def synthetic_request(
    path: str, *, method: str = "POST", body: bytes = b"", headers: Iterable[tuple[str, str]] = ()
) -> HttpRequest:
    """A request the source did not record, marked so nobody mistakes it for real traffic."""
    return HttpRequest(
        method=method,
        url=path if path.startswith(("http://", "https://")) else API_BASE + path,
        headers=[(SYNTHETIC_HEADER, "1"), *headers],
        body=body,
    )
