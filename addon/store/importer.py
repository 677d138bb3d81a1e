"""`respdeck import`: recordings in any format the wire core reads -> one capture per file."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from addon.importers import ImportFailure, iter_paths, load_file_detected
from addon.wire.parse import parse_exchange

from .writer import Writer


@dataclass
class ImportReport:
    files: int = 0
    exchanges: int = 0
    events: int = 0
    already: list[str] = field(default_factory=list)  # same content imported before
    failed: list[str] = field(default_factory=list)  # one-line reasons


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_paths(
    conn: duckdb.DuckDBPyConnection,
    paths: Iterable[Path],
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import every file; a file whose content was imported before adds nothing.

    Rows are committed in large batches, each holding whole files, so an interrupted import
    keeps every file of the batches before it.
    Raises ImportFailure only for a path that does not exist.
    """
    report = ImportReport()
    writer = Writer(conn)
    known = {
        row[0]
        for row in conn.execute(
            "SELECT source_sha256 FROM captures WHERE source_sha256 IS NOT NULL"
        ).fetchall()
    }
    files = list(iter_paths(paths))
    for done, path in enumerate(files):
        if progress:
            progress(done, len(files))
        try:
            digest = file_sha256(path)
        except OSError as exc:
            report.failed.append(f"{path}: cannot read: {exc.strerror or exc}")
            continue
        if digest in known:
            report.already.append(str(path))
            continue
        try:
            fmt, exchanges = load_file_detected(path)
        except ImportFailure as exc:
            report.failed.append(str(exc))
            continue
        known.add(digest)
        capture_id = writer.add_capture(
            "import", str(path), source_sha256=digest, fmt=fmt, ended=True
        )
        for exchange in exchanges:
            parsed = parse_exchange(exchange)
            writer.add(capture_id, parsed)
            report.events += len(parsed.events)
        report.files += 1
        report.exchanges += len(exchanges)
        if writer.full:
            writer.flush()  # between files: a batch always holds whole files
    writer.flush()
    if progress:
        progress(len(files), len(files))
    return report
