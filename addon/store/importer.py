"""`respdeck import`: recordings in any format the wire core reads -> one capture per file."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from addon.importers import iter_paths

from .import_files import FileJob, rows_in_order, worker_count
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
    *,
    jobs: int | None = None,
) -> ImportReport:
    """Import every file; a file whose content was imported before adds nothing.

    Rows are committed in batches, each holding whole files, so an interrupted import keeps
    every file of the batches before it. A batch is written on a thread while the next files
    are parsed, by `jobs` worker processes (default: one per core for a large import; 1: in
    this process). Raises ImportFailure only for a path that does not exist.
    """
    report = ImportReport()
    writer = Writer(conn, batch_events=IMPORT_BATCH_EVENTS, batch_bytes=IMPORT_BATCH_BYTES)
    files = list(iter_paths(paths))
    workers = worker_count(jobs, len(files), sum(_size(path) for path in files))
    with _rare_checkpoints(conn):
        _import_files(writer, files, report, progress, workers)
    if progress:
        progress(len(files), len(files))
    return report


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reported when it is read


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
    workers: int,
) -> None:
    done = 0
    try:
        for job, rows in rows_in_order(_jobs(writer, files, report), workers):
            done += 1
            if progress:
                progress(done, len(files))
            if rows.failure is not None or rows.rows is None:
                report.failed.append(rows.failure or f"{job.path}: not read")
                continue
            writer.add_capture(
                "import", str(job.path), source_sha256=job.digest, fmt=rows.fmt, ended=True,
                capture_id=rows.capture_id,
            )  # fmt: skip
            writer.add_rows(rows.rows)
            report.files += 1
            report.exchanges += rows.exchanges
            report.events += rows.events
            if writer.full:
                # between files: a batch always holds whole files. DuckDB writes it on a thread
                # while the next files are parsed.
                writer.flush_in_background()
        writer.flush()
    finally:
        writer.wait(raise_error=False)  # an error is being raised already: never leave a write


def _jobs(writer: Writer, files: list[Path], report: ImportReport) -> Iterator[FileJob]:
    """The files to parse, each read once (for its hash and its parsing); a file whose
    content is stored, or came earlier in this import, is left out."""
    digests: set[str] = set()
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.failed.append(f"{path}: cannot read: {exc.strerror or exc}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        # the writer checks again as it writes: DuplicateImport
        if digest in digests or writer.imported(digest):
            report.already.append(str(path))
            continue
        digests.add(digest)
        yield FileJob(path, data, digest)
