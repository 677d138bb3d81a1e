"""One recorded HTTP exchange: raw bytes plus timings, with secrets already fingerprinted.

The response body is kept once, as received (still content-encoded); chunk arrival is stored
as (offset_ms, size) pairs over that body, so a 100 MB stream is never held twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

Headers = list[tuple[str, str]]

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "x-api-key",
        "openai-api-key",
        "cookie",
        "set-cookie",
        "x-goog-api-key",
        "ocp-apim-subscription-key",
    }
)
FINGERPRINT_PREFIX = "fp:"


def fingerprint(secret: str) -> str:
    """A short stable fingerprint: the same key always maps to the same 12 hex digits."""
    return (
        FINGERPRINT_PREFIX
        + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    )


def redact_value(name: str, value: str) -> str:
    """Fingerprint a secret header value, keeping an auth scheme such as `Bearer` readable."""
    scheme, sep, token = value.partition(" ")
    if value.startswith(FINGERPRINT_PREFIX) or token.startswith(FINGERPRINT_PREFIX):
        return value  # already redacted (a re-import of our own output)
    if name.lower() in ("authorization", "proxy-authorization") and sep and token:
        return f"{scheme} {fingerprint(token.strip())}"
    return fingerprint(value)


def redact_headers(headers: Iterable[tuple[str, str]], extra: Iterable[str] = ()) -> Headers:
    """Replace secret header values by fingerprints before anything else sees them."""
    names = SECRET_HEADERS | {n.lower() for n in extra}
    return [(k, redact_value(k, v) if k.lower() in names else v) for k, v in headers]


def header(headers: Headers, name: str) -> str | None:
    """First value of a header, case-insensitively."""
    lname = name.lower()
    for k, v in headers:
        if k.lower() == lname:
            return v
    return None


@dataclass(slots=True)
class HttpRequest:
    method: str
    url: str
    headers: Headers = field(default_factory=list)
    body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def query(self) -> str:
        return urlsplit(self.url).query

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    # (offset_ms since request start, size in bytes) per chunk as it arrived; None when the
    # source did not record chunking (most cassettes).
    chunks: list[tuple[float, int]] | None = None
    # The body is known to be cut short (source said so, or the connection dropped).
    truncated: bool = False

    def iter_chunks(self) -> Iterator[tuple[float | None, memoryview]]:
        """Yield (offset_ms, bytes) per recorded chunk, or the whole body as one chunk."""
        view = memoryview(self.body)
        if not self.chunks:
            yield None, view
            return
        pos = 0
        for offset_ms, size in self.chunks:
            yield offset_ms, view[pos : pos + size]
            pos += size
        if pos < len(self.body):  # bytes not covered by chunk records still belong to the body
            yield None, view[pos:]


@dataclass(slots=True)
class WsMessage:
    """One WebSocket message of the Responses WebSocket mode."""

    offset_ms: float | None
    from_client: bool
    content: bytes
    is_text: bool = True


@dataclass(slots=True)
class Timings:
    started_at: datetime | None = None
    ttfb_ms: float | None = None
    duration_ms: float | None = None


@dataclass(slots=True)
class Exchange:
    """A request and (possibly) its response, exactly as recorded, secrets fingerprinted."""

    request: HttpRequest
    response: HttpResponse | None
    timings: Timings = field(default_factory=Timings)
    source: str = ""
    index: int = 0
    websocket: list[WsMessage] | None = None
    # The exchange did not finish. A recorder or importer sets it when a connection closed
    # early; parsing clears it when the response had arrived whole all the same (then
    # `closed_early` says so): see parse.settle_abort.
    aborted: bool = False
    abort_reason: str | None = None  # what closed it, as the recorder saw it
    closed_early: bool = False

    def __post_init__(self) -> None:
        self.request.headers = redact_headers(self.request.headers)
        if self.response is not None:
            self.response.headers = redact_headers(self.response.headers)

    @property
    def key_fingerprint(self) -> str | None:
        """Fingerprint of the API key used, from whichever auth header carried it."""
        for name in ("authorization", "api-key", "x-api-key"):
            value = header(self.request.headers, name)
            if value:
                return value.rsplit(" ", 1)[-1]
        return None
