"""One cassette: a set of recordings served together, with its matching, state and tallies.

A request is answered, in this order: the API's error when it names something deleted here
(`state.guard`); the recording that means the same (`meaning`), in recorded order for equal
ones, preferring one that continues the same `previous_response_id` or conversation (reads
of stored objects only while the state agrees, and polls without starting over); the state's
answer for a stored object (`state`); a recording whose request the importer made up; else a
miss, explained (`miss`). Every call takes the cassette's lock, so the tallies (`played`,
`misses`, `unplayed()`) can be read from any thread while the server runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from addon.wire.endpoints import classify, query_params
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse
from inspector.diff.request_key import RequestKey, normalize_path, request_key, similarity

from .facts import path_ids
from .match import Matcher
from .meaning import Rules, json_object, link_of, links_of, shared_items
from .miss import Miss, explain, miss_response
from .state import STATE_ROUTES, State

log = logging.getLogger("respdeck.replay")
MAX_ROUTES_SHOWN = 5


def label(exchange: Exchange) -> str:
    """How a recording is named in tallies and logs: `file#index`, a stored exchange's short
    id, else `#index`."""
    if exchange.source:
        return f"{Path(exchange.source).name}#{exchange.index}"
    stored = getattr(exchange, "exchange_id", "")
    return str(stored)[:8] if stored else f"#{exchange.index}"


@dataclass(slots=True)
class Answer:
    """What to send for a request: a recorded exchange, or one made for it."""

    exchange: Exchange
    source: str | None  # the label of the recording played; None when made up
    tier: str  # exact, synthetic, state, miss


class Cassette:
    """Recordings of one cassette (HTTP exchanges with a final status, WebSocket sessions)."""

    def __init__(
        self, name: str, exchanges: Iterable[Exchange], rules: Rules | None = None
    ) -> None:
        self.name = name
        self.rules = rules or Rules()
        self.http: list[Exchange] = []
        self.websockets: list[Exchange] = []
        for ex in exchanges:
            if ex.websocket is not None:
                self.websockets.append(ex)
            elif ex.response is not None and ex.response.status >= 200:
                self.http.append(ex)
        self.matcher = Matcher(
            [self.rules.key(e.request.method, e.request.url, e.request.body, e.request.headers)
             for e in self.http],
            links_of(e.request.body for e in self.http),
        )  # fmt: skip
        self.ws_matcher = Matcher(
            [self.rules.ws_key(e.request.url, _first(e)) for e in self.websockets]
        )
        self.state = State(self.http, self.websockets)
        self._lock = threading.Lock()
        self._played: list[str] = []
        self._played_http: set[int] = set()
        self._played_ws: set[int] = set()
        self._misses: list[Miss] = []

    # -- tallies (thread-safe copies) -------------------------------------------------------

    @property
    def played(self) -> list[str]:
        """Labels of the recordings played, in order."""
        with self._lock:
            return list(self._played)

    @property
    def misses(self) -> list[Miss]:
        with self._lock:
            return list(self._misses)

    def unplayed(self) -> list[str]:
        """Labels of the recordings never played, in recorded order."""
        with self._lock:
            http = [label(e) for i, e in enumerate(self.http) if i not in self._played_http]
            ws = [label(e) for i, e in enumerate(self.websockets) if i not in self._played_ws]
        return http + ws

    # -- HTTP -------------------------------------------------------------------------------

    def answer(
        self, method: str, target: str, body: bytes, headers: list[tuple[str, str]]
    ) -> Answer:
        """What answers one request (see the module docstring)."""
        method = method.upper()
        path, query = normalize_path(target), query_params(urlsplit(target).query)
        endpoint = classify(method, path)
        ids = (
            path_ids(path) if endpoint in STATE_ROUTES or endpoint.endswith("items.create") else []
        )
        sent = json_object(body)
        with self._lock:
            guarded = self.state.guard(endpoint, ids, sent)
            if guarded is not None:
                return self._made(method, target, guarded)
            key = self.rules.key(method, target, body, headers)
            reading = endpoint in STATE_ROUTES
            index, tier = self.matcher.pick(
                key,
                link=link_of(sent),
                cycle=not reading,
                allowed=(lambda i: self.state.may_replay(endpoint, ids, i)) if reading else None,
            )
            if index is not None:
                self.state.play(index, endpoint, ids, sent)
                self._played_http.add(index)
                self._played.append(label(self.http[index]))
                return Answer(self.http[index], label(self.http[index]), tier)
            made = self.state.answer(endpoint, ids, query, sent) if reading else None
            if made is not None:
                return self._made(method, target, made)
            miss = self._explain(method, target, body, sent, endpoint, ids)
            self._misses.append(miss)
        log.warning("%s", miss.explanation)
        return Answer(Exchange(HttpRequest(method, target), miss_response(miss)), None, "miss")

    @staticmethod
    def _made(method: str, target: str, response: HttpResponse) -> Answer:
        return Answer(Exchange(HttpRequest(method, target), response), None, "state")

    def _explain(
        self,
        method: str,
        target: str,
        body: bytes,
        sent: dict[str, Any] | None,
        endpoint: str,
        ids: list[str],
    ) -> Miss:
        incoming = request_key(method, target, body)
        asked = f"{incoming.describe()}" + (f" in cassette {self.name}" if self.name else "")
        near = self._closest(self.rules.key(method, target, body), sent)
        note = self.state.known(endpoint, ids) if near is None else None
        if near is None and note is None:
            note = self._routes_note()
        if near is None:
            text = explain(asked, closest=None, note=note)
            return Miss(method, target, text, None, self.name or None)
        recording = self.http[near]
        request = recording.request
        line = f"{request.method} {normalize_path(request.path)}" + (
            f"?{request.query}" if request.query else ""
        )
        text = explain(
            asked,
            closest=label(recording),
            closest_request=line,
            recorded_body=json_object(request.body),
            incoming_body=sent,
            ignore=self.rules.ignore,
        )
        return Miss(method, target, text, label(recording), self.name or None)

    def _closest(self, key: RequestKey, sent: dict[str, Any] | None) -> int | None:
        """The recording to explain a miss by: of the same method and path, the same stream
        flag first, then the most similar (`similarity`), then the most input items in
        common, then the earliest."""
        route = self.matcher.route(key.method, key.path)

        def rank(i: int) -> tuple[int, tuple[int, ...], int, int]:
            recorded = self.matcher.keys[i]
            score = similarity(recorded, key) or (-(1 << 30),)
            shared = shared_items(json_object(self.http[i].request.body), sent)
            return (int(recorded.stream == key.stream), score, shared, -i)

        return max(route, key=rank) if route else None

    def _routes_note(self) -> str:
        routes: dict[str, int] = {}
        for ex in self.http:
            name = f"{ex.request.method} {classify(ex.request.method, ex.request.path)}"
            routes[name] = routes.get(name, 0) + 1
        if not routes:
            return "no HTTP recording in this cassette"
        shown = ", ".join(f"{k} ({n})" for k, n in list(routes.items())[:MAX_ROUTES_SHOWN])
        more = (
            f" and {len(routes) - MAX_ROUTES_SHOWN} more" if len(routes) > MAX_ROUTES_SHOWN else ""
        )
        return f"no recording of this method and path; the cassette has {shown}{more}"

    # -- WebSocket mode ---------------------------------------------------------------------

    def ws_pool(self, target: str) -> list[int]:
        """The sessions recorded on a request's path."""
        route = normalize_path(target)
        return [i for i, k in enumerate(self.ws_matcher.keys) if k.path == route]

    def ws_open(self, target: str) -> Exchange | None:
        """The session to play at once: the only one on the path (else the first message
        chooses)."""
        pool = self.ws_pool(target)
        if len(pool) != 1:
            return None
        with self._lock:
            return self._ws_played(pool[0])

    def ws_choose(self, target: str, message: bytes) -> tuple[Exchange | None, str]:
        """The session whose first client message is most like `message` (and the tier)."""
        found, tier = self.ws_matcher.pick(self.rules.ws_key(target, message), lenient=True)
        with self._lock:
            return (self._ws_played(found) if found is not None else None), tier

    def _ws_played(self, index: int) -> Exchange:
        self._played_ws.add(index)
        self._played.append(label(self.websockets[index]))
        return self.websockets[index]

    def ws_miss(self, target: str, turn: int, session: Exchange | None) -> str:
        """Record a WebSocket turn nothing answers; the message for the client's error event."""
        what = f"client message #{turn + 1} on {normalize_path(target)}"
        closest = label(session) if session is not None else None
        text = f"respdeck replay: no recorded reply for {what}" + (
            f" (session {closest} has {turn} turn(s))" if closest else ""
        )
        with self._lock:
            self._misses.append(Miss("WS", target, text, closest, self.name or None))
        log.warning("%s", text)
        return text


def _first(exchange: Exchange) -> bytes:
    return next((m.content for m in exchange.websocket or [] if m.from_client), b"")
