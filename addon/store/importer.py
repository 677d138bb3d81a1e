"""`respdeck import`: recordings in any format the wire core reads -> one capture per file."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from addon.importers import ImportFailure, iter_paths, load_bytes_detected
from addon.wire.parse import parse_exchange

from .writer import Writer

# Smaller batches than a recorder's: the first ones are written while later files are parsed.
IMPORT_BATCH_EVENTS = 10_000
IMPORT_BATCH_BYTES = 16 << 20
# DuckDB checkpoints once its WAL passes 16 MiB, so after nearly every batch of an import, and
# each checkpoint rewrites the tables' last row group, still growing, raw bodies included.
IMPORT_CHECKPOINT_THRESHOLD = "1GiB"


@dataclass
class ImportReport:
    files: int = 0
    exchanges: int = 0
    events: int = 0
    already: list[str] = field(default_factory=list)  # same content imported before
    failed: list[str] = field(default_factory=list)  # one-line reasons


def import_paths(
    conn: duckdb.DuckDBPyConnection,
    paths: Iterable[Path],
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import every file; a file whose content was imported before adds nothing.

    Rows are committed in batches, each holding whole files, so an interrupted import keeps
    every file of the batches before it. A batch is written on a thread while the next files
    are parsed. Raises ImportFailure only for a path that does not exist.
    """
    report = ImportReport()
    writer = Writer(conn, batch_events=IMPORT_BATCH_EVENTS, batch_bytes=IMPORT_BATCH_BYTES)
    files = list(iter_paths(paths))
    with _rare_checkpoints(conn):
        _import_files(writer, files, report, progress)
    if progress:
        progress(len(files), len(files))
    return report


@contextmanager
def _rare_checkpoints(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    row = conn.execute("SELECT current_setting('checkpoint_threshold')").fetchone()
    conn.execute("SET checkpoint_threshold = ?", [IMPORT_CHECKPOINT_THRESHOLD])
    try:
        yield
    finally:
        if row is not None:
            conn.execute("SET checkpoint_threshold = ?", [row[0]])


def _import_files(
    writer: Writer,
    files: list[Path],
    report: ImportReport,
    progress: Callable[[int, int], None] | None,
) -> None:
    try:
        for done, path in enumerate(files):
            if progress:
                progress(done, len(files))
            _import_file(writer, path, report)
            if writer.full:
                # between files: a batch always holds whole files. DuckDB writes it on a thread
                # while the next files are parsed.
                writer.flush_in_background()
        writer.flush()
    finally:
        writer.wait(raise_error=False)  # an error is being raised already: never leave a write


def _import_file(writer: Writer, path: Path, report: ImportReport) -> None:
    try:
        data = path.read_bytes()  # read once, for the hash and the parsing
    except OSError as exc:
        report.failed.append(f"{path}: cannot read: {exc.strerror or exc}")
        return
    digest = hashlib.sha256(data).hexdigest()
    if writer.imported(digest):  # the writer checks again as it writes: DuplicateImport
        report.already.append(str(path))
        return
    try:
        fmt, exchanges = load_bytes_detected(path, data)
    except ImportFailure as exc:
        report.failed.append(str(exc))
        return
    capture_id = writer.add_capture("import", str(path), source_sha256=digest, fmt=fmt, ended=True)
    for exchange in exchanges:
        parsed = parse_exchange(exchange)
        writer.add(capture_id, parsed)
        report.events += len(parsed.events)
    report.files += 1
    report.exchanges += len(exchanges)
