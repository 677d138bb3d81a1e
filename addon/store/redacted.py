"""Which parts of a stored exchange were redacted by the recorder (so are not what was sent).

`--redact-json-path` replaces a string value inside a body or message with its fingerprint
(addon/wire/redact.py): the stored bytes then hold `"fp:` and 12 hex digits where the value
was. The journal does not say which exchanges a rule changed, so the store recognises them by
that mark. A value the rule blanked to null cannot be recognised this way.
"""

from __future__ import annotations

import re

from addon.wire.exchange import Exchange

_MARK = re.compile(rb'"fp:[0-9a-f]{12}"')


def redacted_parts(exchange: Exchange) -> list[str]:
    """The parts holding a fingerprinted value: "request.body", "response.body",
    "websocket.<index>" (headers are always fingerprinted, and are not listed)."""
    parts = []
    if _MARK.search(exchange.request.body):
        parts.append("request.body")
    if exchange.response is not None and _MARK.search(exchange.response.body):
        parts.append("response.body")
    for index, message in enumerate(exchange.websocket or ()):
        if message.is_text and _MARK.search(message.content):
            parts.append(f"websocket.{index}")
    return parts
