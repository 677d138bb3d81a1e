"""An import parsed by worker processes stores exactly what a serial one stores (issue 15,
target 3; tests/bench/bench_import.py times both)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from addon.importers import iter_paths
from addon.store import ids
from addon.store.db import open_for_write
from addon.store.import_files import (
    PARALLEL_MIN_BYTES,
    PARALLEL_MIN_FILES,
    file_rows_read,
    worker_count,
)
from addon.store.importer import ImportReport, import_paths
from addon.store.rows import TABLES

from .conftest import CORPUS, RECORDINGS
from .helpers import respdeck

RECORDING_FILES = sorted(iter_paths([RECORDINGS]))  # the recordings (not their README)
_CAPTURE_CLOCK = {"capture_id", "started_at", "ended_at"}  # random or of the moment


def _import(db: Path, paths: list[Path], jobs: int) -> ImportReport:
    conn = open_for_write(db)
    try:
        return import_paths(conn, paths, jobs=jobs)
    finally:
        conn.close()


def stored(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, ids replaced by (file, seq): capture ids are random."""
    conn = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        columns = [c for c in TABLES["captures"] if c not in _CAPTURE_CLOCK]
        out["captures"] = conn.execute(
            f"SELECT {', '.join(columns)} FROM captures ORDER BY source"
        ).fetchall()
        columns = [f"e.{c}" for c in TABLES["exchanges"] if c not in {"exchange_id", "capture_id"}]
        out["exchanges"] = conn.execute(
            f"SELECT c.source, {', '.join(columns)} FROM exchanges e "
            "JOIN captures c USING (capture_id) ORDER BY c.source, e.seq"
        ).fetchall()
        for table in ("responses", "items", "events", "findings"):
            columns = [f"t.{c}" for c in TABLES[table] if c != "exchange_id"]
            out[table] = conn.execute(
                f"SELECT c.source, e.seq, {', '.join(columns)} FROM {table} t "
                "JOIN exchanges e USING (exchange_id) JOIN captures c USING (capture_id) "
                "ORDER BY ALL"
            ).fetchall()
        return out
    finally:
        conn.close()


def test_workers_store_what_a_serial_import_stores(tmp_path: Path) -> None:
    paths = [RECORDINGS]
    serial = _import(tmp_path / "serial.duckdb", paths, jobs=1)
    parallel = _import(tmp_path / "parallel.duckdb", paths, jobs=2)
    assert (parallel.files, parallel.exchanges, parallel.events) == (
        serial.files,
        serial.exchanges,
        serial.events,
    )
    assert serial.files == len(RECORDING_FILES)
    a, b = stored(tmp_path / "serial.duckdb"), stored(tmp_path / "parallel.duckdb")
    assert all(a[table] for table in ("captures", "exchanges", "responses", "items", "events"))
    for table in a:
        assert a[table] == b[table], table


def test_workers_skip_duplicates_and_report_failures(tmp_path: Path) -> None:
    """A file twice in one import is imported once; an unreadable one is a one-line
    failure; a second import of the same files adds nothing."""
    folder = tmp_path / "in"
    folder.mkdir()
    for path in RECORDING_FILES[:PARALLEL_MIN_FILES]:
        shutil.copy(path, folder / path.name)
    first = sorted(folder.iterdir())[0]
    shutil.copy(first, folder / f"zz-copy-of-{first.name}")
    (folder / "not-a-recording.json").write_text('{"hello": "world"}')
    db = tmp_path / "store.duckdb"
    report = _import(db, [folder], jobs=2)
    assert report.files == PARALLEL_MIN_FILES
    assert report.already == [str(folder / f"zz-copy-of-{first.name}")]
    assert len(report.failed) == 1 and "not-a-recording.json" in report.failed[0]
    again = _import(db, [folder], jobs=2)
    assert again.files == 0 and len(again.already) == PARALLEL_MIN_FILES + 1


def test_the_command_takes_jobs(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    done = respdeck("import", "--db", str(db), "--jobs", "2", str(RECORDINGS))
    assert done.returncode == 0, done.stderr
    assert f"imported {len(RECORDING_FILES)} file(s)" in done.stdout
    bad = respdeck("import", "--db", str(db), "--jobs", "0", str(RECORDINGS))
    assert bad.returncode == 2 and "--jobs" in bad.stderr


def test_workers_only_for_an_import_worth_their_start() -> None:
    assert worker_count(None, 1, 100 << 20) == 0
    assert worker_count(None, 1_000, 1 << 10) == 0
    assert worker_count(1, 1_000, 100 << 20) == 0
    assert worker_count(3, 2, 10) == 3  # asked for: given
    cores = len(os.sched_getaffinity(0))
    assert worker_count(None, 1_000, PARALLEL_MIN_BYTES) == (cores if cores > 1 else 0)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_workers_store_what_a_serial_import_stores_for_the_corpus(tmp_path: Path) -> None:
    folders = sorted(p for p in CORPUS.iterdir() if p.is_dir())[:6]
    serial = _import(tmp_path / "serial.duckdb", folders, jobs=1)
    parallel = _import(tmp_path / "parallel.duckdb", folders, jobs=2)
    assert serial.exchanges > 50 and parallel.exchanges == serial.exchanges
    assert parallel.failed == serial.failed
    a, b = stored(tmp_path / "serial.duckdb"), stored(tmp_path / "parallel.duckdb")
    for table in a:
        assert a[table] == b[table], table


def test_a_worker_refuses_a_file_changed_since_it_was_hashed(tmp_path: Path) -> None:
    path = tmp_path / "stream.har"
    shutil.copy(RECORDING_FILES[0], path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert file_rows_read(str(path), digest, ids.new_capture_id()).failure is None
    path.write_bytes(path.read_bytes() + b"\n")
    changed = file_rows_read(str(path), digest, ids.new_capture_id())
    assert changed.rows is None and changed.failure == f"{path}: changed while it was imported"
