"""The replay server as a test sees it: what was asked that no recording answers, what the
cassette holds that nothing asked for.

`inspector.replay.ReplayUpstream` serves the cassette; it keeps each no-match as a `Miss`
(`method`, `path`, `explanation`, `closest`), each recording served in `played`, and lists
those never served (`unplayed()`). This module reads them into the lines a report shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from addon.wire.exchange import Exchange
    from inspector.replay import ReplayUpstream


@dataclass(frozen=True, slots=True)
class MissReport:
    """One request with no match: what it was and the server's explanation."""

    request: str  # `POST /v1/responses`
    explanation: str

    @property
    def summary(self) -> str:
        """The explanation's first line (it names the request), or the request."""
        return self.explanation.strip().split("\n", 1)[0] or self.request


def start(exchanges: Sequence[Exchange], pace: float, ignore: Sequence[str]) -> ReplayUpstream:
    """A replay server over `exchanges` on 127.0.0.1, a port of its own, started."""
    from inspector.replay import ReplayUpstream

    return ReplayUpstream(exchanges, pace=pace, host="127.0.0.1", port=0, ignore=ignore).start()


def misses(server: ReplayUpstream) -> list[MissReport]:
    """Every request the server answered with its no-match error, in order."""
    return [MissReport(f"{m.method} {m.path}", m.explanation) for m in server.misses]


def played(server: ReplayUpstream) -> list[str]:
    """The recordings the server answered with (`file#index`), in order."""
    return list(server.played)


def unplayed(server: ReplayUpstream) -> list[str]:
    """The recordings nothing asked for (`file#index`)."""
    return list(server.unplayed())
