"""`ReplayUpstream`: a local server that answers like the OpenAI Responses API, from recordings.

It stands in for the real upstream where the network must not be used: tests (the pytest
plugin, the recorder's end-to-end tests), `respdeck demo`, `respdeck replay`, benchmarks.

    with ReplayUpstream.from_paths(["recordings/"], pace=0, ignore=["metadata.run_id"]) as up:
        client = openai.OpenAI(base_url=up.url + "/v1", api_key="sk-test")
        ...
        assert not up.misses, up.misses[0].explanation
        print(up.played, up.unplayed())

Several cassettes on one server: `ReplayUpstream.from_cassettes({"a": [paths], "b": [...]})`
(or `add_cassette`); a client of cassette `a` uses `up.cassette_url("a")`, which is
`{url}/cassettes/a/v1`: the name is one path segment, percent-encoded (`a%2Fb` for `a/b`). A
server built from one list of exchanges holds one cassette, named "", served without prefix.
`played`, `misses` and `unplayed()` cover every cassette (`cassette(name)` for one); they
are copies taken under a lock, safe to read while the server runs, and `wait_served(n)`
blocks until n requests were answered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from addon.importers import iter_paths, load_file
from addon.wire.exchange import Exchange

from .answers import api_error
from .cassette import Cassette, label
from .meaning import Rules
from .miss import Miss
from .transport import Routed, Served, Transport

__all__ = ["Miss", "ReplayUpstream", "Served", "label", "load_exchanges"]

PREFIX = "/cassettes/"


def load_exchanges(paths: Iterable[str | Path]) -> list[Exchange]:
    """Every exchange of the given files and folders, in order; raises ImportFailure."""
    return [ex for path in iter_paths(Path(p) for p in paths) for ex in load_file(path)]


class ReplayUpstream(Transport):
    """Serve recorded exchanges over HTTP (and the WebSocket mode) from a background thread.

    `ignore` names request paths matching leaves out, besides the volatile fields (the
    syntax of `respdeck diff --ignore`). Use as a context manager or with start()/stop().
    """

    def __init__(
        self,
        exchanges: Iterable[Exchange] = (),
        *,
        pace: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        ignore: Iterable[str] = (),
    ) -> None:
        super().__init__(pace=pace, host=host, port=port)
        self.rules = Rules.of(ignore)
        self._cassettes: dict[str, Cassette] = {}
        self._lock = threading.Lock()
        self.add_cassette("", exchanges)

    @classmethod
    def from_paths(cls, paths: Iterable[str | Path], **kwargs: Any) -> ReplayUpstream:
        """Load recordings (files or folders, any format respdeck imports)."""
        return cls(load_exchanges(paths), **kwargs)

    @classmethod
    def from_cassettes(
        cls, cassettes: Mapping[str, Iterable[str | Path] | Iterable[Exchange]], **kwargs: Any
    ) -> ReplayUpstream:
        """One server for several cassettes: name -> paths (files, folders) or exchanges."""
        server = cls(**kwargs)
        for name, given in cassettes.items():
            items = list(given)
            exchanges = [e for e in items if isinstance(e, Exchange)]
            paths = [p for p in items if isinstance(p, str | Path)]
            server.add_cassette(name, [*exchanges, *load_exchanges(paths)])
        return server

    # -- cassettes ---------------------------------------------------------------------------

    def add_cassette(
        self, name: str, exchanges: Iterable[Exchange], ignore: Iterable[str] | None = None
    ) -> Cassette:
        """Serve `exchanges` as cassette `name` (replacing one of that name), from now on; its
        own `ignore` paths, else the server's."""
        rules = self.rules if ignore is None else Rules.of(ignore)
        cassette = Cassette(name, exchanges, rules)
        with self._lock:
            self._cassettes[name] = cassette
        return cassette

    def remove_cassette(self, name: str) -> None:
        with self._lock:
            self._cassettes.pop(name, None)

    def cassette(self, name: str = "") -> Cassette:
        """One cassette (KeyError when the server holds none of that name)."""
        with self._lock:
            return self._cassettes[name]

    @property
    def cassettes(self) -> dict[str, Cassette]:
        with self._lock:
            return dict(self._cassettes)

    def cassette_url(self, name: str = "") -> str:
        """The base URL a client of cassette `name` uses (with `/v1`)."""
        return self.url + (f"{PREFIX}{quote(name, safe='')}" if name else "") + "/v1"

    def route(self, target: str) -> Routed:
        """`/cassettes/{name}/...` asks for cassette `name`; anything else for the one named ""."""
        cassettes = self.cassettes
        if target.startswith(PREFIX):
            segment, _, rest = target[len(PREFIX) :].partition("/")
            name = unquote(segment.split("?", 1)[0])
            if name in cassettes:
                return Routed(cassettes[name], "/" + rest)
            return Routed(None, target, self._unknown(f"no cassette named {name!r}", cassettes))
        if "" in cassettes and (
            cassettes[""].http or cassettes[""].websockets or len(cassettes) == 1
        ):
            return Routed(cassettes[""], target)
        return Routed(None, target, self._unknown("no cassette chosen", cassettes))

    @staticmethod
    def _unknown(what: str, cassettes: Mapping[str, Cassette]) -> Any:
        names = ", ".join(repr(n) for n in cassettes if n) or "none"
        message = (
            f"respdeck replay: {what}: this server holds cassettes {names}; "
            f"use {PREFIX}{{name}}/v1 as the base URL"
        )
        return api_error(404, message)

    # -- tallies -----------------------------------------------------------------------------

    @property
    def http(self) -> list[Exchange]:
        """The HTTP recordings of every cassette."""
        return [e for c in self.cassettes.values() for e in c.http]

    @property
    def websockets(self) -> list[Exchange]:
        return [e for c in self.cassettes.values() for e in c.websockets]

    @property
    def played(self) -> list[str]:
        """Labels of the recordings played, in order per cassette (`name:` in front on a
        server with several)."""
        return [self._named(c, x) for c in self.cassettes.values() for x in c.played]

    @property
    def misses(self) -> list[Miss]:
        return [m for c in self.cassettes.values() for m in c.misses]

    def unplayed(self) -> list[str]:
        return [self._named(c, x) for c in self.cassettes.values() for x in c.unplayed()]

    @staticmethod
    def _named(cassette: Cassette, text: str) -> str:
        return f"{cassette.name}:{text}" if cassette.name else text
