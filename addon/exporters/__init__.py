"""Recorded exchanges out, in the formats other tools read: one module per format (as
`addon/importers` has one per format it reads), and this one registry, which the CLI
(`respdeck export`) and the TUI's export screen both use.

Each format module defines `FORMAT`, a `Format` whose `chunks` is a pure function from
exchanges (loaded losslessly from the store, `addon.store.load`) to the bytes of the file, in
pieces, so a large export streams to disk and its progress can be shown. Exports carry what
the store holds: fingerprints (`fp:...`) where secrets were, never a secret.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from addon.wire.exchange import Exchange

# name -> module, in the order the CLI's help and the TUI list them
MODULES = {
    "har": "har",
    "vcr": "vcr",
    "jsonl": "jsonl",
    "batch": "batch",
    "curl": "curl",
    "raw": "raw",
}


@dataclass(frozen=True, slots=True)
class Format:
    """One export format."""

    name: str  # what --format takes
    suffix: str  # of the file it writes (".har")
    about: str  # one line for help texts
    chunks: Callable[[Iterable[Exchange]], Iterator[bytes]]  # the file, in pieces


class UnknownFormat(ValueError):
    """No exporter has that name."""


def get(name: str) -> Format:
    """The format called `name` (UnknownFormat, naming the known ones, if none is)."""
    module = MODULES.get(name)
    if module is None:
        raise UnknownFormat(f"unknown format {name!r}: one of {', '.join(MODULES)}")
    found = importlib.import_module(f"{__name__}.{module}").FORMAT
    assert isinstance(found, Format)
    return found


def formats() -> list[Format]:
    """Every format, in registry order."""
    return [get(name) for name in MODULES]


def export_bytes(name: str, exchanges: Iterable[Exchange]) -> bytes:
    """The whole file of `exchanges` in format `name` (for small exports and tests)."""
    return b"".join(get(name).chunks(exchanges))
