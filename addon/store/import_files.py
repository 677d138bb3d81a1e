"""One recording file's rows, built where the parsing happens: in this process or in a worker.

An import spends most of its time loading (YAML, JSON) and parsing files, not writing them:
on two cores, worker processes load, parse and build the rows of whole files while this
process writes earlier ones. The rows a worker sends back are plain column lists (a Batch),
cheap to pickle, with the ids the writer would have given them: an import made in parallel
stores exactly what a serial one stores. A worker reads its file itself (the importer has
read it for its hash: a second read comes from the page cache, a copy through a pipe costs
more).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from addon.importers import ImportFailure, load_bytes_detected
from addon.wire.parse import parse_exchange

from . import ids
from .rows import Batch, add_exchange

# Below this much work a worker's start (about 1 s here: the parser's imports, openai's
# validators and respdeck's memos built anew) costs what it saves. Measured on two cores
# (tests/bench/bench_import.py): 297 MB of long streams, 1M events, 28.9 s -> 15.4 s with two
# workers; the corpus, 88 MB in 1,157 mostly small files, 7.4 s -> 7.9 s.
PARALLEL_MIN_FILES = 8
PARALLEL_MIN_BYTES = 128 << 20
QUEUED_PER_WORKER = 32  # files handed out ahead: workers never wait, memory stays bounded


@dataclass
class FileRows:
    """What one file became: its format and rows, or why it could not be read."""

    capture_id: str
    fmt: str | None = None
    exchanges: int = 0
    events: int = 0
    rows: Batch | None = None
    failure: str | None = None


def file_rows(path: str, data: bytes, capture_id: str) -> FileRows:
    """Load and parse one file's bytes into rows of capture `capture_id` (seq 0, 1, ...)."""
    try:
        fmt, exchanges = load_bytes_detected(Path(path), data)
    except ImportFailure as exc:
        return FileRows(capture_id, failure=str(exc))
    batch = Batch()
    events = 0
    for seq, exchange in enumerate(exchanges):
        parsed = parse_exchange(exchange)
        add_exchange(batch, ids.exchange_id(capture_id, seq), capture_id, seq, parsed)
        events += len(parsed.events)
    return FileRows(capture_id, fmt, len(exchanges), events, batch)


def file_rows_read(path: str, digest: str, capture_id: str) -> FileRows:
    """`file_rows` of a file read here (a worker: its bytes need not come through a pipe),
    refused if it is not the content the importer hashed."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return FileRows(capture_id, failure=f"{path}: cannot read: {exc.strerror or exc}")
    if hashlib.sha256(data).hexdigest() != digest:
        return FileRows(capture_id, failure=f"{path}: changed while it was imported")
    return file_rows(path, data, capture_id)


@dataclass
class FileJob:
    path: Path
    data: bytes
    digest: str


def worker_count(jobs: int | None, files: int, size: int) -> int:
    """Processes to parse in: `jobs` if given, else one per core when the import is big
    enough to repay their start; 0 means this process alone."""
    if jobs is None:
        if files < PARALLEL_MIN_FILES or size < PARALLEL_MIN_BYTES:
            return 0
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return 0 if jobs <= 1 else jobs


def rows_in_order(jobs: Iterator[FileJob], workers: int) -> Iterator[tuple[FileJob, FileRows]]:
    """Each job's rows, in the jobs' order, built by `workers` processes (0: here)."""
    if workers == 0:
        for job in jobs:
            yield job, file_rows(str(job.path), job.data, ids.new_capture_id())
        return
    # Not fork: this process holds a DuckDB connection and its threads. A fork server starts
    # clean, imports the parser once and forks each worker from there.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        queued: deque[tuple[FileJob, Future[FileRows]]] = deque()
        try:
            for job in jobs:
                capture_id = ids.new_capture_id()
                job.data = b""  # read again by the worker: no copy through a pipe
                work = pool.submit(file_rows_read, str(job.path), job.digest, capture_id)
                queued.append((job, work))
                while len(queued) > workers * QUEUED_PER_WORKER:
                    done, future = queued.popleft()
                    yield done, future.result()
            while queued:
                done, future = queued.popleft()
                yield done, future.result()
        finally:
            for _, future in queued:
                future.cancel()
