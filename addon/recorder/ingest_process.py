"""The ingester as a child process of `respdeck record`: it holds and serves the database.

A separate process at background priority (see `addon.recorder.ingest_main.background_priority`):
parsing and storing then never take CPU the proxy, its clients or the upstream need. It reports
its counters through a small JSON file, and stops once its stdin closes and the journal is
stored to the end.
"""

from __future__ import annotations

import subprocess
import time

from .ingest_main import spawn
from .ingest_status import IngestStats, read_stats
from .proxy_process import ProxyConfig


class IngestProcess:
    def __init__(self, config: ProxyConfig) -> None:
        self.config = config
        self.status_file = config.journal / (config.run.removesuffix(".rdj") + ".ingest.json")
        self.process: subprocess.Popen[bytes] | None = None
        self._last = IngestStats()

    def start(self, timeout: float = 120) -> IngestStats:
        """Start and wait until the database is open (or known not to open)."""
        c = self.config
        c.journal.mkdir(parents=True, exist_ok=True)
        self.status_file.unlink(missing_ok=True)
        self.process = spawn(c.db, c.journal, c.run, upstream=c.upstream, status=self.status_file)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stats = self.stats()
            if stats.state != "opening":
                return stats
            if self.process.poll() is not None:
                stats.state, stats.db_error = "failed", stats.db_error or "the ingester exited"
                return stats
            time.sleep(0.05)
        stats = self.stats()
        stats.state, stats.db_error = "failed", "the database did not open in time"
        return stats

    def stats(self) -> IngestStats:
        stats = read_stats(self.status_file)
        if stats is not None:
            self._last = stats
        return self._last

    def stop(self) -> IngestStats:
        """Let it store the journal to the end, then exit; its final counters."""
        if self.process is not None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait()
        return self.stats()
