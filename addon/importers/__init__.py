"""Importers: recordings made by other tools -> `Exchange` objects.

One module per format (vcrpy, ruby_vcr, govcr, azure, har, sse, bare_json, nock, and
respdeck's own respdeck_jsonl and raw_http); `detect` recognises a file by its content.
Every interaction of a file is returned, whatever API it called: deciding which ones are
Responses API traffic happens later, in the wire core.
"""

from __future__ import annotations

from pathlib import Path

from addon.importers._common import CONVERTED_HEADER, SYNTHETIC_HEADER, ImportFailure
from addon.importers.detect import DIALECTS, FORMATS, Detected, UnknownFormatError, detect
from addon.importers.walk import iter_paths
from addon.wire.exchange import Exchange

__all__ = [
    "CONVERTED_HEADER",
    "DIALECTS",
    "FORMATS",
    "SYNTHETIC_HEADER",
    "ImportFailure",
    "UnknownFormatError",
    "detect_format",
    "iter_paths",
    "load_bytes_detected",
    "load_file",
    "load_file_detected",
]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError as exc:
        raise ImportFailure(f"{path}: is a directory") from exc
    except FileNotFoundError as exc:
        raise ImportFailure(f"{path}: no such file or directory") from exc
    except PermissionError as exc:
        raise ImportFailure(f"{path}: permission denied") from exc
    except OSError as exc:
        raise ImportFailure(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _detect(path: Path, data: bytes) -> Detected:
    try:
        return detect(path, data)
    except ImportFailure:
        raise
    except Exception as exc:  # e.g. RecursionError on absurdly nested JSON
        raise ImportFailure(f"{path}: cannot read: {type(exc).__name__}: {exc}") from exc


def detect_format(path: Path, data: bytes) -> str:
    """The dialect name of `data` (see DIALECTS for its family); raises UnknownFormatError."""
    return _detect(Path(path), data).dialect


def load_file_detected(path: Path) -> tuple[str, list[Exchange]]:
    """Like load_file, also returning the detected dialect name (for the CLI to print)."""
    path = Path(path)
    return load_bytes_detected(path, _read(path))


def load_bytes_detected(path: Path, data: bytes) -> tuple[str, list[Exchange]]:
    """load_file_detected for content already read (`path` names it and helps detection)."""
    path = Path(path)
    found = _detect(path, data)
    try:
        exchanges = found.read()
    except ImportFailure:
        raise
    except Exception as exc:  # malformed content inside a recognised format
        raise ImportFailure(f"{path}: broken {found.dialect}: {type(exc).__name__}: {exc}") from exc
    for index, exchange in enumerate(exchanges):
        exchange.source = str(path)
        exchange.index = index
    return found.dialect, exchanges


def load_file(path: Path) -> list[Exchange]:
    """All exchanges of one recording, in file order, with `source` and `index` set."""
    return load_file_detected(path)[1]
