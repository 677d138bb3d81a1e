"""The hand-off from the proxy to disk: a byte-bounded queue drained by one journal thread.

The proxy submits each finished exchange and returns at once; the journal thread redacts it
and appends it to the journal. When the queue's byte budget is spent (the disk is slower than
the traffic), `submit` writes the record itself: the proxy slows down rather than lose data,
and the status line says so.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from addon.atomic import replace_file
from addon.wire.redact import Redactor

from .capture import Captured
from .journal import JournalFile
from .snapshot import append_more, snapshot_path, write_head

log = logging.getLogger("respdeck")

STATUS_INTERVAL = 0.25  # seconds between status file updates
SNAPSHOT_INTERVAL = 0.5  # seconds between snapshots of a stream still in flight


@dataclass(slots=True)
class ProxyStatus:
    """Counters of the proxy side, shared with the ingester through a small JSON file."""

    in_flight: int = 0
    queued: int = 0
    queued_bytes: int = 0
    journaled: int = 0
    direct_writes: int = 0  # written by the proxy itself because the queue was full
    addon_errors: int = 0
    journal_error: str | None = None
    pid: int = 0


class Spool:
    def __init__(
        self,
        journal: JournalFile,
        redactor: Redactor,
        status_path: Path | None = None,
        max_bytes: int = 256 << 20,
        inflight: Callable[[], list[Captured]] | None = None,
        inflight_dir: Path | None = None,
    ) -> None:
        self.journal = journal
        self.redactor = redactor
        self.status_path = status_path
        self.max_bytes = max_bytes
        self.status = ProxyStatus(pid=os.getpid())
        self._queue: queue.SimpleQueue[Captured | None] = queue.SimpleQueue()
        self._lock = threading.Lock()  # one writer of the journal file at a time
        self._counts = threading.Lock()  # the counters change on two threads
        self._bytes = 0
        self._thread = threading.Thread(target=self._run, name="respdeck-journal", daemon=True)
        self._last_status = 0.0
        self._last_text = ""
        # In-flight streams are snapshotted so live readers see their text grow.
        self.inflight = inflight
        self.inflight_dir = inflight_dir
        self._snapshots: dict[str, int] = {}  # flow id -> chunks in its last snapshot
        self._last_snapshot = 0.0

    def start(self) -> None:
        self._thread.start()

    def submit(self, captured: Captured) -> None:
        """Called on the proxy's event loop: O(1) unless the queue is over budget."""
        size = captured.nbytes()
        with self._counts:
            over = self._bytes + size > self.max_bytes and self.status.queued > 0
            if not over:
                self._bytes += size
                self.status.queued += 1
                self.status.queued_bytes = self._bytes
        if over:
            self.status.direct_writes += 1
            self._write(captured)
            return
        captured.size_hint = size
        self._queue.put(captured)

    def stop(self, timeout: float = 60.0) -> None:
        """Drain what is queued, then stop the thread and close the journal."""
        self._queue.put(None)
        self._thread.join(timeout)
        self._write_status(force=True)
        self.journal.close()

    def _run(self) -> None:
        while True:
            try:
                captured = self._queue.get(timeout=STATUS_INTERVAL)
            except queue.Empty:
                self._write_status()
                self._snapshot()
                continue
            if captured is None:
                return
            with self._counts:
                self._bytes -= captured.size_hint
                self.status.queued -= 1
                self.status.queued_bytes = self._bytes
            self._write(captured)
            self._write_status()
            self._snapshot()

    def _write(self, captured: Captured) -> None:
        try:
            exchange = self.redactor.apply(captured.to_exchange())
            with self._lock:
                self.journal.append(exchange, captured.error, captured.flow_id)
            self.status.journaled += 1
            if self._snapshots.pop(captured.flow_id, None) is not None and self.inflight_dir:
                snapshot_path(self.inflight_dir, captured.flow_id).unlink(missing_ok=True)
        except Exception as exc:  # a disk error must not stop the proxy: say it, keep going
            self.status.journal_error = f"{type(exc).__name__}: {exc}"
            log.warning("respdeck: cannot journal an exchange: %s", self.status.journal_error)

    def _snapshot(self) -> None:
        """Snapshot each in-flight stream that grew since its last snapshot (this thread only:
        the final record is always written, and the snapshot dropped, after it). The first
        snapshot of a stream is its head and the chunks so far; each later one appends only
        the chunks that arrived since (addon/recorder/snapshot), so a long stream costs this
        thread, and the ingester reading it, time linear in its length."""
        now = time.monotonic()
        if self.inflight is None or self.inflight_dir is None:
            return
        if now - self._last_snapshot < SNAPSHOT_INTERVAL:
            return
        self._last_snapshot = now
        for captured in self.inflight():
            tee = captured.tee
            if tee is None or not tee.chunks or captured.status is None:
                continue
            count = len(tee.chunks)  # the chunks this snapshot holds: more may come meanwhile
            done = self._snapshots.get(captured.flow_id)
            if done == count:
                continue
            try:
                if done is None or done < 0 or self.redactor.paths:  # paths rewrite lines
                    exchange = self.redactor.apply(captured.to_exchange(count))
                    write_head(self.inflight_dir, captured.flow_id, exchange)
                else:
                    rows, parts, duration = captured.more(done, count)
                    append_more(self.inflight_dir, captured.flow_id, rows, parts, duration)
                self._snapshots[captured.flow_id] = count
            except Exception as exc:  # a convenience: never let it stop the journal
                # a torn append must not be followed by more: the next snapshot starts over
                self._snapshots[captured.flow_id] = -1
                with contextlib.suppress(OSError):
                    snapshot_path(self.inflight_dir, captured.flow_id).unlink()
                log.warning("respdeck: cannot snapshot an in-flight stream: %s", exc)

    def _write_status(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.status_path is None or (not force and now - self._last_status < STATUS_INTERVAL):
            return
        self._last_status = now
        text = json.dumps(asdict(self.status))
        if text == self._last_text:
            return  # an idle proxy rewrites nothing
        self._last_text = text
        with contextlib.suppress(OSError):  # a convenience; the journal is what matters
            replace_file(self.status_path, text)


def read_status(path: Path) -> ProxyStatus | None:
    try:
        return ProxyStatus(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
