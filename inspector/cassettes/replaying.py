"""The replay server as a test sees it: what was asked that no recording answers, what the
cassette holds that nothing asked for.

`inspector.replay.ReplayUpstream` serves the cassette; it keeps each no-match as a `Miss`
(`method`, `path`, `explanation`, `closest`), each answer in `played`, and lists the recordings
never served (`unplayed()`). This module reads those into the plain lines a report shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from addon.wire.exchange import Exchange
    from inspector.replay import ReplayUpstream


@dataclass(frozen=True, slots=True)
class MissReport:
    """One request with no match: its first line and the whole explanation."""

    request: str  # `POST /v1/responses`
    explanation: str

    @property
    def summary(self) -> str:
        first = self.explanation.strip().split("\n", 1)[0]
        return f"{self.request}: {first}" if first else self.request


def start(exchanges: Sequence[Exchange], pace: float, ignore: Sequence[str]) -> ReplayUpstream:
    """A replay server over `exchanges` on 127.0.0.1, a port of its own, started."""
    from inspector.replay import ReplayUpstream

    kwargs: dict[str, Any] = {"pace": pace, "host": "127.0.0.1", "port": 0}
    if ignore:
        kwargs["ignore"] = list(ignore)
    return ReplayUpstream(exchanges, **kwargs).start()


def misses(server: ReplayUpstream) -> list[MissReport]:
    """Every request the server answered with its no-match error, in order."""
    found = getattr(server, "misses", None)
    if found is not None:
        return [MissReport(f"{m.method} {m.path}", str(m.explanation)) for m in found]
    return [  # a server that keeps no misses: its 404s served from no recording
        MissReport(f"{s.method} {s.target}", "no recorded exchange matches")
        for s in server.served
        if s.source is None
    ]


def played(server: ReplayUpstream) -> list[Any]:
    """What the server answered from the cassette, in order."""
    found = getattr(server, "played", None)
    if found is not None:
        return list(found)
    return [s for s in server.served if s.source is not None]


def describe(recording: Any) -> str:
    """A recording never played, as one short phrase."""
    request = getattr(recording, "request", None)
    if request is not None:
        where = f"#{recording.index} " if getattr(recording, "index", None) is not None else ""
        return f"{where}{request.method} {request.path}"
    return str(recording)


def unplayed(server: ReplayUpstream) -> list[str]:
    """The recordings nothing asked for, described."""
    listing = getattr(server, "unplayed", None)
    if listing is not None:
        return [describe(r) for r in listing()]
    sources = {s.source for s in server.served}
    return [
        describe(ex)
        for ex in [*server.http, *server.websockets]
        if f"{ex.source.rsplit('/', 1)[-1] or '?'}#{ex.index}" not in sources
    ]
