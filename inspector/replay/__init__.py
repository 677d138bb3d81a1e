"""Replay: serve recorded Responses API exchanges from a local upstream, offline.

`ReplayUpstream` is the server (`upstream`; the wire side in `transport`); a `Cassette`
(`cassette`) answers each request: `meaning` keys requests by the diff's definitions, `match`
picks among the recordings, `facts` and `state` answer for stored responses and
conversations, `miss` explains a request nothing answers. `respdeck replay PATH...` serves
recordings from the command line. The server is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inspector.diff.request_key import RequestKey, request_key

from .match import Matcher, candidates

if TYPE_CHECKING:
    from .miss import Miss
    from .upstream import ReplayUpstream, Served, load_exchanges

__all__ = [
    "Matcher",
    "Miss",
    "ReplayUpstream",
    "RequestKey",
    "Served",
    "candidates",
    "load_exchanges",
    "request_key",
]


def __getattr__(name: str) -> Any:
    if name in ("ReplayUpstream", "Served", "load_exchanges"):
        from . import upstream

        return getattr(upstream, name)
    if name == "Miss":
        from .miss import Miss

        return Miss
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
