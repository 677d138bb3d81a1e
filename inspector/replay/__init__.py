"""Replay: serve recorded Responses API exchanges from a local upstream, offline.

`ReplayUpstream` is the server (tests of the recorder, `respdeck demo`, benchmarks); `match`
decides which recording answers a request; `respdeck replay PATH...` serves
recordings from the command line. The server is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .match import Matcher, RequestKey, candidates, request_key

if TYPE_CHECKING:
    from .upstream import ReplayUpstream, Served, load_exchanges

__all__ = [
    "Matcher",
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
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
