"""Record mode: tests' traffic through the real recorder, back as exchanges, test by test.

The same code as `respdeck record`: mitmdump as a child process with respdeck's addon, in
reverse mode to the upstream (`addon.recorder.proxy_process`), so responses stream through the
chunk tee with their timing and secret headers are fingerprinted before the journal is written.
Starting mitmdump takes seconds, so one recorder serves a whole pytest session (one per
upstream, per xdist worker), started by the first test that records.

A test's exchanges are the journal records that start while it runs. At its end the recorder
waits until the proxy has nothing in flight or queued (two fresh status writes say so), reads
the new records, and stores them like `respdeck record` does: a journal file of their own, the
ingester (`addon.recorder.ingest`, in this process: no live readers) into a temporary DuckDB,
then loaded back exactly as `respdeck export` loads them (`addon.store.load`). Everything lives
in temporary folders of the recorder's own, removed afterwards: workers share no file or port.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from addon.recorder.journal import JournalReader, Record
    from addon.recorder.proxy_process import ProxyProcess
    from addon.store.load import StoredExchange

START_ATTEMPTS = 3  # a free port can be taken by another worker before mitmdump binds it
DRAIN_TIMEOUT = 60.0  # seconds without the proxy going idle before a test gives up on it
POLL = 0.05
IDLE_FOR = 0.6  # seconds the proxy's counters must stay idle before a test's records are taken


class RecordingError(Exception):
    """The recorder could not start or store; one line for the report."""


@dataclass(frozen=True, slots=True)
class Upstream:
    """An upstream URL split as mitmproxy takes it (an origin) and as a client adds it (the
    base path, `/v1` for the real API, `/openai/v1` for Azure)."""

    origin: str
    base_path: str

    @classmethod
    def parse(cls, url: str) -> Upstream:
        """`https://api.openai.com/v1` -> origin `https://api.openai.com`, base path `/v1`;
        a URL without a path gets `/v1`. ValueError for what is not an http(s) URL."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError(
                f"bad --respdeck-upstream {url!r}: give a URL like https://api.openai.com/v1"
            )
        return cls(f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/") or "/v1")


def base_url(address: str, base_path: str) -> str:
    """What a client is given: a local server's `http://host:port` and the API's base path."""
    return address.rstrip("/") + base_path


class Recorder:
    """mitmdump recording to one upstream, for every test of the session that records."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.folder = Path(tempfile.mkdtemp(prefix="respdeck-record-"))
        self.journal = self.folder / "journal"
        self.proxy: ProxyProcess | None = None
        self.address = ""
        self.status_file = self.folder / "none"
        self._run = ""
        self._reader: JournalReader | None = None
        self._pending: list[Record] = []  # read from the journal, not yet given to a test
        self._journaled = 0  # records read in all
        self._tests = 0

    @property
    def base_url(self) -> str:
        return base_url(self.address, self.upstream.base_path)

    def start(self) -> Recorder:
        """Start mitmdump and wait until it listens (RecordingError with its last words)."""
        from addon.ports import free_port
        from addon.recorder.journal import run_name
        from addon.recorder.proxy_process import ProxyConfig, ProxyError, ProxyProcess

        error = ""
        for _ in range(START_ATTEMPTS):
            self._run = run_name()
            config = ProxyConfig(
                "reverse", self.upstream.origin, "127.0.0.1", free_port(),
                self.folder / "unused.duckdb", self.journal, self._run,
                record_all=True,  # a cassette holds every call the test made
            )  # fmt: skip
            proxy = ProxyProcess(config)
            try:
                proxy.start()
            except ProxyError as exc:
                error = str(exc)
                if "cannot listen" in error:
                    continue
                break
            self.proxy, self.address = proxy, config.address
            self.status_file = self.journal / (self._run.removesuffix(".rdj") + ".status.json")
            return self
        self.stop()
        raise RecordingError(f"the recorder did not start: {error}")

    def begin(self) -> datetime:
        """A test starts recording: what was journaled before is not its."""
        self._read()
        self._pending.clear()
        return datetime.now(UTC)

    def collect(self, since: datetime) -> list[StoredExchange]:
        """The exchanges that started since `since`, once the proxy is idle, stored and loaded
        back, in request order."""
        self._drain()
        records = [r for r in self._pending if _started(r) >= since]
        self._pending.clear()
        self._tests += 1
        return self._store(records, self.folder / f"test-{self._tests}")

    def _read(self) -> None:
        """Take the records journaled since the last read."""
        from addon.recorder.journal import JournalReader

        if self._reader is None:
            path = self.journal / self._run
            if not path.exists():
                return
            self._reader = JournalReader(path)
        records = self._reader.read_available()
        self._pending += records
        self._journaled += len(records)

    def _drain(self) -> None:
        """Wait until the proxy is idle: nothing in flight or queued, every record it counts
        read, and so for IDLE_FOR seconds. An idle proxy rewrites no status; a busy one
        rewrites it within STATUS_INTERVAL (0.25 s) twice over, so a count about to change
        changes within the window."""
        from addon.recorder.spool import read_status

        deadline, idle_since, last = time.monotonic() + DRAIN_TIMEOUT, None, None
        while time.monotonic() < deadline:
            if self.proxy is None or not self.proxy.running:
                raise RecordingError(f"the recorder stopped: {self._last_words()}")
            self._read()
            status = read_status(self.status_file)
            now = time.monotonic()
            idle = status is not None and not status.in_flight and not status.queued
            state = (status, self._journaled)
            if not idle or status is None or status.journaled != self._journaled:
                idle_since = None
            elif idle_since is None or state != last:
                idle_since = now
            elif now - idle_since >= IDLE_FOR:
                return
            last = state
            time.sleep(POLL)
        raise RecordingError("the recorder still has exchanges in flight after the test")

    def _last_words(self) -> str:
        return self.proxy.last_error() if self.proxy is not None else "not running"

    @staticmethod
    def _store(records: list[Record], folder: Path) -> list[StoredExchange]:
        """Journal `records` apart, ingest them into a DuckDB of their own, load them back."""
        from addon.recorder.ingest import Ingester
        from addon.recorder.journal import JournalFile, run_name
        from addon.store.load import load_ids

        if not records:
            return []
        journal = JournalFile(folder / "journal" / run_name())
        try:
            for record in records:
                journal.append(record.exchange, record.error, record.flow_id)
        finally:
            journal.close()
        ingester = Ingester(folder / "test.duckdb", folder / "journal", None, serve=False)
        try:
            if not ingester.open():
                raise RecordingError(f"cannot store the recording: {ingester.stats.db_error}")
            ingester.catch_up()
            assert ingester.conn is not None
            rows = ingester.conn.execute(
                "SELECT exchange_id FROM exchanges WHERE position >= 0 "
                "ORDER BY started_at NULLS LAST, seq"
            ).fetchall()
            return load_ids(ingester.conn, [str(row[0]) for row in rows])
        finally:
            ingester.close()
            shutil.rmtree(folder, ignore_errors=True)

    def stop(self) -> None:
        """Stop mitmdump and remove the temporary folder."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        shutil.rmtree(self.folder, ignore_errors=True)


def _started(record: Record) -> datetime:
    started = record.exchange.timings.started_at
    return started if started is not None else datetime.max.replace(tzinfo=UTC)


class Recorders:
    """The session's recorders, one per upstream, each started when first needed."""

    def __init__(self) -> None:
        self._running: dict[Upstream, Recorder] = {}

    def get(self, upstream: Upstream) -> Recorder:
        if upstream not in self._running:
            self._running[upstream] = Recorder(upstream).start()
        return self._running[upstream]

    def stop(self) -> None:
        for recorder in self._running.values():
            recorder.stop()
        self._running.clear()
