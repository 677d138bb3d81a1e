"""Expand the paths given on the command line into the recording files to import."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from addon.importers._common import ImportFailure

# Never recordings: docs, tables, databases, code, images, archives.
SKIP_NAMES = frozenset({"MANIFEST.tsv", "README.md", "LICENSE", "NOTICE"})
SKIP_SUFFIXES = frozenset(
    {
        ".md", ".rst", ".tsv", ".csv", ".duckdb", ".wal", ".db", ".sqlite", ".py", ".pyc",
        ".toml", ".lock", ".ini", ".cfg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf",
        ".zip", ".gz", ".tar", ".tgz", ".whl",
    }
)  # fmt: skip


def _skip(path: Path) -> bool:
    return (
        path.name.startswith(".") or path.name in SKIP_NAMES or path.suffix.lower() in SKIP_SUFFIXES
    )


def _walk(folder: Path, seen: set[Path]) -> Iterator[Path]:
    real = folder.resolve()
    if real in seen:  # symlink loop
        return
    seen.add(real)
    try:
        children = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise ImportFailure(f"{folder}: cannot list folder: {exc.strerror or exc}") from exc
    for child in children:
        if _skip(child):
            continue
        if child.is_dir():
            yield from _walk(child, seen)
        elif child.is_file():
            yield child


def iter_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Folders expand recursively (sorted by name, hidden and non-recording files skipped);
    files given explicitly pass through untouched."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            yield from _walk(path, set())
        elif path.exists():
            yield path
        else:
            raise ImportFailure(f"{path}: no such file or directory")
