"""The HAR writer: one file per client session, with respdeck's stream-timing extension.

``response.content.text`` holds the exact raw body (base64 when it is not UTF-8) and
``response.content._chunks`` lists ``[offset_ms, size]`` per network chunk. Neither
``addon/importers/har.py`` (a reader) nor mitmproxy's ``savehar`` (which serialises real flows,
without chunk timings or control over key order) can write these, hence a writer of our own.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from .common import API, KEY_1, SERVER_IP, WS_GUID, Ids, Json, cj, epoch, iso, pj
from .events import Events, gzip_stream, json_chunks, make_chunks
from .headers import SessionHeaders

Headers = list[tuple[str, str]]


class Har(SessionHeaders):
    """One HAR file: a client session against api.openai.com on one keep-alive connection."""

    def __init__(
        self,
        name: str,
        start: datetime,
        era: str,
        *,
        key: str = KEY_1,
        comment: str = "",
        agent: list[tuple[str, str]] | None = None,
        **client: str,
    ):
        self.name = name
        self.agent = agent  # a client's own headers, in place of the Python SDK's
        self.rng = random.Random(f"respdeck-recordings:{name}")
        self.ids = Ids(self.rng)
        self.era = era
        self.key = key
        self.client = client
        self.comment = comment
        self.now = start
        self.entries: list[Json] = []
        self.fresh = True
        self.cookie: str | None = None
        self.port = str(self.rng.randint(49152, 65000))
        self.project = "proj_" + self.ids.alnum(24)

    # -- clock -------------------------------------------------------------------------------

    def at(self, offset_ms: float) -> float:
        """Epoch seconds of an offset within the current request."""
        return epoch(self.now) + offset_ms / 1000

    def timings(self, first: float, last: float) -> Json:
        rng = self.rng
        blocked = round(rng.uniform(0.3, 1.6), 3)
        if self.fresh:
            dns = round(rng.uniform(2, 14), 3)
            connect = round(rng.uniform(28, 62), 3)
            ssl = round(connect * rng.uniform(0.45, 0.7), 3)
        else:
            dns = connect = ssl = -1
        send = round(rng.uniform(0.1, 0.9), 3)
        wait = round(first - blocked - max(dns, 0) - max(connect, 0) - send, 3)
        assert wait > 0
        return {
            "blocked": blocked,
            "dns": dns,
            "connect": connect,
            "send": send,
            "wait": wait,
            "receive": round(last - first, 3),
            "ssl": ssl,
        }

    def add(
        self,
        method: str,
        url: str,
        req_body: bytes | None,
        status: int,
        status_text: str,
        resp_headers: list[tuple[str, str]],
        body: bytes,
        chunks: list[list[float | int]],
        *,
        req_headers: list[tuple[str, str]] | None = None,
        mime: str = "application/json",
        decoded_size: int | None = None,
        gap: tuple[float, float] = (250, 1400),
    ) -> Json:
        assert sum(int(c[1]) for c in chunks) == len(body)
        req_headers = req_headers or self.request_headers(method, req_body)
        first, last = float(chunks[0][0]), float(chunks[-1][0])
        query = url.partition("?")[2]
        content: Json = {"size": decoded_size if decoded_size is not None else len(body)}
        if decoded_size is not None:
            content["compression"] = decoded_size - len(body)
        content["mimeType"] = mime
        try:
            content["text"] = body.decode("utf-8")
        except UnicodeDecodeError:
            content["text"] = base64.b64encode(body).decode("ascii")
            content["encoding"] = "base64"
        content["_chunks"] = chunks
        request: Json = {
            "method": method,
            "url": url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in req_headers],
            "queryString": [
                {"name": k, "value": v}
                for k, _, v in (p.partition("=") for p in query.split("&") if p)
            ],
            "headersSize": -1,
            "bodySize": len(req_body) if req_body is not None else 0,
        }
        if req_body is not None:
            request["postData"] = {"mimeType": "application/json", "text": req_body.decode()}
        entry = {
            "startedDateTime": iso(self.now),
            "time": round(last, 3),
            "request": request,
            "response": {
                "status": status,
                "statusText": status_text,
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": [{"name": k, "value": v} for k, v in resp_headers],
                "content": content,
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": len(body),
            },
            "cache": {},
            "timings": self.timings(first, last),
            "serverIPAddress": SERVER_IP,
            "connection": self.port,
        }
        self.entries.append(entry)
        self.now += timedelta(milliseconds=last + self.rng.uniform(*gap))
        self.fresh = False
        return entry

    # -- high level exchanges ----------------------------------------------------------------

    def json_exchange(
        self,
        method: str,
        path: str,
        req: Json | None,
        resp: Json,
        *,
        wait_ms: float,
        status: int = 200,
        status_text: str = "OK",
        ratelimit: bool = False,
        accept: str = "application/json",
        extra_headers: Iterable[tuple[str, str]] = (),
    ) -> Json:
        req_body = cj(req).encode() if req is not None else None
        req_headers = self.request_headers(method, req_body, accept=accept)
        body = pj(resp).encode()
        headers = self.response_headers(
            "application/json",
            int(wait_ms - self.rng.uniform(25, 70)),
            self.now + timedelta(milliseconds=wait_ms),
            length=len(body),
            ratelimit=ratelimit,
            extra=extra_headers,
        )
        return self.add(
            method,
            API + path,
            req_body,
            status,
            status_text,
            headers,
            body,
            json_chunks(self.rng, wait_ms, len(body)),
            req_headers=req_headers,
        )

    def sse_exchange(
        self,
        method: str,
        path: str,
        req: Json | None,
        ev: Events,
        *,
        splits: Callable[[bytes, list[tuple[int, int]]], list[int]] | None = None,
        cut: Callable[[bytes, list[tuple[int, int]]], int] | None = None,
        gzip: bool = False,
        ratelimit: bool = False,
    ) -> Json:
        req_body = cj(req).encode() if req is not None else None
        req_headers = self.request_headers(method, req_body)
        body, spans = ev.sse()
        ttfb = ev.times[0]
        extra: list[tuple[str, str]] = []
        decoded = None
        if gzip:
            raw, chunks = gzip_stream(self.rng, body, spans, ev.times)
            decoded, body = len(body), raw
            extra = [("Content-Encoding", "gzip")]
        else:
            chunks = make_chunks(self.rng, spans, ev.times, splits(body, spans) if splits else ())
        if cut is not None:
            end = cut(body, spans)
            body = body[:end]
            kept, pos = [], 0
            for t, n in chunks:
                if pos >= end:
                    break
                kept.append([t, min(int(n), end - pos)])
                pos += int(n)
            chunks = kept
        headers = self.response_headers(
            "text/event-stream; charset=utf-8",
            int(ttfb - self.rng.uniform(60, 160)),
            self.now + timedelta(milliseconds=ttfb),
            length=None,
            ratelimit=ratelimit,
            extra=extra,
        )
        entry = self.add(
            method,
            API + path,
            req_body,
            200,
            "OK",
            headers,
            body,
            chunks,
            req_headers=req_headers,
            mime="text/event-stream; charset=utf-8",
            decoded_size=decoded,
        )
        if cut is not None:  # the connection dropped: replay must drop it too
            entry["response"]["content"]["_truncated"] = True
        return entry

    def document(self) -> Json:
        log: Json = {
            "version": "1.2",
            "creator": {"name": "respdeck make_recordings.py", "version": "0.1.0"},
            "pages": [],
            "entries": self.entries,
        }
        if self.comment:
            log["comment"] = self.comment
        return {"log": log}

    # -- WebSocket mode ----------------------------------------------------------------------

    def ws_key(self) -> tuple[str, str]:
        """A Sec-WebSocket-Key and the Sec-WebSocket-Accept the server derives from it."""
        key = base64.b64encode(self.rng.randbytes(16)).decode()
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        return key, accept

    def ws_frame(self, kind: str, offset_ms: float, obj: Json) -> Json:
        """One Chrome-style ``_webSocketMessages`` entry (a text frame)."""
        return {"type": kind, "time": round(self.at(offset_ms), 6), "opcode": 1, "data": cj(obj)}

    def ws_frames(self, ev: Events) -> list[Json]:
        return [self.ws_frame("receive", t, e) for e, t in zip(ev.events, ev.times, strict=True)]

    def add_websocket(
        self, handshake: float, req_headers: Headers, resp_headers: Headers, messages: list[Json]
    ) -> Json:
        """The one entry of a ``wss://`` session: the 101 upgrade carrying every frame."""
        entry = {
            "startedDateTime": iso(self.now),
            "time": handshake,
            "request": {
                "method": "GET",
                "url": "wss://api.openai.com/v1/responses",
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": [{"name": k, "value": v} for k, v in req_headers],
                "queryString": [],
                "headersSize": -1,
                "bodySize": 0,
            },
            "response": {
                "status": 101,
                "statusText": "Switching Protocols",
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": [{"name": k, "value": v} for k, v in resp_headers],
                "content": {"size": 0, "mimeType": "x-unknown"},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": 0,
            },
            "cache": {},
            "timings": self.timings(handshake, handshake),
            "serverIPAddress": SERVER_IP,
            "connection": self.port,
            "_resourceType": "websocket",
            "_webSocketMessages": messages,
        }
        self.entries.append(entry)
        return entry


def dump_har(obj: Any, indent: int = 0) -> str:
    """Indented JSON, but small flat objects and arrays (headers, chunk pairs, WebSocket
    messages) stay on one line so the files stay short and diff well."""
    flat = isinstance(obj, (dict, list)) and not any(
        isinstance(v, (dict, list)) for v in (obj.values() if isinstance(obj, dict) else obj)
    )
    if not isinstance(obj, (dict, list)) or (flat and (len(obj) <= 2 or "data" in obj)):
        return json.dumps(obj, ensure_ascii=False)
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(obj, list):
        if not obj:
            return "[]"
        return "[\n" + ",\n".join(inner + dump_har(v, indent + 2) for v in obj) + f"\n{pad}]"
    if not obj:
        return "{}"
    items = (f"{inner}{json.dumps(k)}: {dump_har(v, indent + 2)}" for k, v in obj.items())
    return "{\n" + ",\n".join(items) + f"\n{pad}}}"


def render(har: Har) -> bytes:
    """The file's bytes; the compact layout must still read back as the same document."""
    doc = har.document()
    text = dump_har(doc) + "\n"
    assert json.loads(text) == doc
    return text.encode()
