"""The re-send panel's work, run in its thread workers (no Textual here): what the panel
shows of the recorded exchange, the cost estimate, and the send itself, all through
`inspector.resend` (the code `respdeck resend` runs).

The browser reads the database read-only, and DuckDB lets one process hold a file either
read-only or writable, not both: a send closes the reader, opens the file to write for as
long as the send takes (`send`), then the caller opens it to read again. The estimate prices
in a scratch store in memory (the same prices the file is opened with), so nothing is
opened to write before the user sends.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb

from addon.store.db import open_for_write
from addon.store.queries import short_id
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, WsMessage
from addon.wire.parse import parse_exchange
from inspector.resend.edit import EditError, Edits
from inspector.resend.estimate import Tokens, estimate, recorded_tokens
from inspector.resend.plan import default_upstream, json_object, key_use
from inspector.resend.refuse import notes
from inspector.resend.run import Job, Options, Refused, prepare, run

KEY_ENV = "OPENAI_API_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"


@dataclass(slots=True)
class Original:
    """What the panel shows of the exchange to re-send, read once when it opens."""

    exchange_id: str
    label: str  # its short id
    upstream: str  # the default: $OPENAI_BASE_URL, else where it was sent
    body: dict[str, Any] | None  # what the fields edit (a session's first create)
    websocket: bool
    tokens: list[Tokens] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # what it is, the key, notes
    refused: list[str] = field(default_factory=list)  # why it cannot be sent (nothing then)


def options(
    upstream: str,
    edits: Edits,
    env: str = KEY_ENV,
    on_data: Callable[[bytes], None] | None = None,
) -> Options:
    """A send's options, the key read from the environment now (sent, never kept)."""
    return Options(
        upstream.strip() or None, edits, 1, os.environ.get(env) or None, env, on_data=on_data
    )


@dataclass(frozen=True, slots=True)
class SoFar:
    """The answer as far as it has arrived: its text, events and bytes."""

    text: str
    events: int
    size: int


def answer_so_far(pieces: Sequence[bytes], websocket: bool) -> SoFar:
    """What the pieces arrived so far say, parsed by the wire core as the recorder's
    in-flight rows are: an SSE body (or a JSON one) cut anywhere, or a session's server
    messages so far."""
    if websocket:
        exchange = Exchange(
            HttpRequest("GET", "wss://upstream/v1/responses"),
            HttpResponse(101),
            websocket=[WsMessage(None, False, piece) for piece in pieces],
        )
    else:
        body = b"".join(pieces)
        kind = "application/json" if body.lstrip().startswith(b"{") else "text/event-stream"
        exchange = Exchange(
            HttpRequest("POST", "https://upstream/v1/responses", [], b'{"stream": true}'),
            HttpResponse(200, [("content-type", kind)], body),
        )
    parsed = parse_exchange(exchange)
    return SoFar(parsed.output_text or "", len(parsed.events), sum(len(p) for p in pieces))


def watch_answer(
    websocket: bool, show: Callable[[SoFar], None], every: float = 0.15
) -> Callable[[bytes], None]:
    """An `on_data` for the sending thread: it keeps the pieces and, at most every `every`
    seconds (and on the first piece), hands `show` the answer so far, parsed right there so
    the app's loop only draws it."""
    pieces: list[bytes] = []
    last = [0.0]

    def on_data(data: bytes) -> None:
        pieces.append(bytes(data))
        now = time.monotonic()
        if len(pieces) == 1 or now - last[0] >= every:
            last[0] = now
            show(answer_so_far(pieces, websocket))

    return on_data


def session_body(job: Job) -> dict[str, Any] | None:
    """A WebSocket session's first `response.create`, as the edits apply to it (its
    `response` object, else its own fields)."""
    for message in job.original.stored.websocket or []:
        found = json_object(message.content) if message.from_client else None
        if found is not None and found.get("type") == "response.create":
            inner = found.get("response")
            if isinstance(inner, dict):
                return inner
            return {k: v for k, v in found.items() if k != "type"}
    return None


def read_original(conn: duckdb.DuckDBPyConnection, exchange_id: str) -> Original:
    """The exchange as the panel opens on it; UnknownId and StoreError pass through."""
    label = short_id(exchange_id)
    base = os.environ.get(BASE_URL_ENV, "").strip()
    try:
        (job,) = prepare(conn, [exchange_id], options(base, Edits()))
    except Refused as exc:
        return Original(exchange_id, label, base, None, False, refused=exc.reasons)
    stored = job.original.stored
    websocket = stored.websocket is not None
    body = session_body(job) if websocket else json_object(stored.request.body)
    found = Original(
        exchange_id, label, base or default_upstream(stored.request.url), body, websocket
    )
    kind = "WebSocket session" if websocket else stored.request.method
    found.lines.append(f"{label}: {kind} {stored.request.url} · {job.original.parsed.model}")
    use = key_use(stored.request.headers, os.environ.get(KEY_ENV) or None, KEY_ENV)
    found.lines.append(use.describe())
    if use.mismatch:
        found.lines.append(f"note: the key in ${KEY_ENV} is not the one recorded")
    found.lines += [f"note: {n}" for n in notes(job.original.facts)]
    found.tokens = recorded_tokens(conn, exchange_id)
    return found


def estimate_line(
    scratch: duckdb.DuckDBPyConnection, tokens: list[Tokens], upstream: str, model: str | None
) -> str:
    """What sending will cost, at the upstream's price of the model asked for."""
    host = urlsplit(upstream.strip()).netloc or None
    return estimate(scratch, tokens, host, model).describe()


@dataclass(slots=True)
class Sent:
    exchange_id: str | None  # the new exchange (None: nothing was recorded)
    trouble: list[str]  # one line each: a refusal, a failed send, a store that would not open


def send(path: Path, exchange_id: str, chosen: Options) -> Sent:
    """Open the database to write, re-send the exchange, record the answer linked to it."""
    conn = open_for_write(path)
    try:
        try:
            jobs = prepare(conn, [exchange_id], chosen)
        except Refused as exc:
            return Sent(None, exc.reasons)
        except EditError as exc:
            return Sent(None, [str(exc)])
        report = run(conn, jobs, chosen, f"resend of {short_id(exchange_id)} (browse)")
    finally:
        conn.close()
    (entry,) = report.document["resends"]
    made = entry["exchanges"]
    return Sent(str(made[0]) if made else None, report.trouble)
