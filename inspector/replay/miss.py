"""A request no recording answers: what it was, which recording comes closest, what differs.

"No match" alone sends a user diffing cassettes by hand. The explanation is the diff's own
item-level diff (`inspector.diff.diff_exchanges` of the closest recording's request, side a,
against the request, side b), rendered as `respdeck diff` prints it without colour (which
input item, which words: `[-removed-]` / `{+added+}`), only the sections that differ, capped
to MAX_LINES. The client gets it as an OpenAI-style error, so an SDK raises its usual
NotFoundError with the explanation as the message; the server logs it and keeps the `Miss`.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any

from addon.wire.exchange import HttpResponse

MAX_LINES = 40
MAX_LINE_CHARS = 240
NO_MATCH_CODE = "respdeck_no_match"
NO_MATCH_STATUS = 404  # not retried by SDKs (unlike 5xx or 429), raised as NotFoundError


@dataclass(frozen=True, slots=True)
class Miss:
    """One request answered with a no-match error."""

    method: str
    path: str  # the request target as sent (the cassette prefix left out), query included
    explanation: str  # several lines: the request, the closest recording and what differs
    closest: str | None  # the label (`file#index`) of the closest recording, None when none
    cassette: str | None = None  # which cassette was asked, on a server holding several

    @property
    def summary(self) -> str:
        """The explanation's first line."""
        return self.explanation.split("\n", 1)[0]


# Lines of the request section that say a part agrees: noise in a miss.
_AGREES = re.compile(r"instructions: same|tools: \d+, 0 differ|parameters: 0 differ")


def _plain(renderables: list[Any]) -> list[str]:
    """Renderables as lines of plain text, with the diff's word markers."""
    from rich.console import Console

    out = io.StringIO()
    console = Console(
        file=out, width=100, color_system=None, no_color=True, highlight=False, soft_wrap=True
    )
    for renderable in renderables:
        console.print(renderable)
    return [line.rstrip() for line in out.getvalue().splitlines()]


def body_diff(
    recorded: dict[str, Any], incoming: dict[str, Any], ignore: tuple[str, ...]
) -> list[str]:
    """The request and input sections of the diff that differ, as plain lines (a is the
    recording, b the request); empty when by meaning the bodies agree."""
    from inspector.diff.document import diff_exchanges
    from inspector.diff.render import differs, input_section, request_section
    from inspector.diff.side import DiffSide

    doc = diff_exchanges(
        DiffSide("recording", request=recorded), DiffSide("request", request=incoming),
        ignore=ignore,
    )  # fmt: skip
    parts: list[Any] = []
    if differs(doc, "request"):
        parts += ["Request:", request_section(doc, plain=True)]
    if differs(doc, "input"):
        parts += ["Input items:", input_section(doc, plain=True)]
    same_model = f"model: {doc['request']['model']['a']}" if doc["request"]["model"]["same"] else ""
    return [ln for ln in _plain(parts) if ln != same_model and not _AGREES.fullmatch(ln)]


def cap(lines: list[str], limit: int = MAX_LINES) -> list[str]:
    """At most `limit` lines of at most MAX_LINE_CHARS each; what is cut is counted."""
    shown = [ln if len(ln) <= MAX_LINE_CHARS else ln[: MAX_LINE_CHARS - 1] + "…" for ln in lines]
    if len(shown) <= limit:
        return shown
    return [*shown[: limit - 1], f"… {len(shown) - limit + 1} more lines"]


def explain(
    asked: str,
    *,
    closest: str | None,
    closest_request: str | None = None,
    recorded_body: dict[str, Any] | None = None,
    incoming_body: dict[str, Any] | None = None,
    ignore: tuple[str, ...] = (),
    note: str | None = None,
) -> str:
    """The explanation text. `asked` describes the request (`POST /v1/responses (model m)`),
    `closest` labels the nearest recording and `closest_request` its request line; `note`
    says what else is known (a route with no recording, ids the state knows)."""
    lines = [f"respdeck replay: no recorded exchange for {asked}"]
    if closest is None:
        lines.append(note or "no recording of this method and path")
        return "\n".join(cap(lines))
    lines.append(f"closest recording: {closest} ({closest_request}); a = recording, b = request")
    diff = body_diff(recorded_body, incoming_body, ignore) if (
        recorded_body is not None and incoming_body is not None
    ) else []  # fmt: skip
    if diff:
        lines += diff
    elif recorded_body is None and incoming_body is not None:
        lines.append("the recording has no JSON body; this request has one")
    elif recorded_body is not None and incoming_body is None:
        lines.append("this request has no JSON body; the recording has one")
    else:
        lines.append("the bodies agree by meaning: the request line differs")
    if note:
        lines.append(note)
    return "\n".join(cap(lines))


def error_body(message: str, kind: str, code: str | None, param: str | None = None) -> bytes:
    """The API's error envelope."""
    error = {"message": message, "type": kind, "param": param, "code": code}
    return json.dumps({"error": error}, ensure_ascii=False).encode()


def miss_response(miss: Miss) -> HttpResponse:
    """What the client gets for a miss: an OpenAI-style 404 whose message is the explanation."""
    body = error_body(miss.explanation, "invalid_request_error", NO_MATCH_CODE)
    headers = [("content-type", "application/json"), ("x-respdeck-miss", "1")]
    return HttpResponse(NO_MATCH_STATUS, headers, body)
