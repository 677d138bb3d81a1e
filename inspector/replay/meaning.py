"""Requests compared by what they mean, with the diff's definitions (`inspector.diff`).

Another run of the same test sends the same call with other ids and volatile parameters: a new
`prompt_cache_key`, `safety_identifier` or `user`, new item and call ids, a chain to another
`previous_response_id`. The replay key of a request is the one `respdeck diff --capture`
pairs by (`captures.key_of`): volatile parameters left out (`request.without_volatile`), state
ids reduced to whether there is one, input items by content (`content_key`). On top of that,
the paths a user names (`--ignore`, with `make_ignore`'s syntax: `metadata.run_id`,
`tools.NAME.description`, an item field such as `content`, `*` patterns) leave the body
before it is keyed, so what the diff ignores and what replay ignores are one definition.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from addon.importers import SYNTHETIC_HEADER
from addon.wire.canonical import canonical_json
from addon.wire.content_key import content_key
from inspector.diff.captures import key_of
from inspector.diff.document import make_ignore
from inspector.diff.items import as_items
from inspector.diff.request import tool_name
from inspector.diff.request_key import RequestKey
from inspector.diff.side import DiffSide
from inspector.diff.structure import Ignore, dotted

Link = tuple[Any, Any] | None  # (previous_response_id, conversation id) as sent


def json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, None when it is empty, not JSON, or not an object."""
    if not body.strip():
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:  # what orjson refuses and json reads (NaN, huge integers)
            data = json.loads(body)
        except (ValueError, RecursionError):
            return None
    return data if isinstance(data, dict) else None


_GONE = object()  # what stripping leaves of a container whose every part was ignored


def _strip(value: Any, ignore: Ignore, section: str, parts: Sequence[object]) -> Any:
    """`value` without the paths `ignore` leaves out (paths relative to `section`); an object
    or array emptied by that is gone too, as if the ignored parts had never been sent."""
    if isinstance(value, dict):
        kept = {
            k: v
            for k, v in ((k, _strip(v, ignore, section, [*parts, k])) for k, v in value.items())
            if v is not _GONE and not ignore.ignores(dotted([*parts, k]), section)
        }
        return _GONE if value and not kept else kept
    if isinstance(value, list):
        items = [
            _strip(v, ignore, section, [*parts, n])
            for n, v in enumerate(value)
            if not ignore.ignores(dotted([*parts, n]), section)
        ]
        shown = [v for v in items if v is not _GONE]
        return _GONE if value and not shown else shown
    return value


def strip_ignored(body: Mapping[str, Any], ignore: Ignore) -> dict[str, Any]:
    """A request body as the diff compares it under `ignore`: parameters by their dotted path,
    tools by `tools.NAME...`, input items by their own fields (section `request.input`)."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if ignore.ignores(key, "request"):
            continue
        if key == "tools" and isinstance(value, list):
            kept: Any = [
                _strip(t, ignore, "request", ["tools", tool_name(t)]) if isinstance(t, dict) else t
                for t in value
            ]
        elif key == "input" and isinstance(value, list):
            kept = [_strip(item, ignore, "request.input", []) for item in value]
        else:
            kept = _strip(value, ignore, "request", [key])
        if kept is not _GONE:
            out[key] = [v for v in kept if v is not _GONE] if isinstance(kept, list) else kept
    return out


def _conversation_id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def link_of(body: Mapping[str, Any] | None) -> Link:
    """Which stored state a request continues, exactly as sent (None: none)."""
    if not body:
        return None
    previous = body.get("previous_response_id")
    conversation = _conversation_id(body.get("conversation"))
    if previous is None and conversation is None:
        return None
    return (previous, conversation)


@dataclass(frozen=True, slots=True)
class Rules:
    """What matching leaves out: the diff's volatile fields, and the paths the user names."""

    ignore: tuple[str, ...] = ()
    _rules: Ignore = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rules", make_ignore(self.ignore))

    @classmethod
    def of(cls, paths: Iterable[str] = ()) -> Rules:
        return cls(tuple(p for p in (s.strip() for s in paths) if p))

    def body(self, body: bytes) -> tuple[dict[str, Any] | None, bytes]:
        """The JSON object of a body with the ignored paths gone (None when not one), and the
        bytes to key: that object's canonical JSON, else the body as sent."""
        data = json_object(body)
        if data is None:
            return None, body
        kept = strip_ignored(data, self._rules) if self.ignore else data
        return kept, canonical_json(kept)

    def key(
        self,
        method: str,
        target: str,
        body: bytes = b"",
        headers: Sequence[tuple[str, str]] = (),
    ) -> RequestKey:
        """The key replay matches on (see the module docstring)."""
        _, keyed = self.body(body)
        side = DiffSide(label="", method=method.upper(), path=target, request_body=keyed)
        key = key_of(side)
        if any(k.lower() == SYNTHETIC_HEADER for k, _ in headers):
            key = replace(key, synthetic=True)
        return key

    def ws_key(self, target: str, message: bytes) -> RequestKey:
        """A WebSocket session's key: its first client message, keyed as a body (method WS)."""
        return self.key("WS", target, message)


def shared_items(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> int:
    """How many input items two bodies have in common, by content (each counted once): what
    tells the closest of several recordings that all differ somewhere in their input."""
    if not a or not b:
        return 0
    keys = Counter(content_key(i) for i in as_items(a.get("input")))
    return sum((keys & Counter(content_key(i) for i in as_items(b.get("input")))).values())


def links_of(bodies: Iterable[bytes]) -> list[Hashable]:
    """`link_of` each body, for `Matcher(keys, links)`."""
    return [link_of(json_object(b)) for b in bodies]
