"""Record mode: one test's traffic through the real recorder, back as exchanges.

The same code as `respdeck record`: mitmdump as a child process with respdeck's addon, in
reverse mode to the upstream (`addon.recorder.proxy_process`), so responses stream through the
chunk tee with their timing and secret headers are fingerprinted before the journal is
written. Once the test is done the proxy stops (an exchange still in flight is journaled as
aborted), the ingester (`addon.recorder.ingest`, in this process: no live readers to serve)
stores the journal into a temporary DuckDB, and the exchanges are loaded back from it exactly
as `respdeck export` loads them (`addon.store.load`). Everything lives in a temporary folder of
its own, removed afterwards, so parallel workers never share a file or a port.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from addon.recorder.proxy_process import ProxyProcess
    from addon.store.load import StoredExchange

START_ATTEMPTS = 3  # a free port can be taken by another worker before mitmdump binds it


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
        path = parts.path.rstrip("/") or "/v1"
        return cls(f"{parts.scheme}://{parts.netloc}", path)


def base_url(address: str, base_path: str) -> str:
    """What a client is given: a local server's `http://host:port` and the API's base path."""
    return address.rstrip("/") + base_path


class Recording:
    """The recorder for one test: `start()`, point the client at `base_url`, `finish()`."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.folder = Path(tempfile.mkdtemp(prefix="respdeck-record-"))
        self.db = self.folder / "cassette.duckdb"
        self.journal = self.folder / "journal"
        self.proxy: ProxyProcess | None = None
        self.address = ""

    @property
    def base_url(self) -> str:
        return base_url(self.address, self.upstream.base_path)

    def start(self) -> Recording:
        """Start mitmdump and wait until it listens (RecordingError with its last words)."""
        from addon.ports import free_port
        from addon.recorder.journal import run_name
        from addon.recorder.proxy_process import ProxyConfig, ProxyError, ProxyProcess

        self.journal.mkdir()
        error = ""
        for _ in range(START_ATTEMPTS):
            config = ProxyConfig(
                "reverse", self.upstream.origin, "127.0.0.1", free_port(), self.db,
                self.journal, run_name(), record_all=True,  # a cassette holds every call
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
            return self
        self.discard()
        raise RecordingError(f"the recorder did not start: {error}")

    def finish(self) -> list[StoredExchange]:
        """Stop the proxy, store its journal, and load what was recorded, in request order."""
        from addon.recorder.ingest import Ingester
        from addon.store.load import load_ids

        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        ingester = Ingester(self.db, self.journal, None, serve=False)
        if not ingester.open():
            raise RecordingError(f"cannot store the recording: {ingester.stats.db_error}")
        try:
            ingester.catch_up()
            assert ingester.conn is not None
            ingester.conn.execute("CHECKPOINT")
            rows = ingester.conn.execute(
                "SELECT exchange_id FROM exchanges WHERE position >= 0 "
                "ORDER BY started_at NULLS LAST, seq"
            ).fetchall()
            return load_ids(ingester.conn, [str(row[0]) for row in rows])
        finally:
            ingester.close()

    def discard(self) -> None:
        """Stop the proxy if it runs and remove the temporary folder."""
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        shutil.rmtree(self.folder, ignore_errors=True)
