"""The mitmproxy addon: tee Responses API traffic into the journal, touching nothing else.

This is the only module that imports mitmproxy. Each hook copies references into a `Captured`
and returns; a response is streamed through a `ChunkTee`, so the client gets every chunk the
moment it arrives, byte for byte. Parsing and the database live elsewhere (the ingester, in
another thread of `respdeck record` or in a child process), never on mitmproxy's event loop.
An exception in a hook is logged and counted, and the flow goes on untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mitmproxy import ctx, exceptions, http

from addon.store.location import db_path
from addon.wire.endpoints import classify
from addon.wire.redact import Redactor

from .capture import Captured, ChunkTee
from .ingest_main import spawn, wait_for_eof
from .journal import (
    SUFFIX,
    JournalError,
    JournalFile,
    inflight_dir,
    journal_dir_for,
    run_name,
)
from .spool import Spool

log = logging.getLogger("respdeck")


def _load_ca_now() -> None:
    """Make mitmproxy's TLS addon load its CA now, while options are applied, before the
    proxy accepts a connection.

    mitmproxy starts listening before its `running` hook, and its TLS addon loads the CA only
    there (a FIXME in mitmproxy's tlsconfig). Meanwhile every request, plain HTTP too, fails in
    that addon's `request` hook (`certstore` is None), and an error logged during startup
    makes mitmdump exit: a client connecting the moment the port opened (seconds, on a loaded
    machine) killed the recorder.
    """
    tls = ctx.master.addons.lookup.get("tlsconfig")  # AddonManager.get, typed
    if tls is not None and getattr(tls, "certstore", None) is None:
        tls.configure({"confdir"})


class Recorder:
    def __init__(self) -> None:
        self.spool: Spool | None = None
        self.in_flight: dict[str, tuple[http.HTTPFlow, Captured]] = {}
        self.ingester: subprocess.Popen[bytes] | None = None
        self.errors = 0
        self._started = False

    def load(self, loader: Any) -> None:
        _quiet_shutdown()
        loader.add_option(
            "respdeck_db",
            str,
            "",
            "Database file (default: $RESPDECK_DB or recordings/respdeck.duckdb).",
        )
        loader.add_option(
            "respdeck_journal", str, "", "Journal folder (default: beside the database)."
        )
        loader.add_option(
            "respdeck_run", str, "", "Journal file name of this run (default: a new one)."
        )
        loader.add_option(
            "respdeck_ingest",
            bool,
            True,
            "Parse and store in a child process; respdeck record does it itself.",
        )
        loader.add_option(
            "respdeck_all",
            bool,
            False,
            "Record all traffic, not only the Responses and Conversations API.",
        )
        loader.add_option(
            "respdeck_redact_header",
            Sequence[str],
            [],
            "Also fingerprint this header (repeatable).",
        )
        loader.add_option(
            "respdeck_redact_json_path",
            Sequence[str],
            [],
            "Blank this JSON path in stored bodies, e.g. input.*.content (repeatable).",
        )
        loader.add_option(
            "respdeck_queue_mb", int, 256, "Memory for exchanges waiting to be journaled, in MB."
        )
        loader.add_option(
            "respdeck_stop_on_stdin_eof", bool, False,
            "Shut down when stdin closes (respdeck record: the proxy never outlives it).",
        )  # fmt: skip

    def configure(self, updated: set[str]) -> None:
        _load_ca_now()
        if "respdeck_redact_json_path" in updated or "respdeck_redact_header" in updated:
            try:
                Redactor.from_options(
                    ctx.options.respdeck_redact_header, ctx.options.respdeck_redact_json_path
                )
            except ValueError as exc:
                raise exceptions.OptionsError(str(exc)) from exc

    def running(self) -> None:
        options = ctx.options
        if options.respdeck_stop_on_stdin_eof:
            loop = asyncio.get_running_loop()
            threading.Thread(target=_shutdown_at_eof, args=(loop,), daemon=True).start()
        self._start()

    def _start(self) -> None:
        """Open the journal and start the spool (and the ingester), once. mitmproxy's own
        `running` hook opens the listening socket before this addon's runs, so a client
        that connects at once can send a request first: its `requestheaders` starts it."""
        if self._started:
            return
        self._started = True
        options = ctx.options
        database = db_path(options.respdeck_db or None)
        journal_dir = (
            Path(options.respdeck_journal)
            if options.respdeck_journal
            else journal_dir_for(database)
        )
        name = options.respdeck_run or run_name()
        redactor = Redactor.from_options(
            options.respdeck_redact_header, options.respdeck_redact_json_path
        )
        try:
            journal = JournalFile(journal_dir / name)
        except JournalError as exc:
            log.error("respdeck: %s; nothing will be recorded", exc)
            return
        self.spool = Spool(
            journal,
            redactor,
            journal_dir / (name.removesuffix(SUFFIX) + ".status.json"),
            max_bytes=options.respdeck_queue_mb << 20,
            inflight=lambda: [captured for _, captured in list(self.in_flight.values())],
            inflight_dir=inflight_dir(journal_dir, name),
        )
        self.spool.start()
        if options.respdeck_ingest:
            self.ingester = spawn(database, journal_dir, name)
        log.info("respdeck: journaling to %s", journal_dir / name)

    def _failed(self, hook: str) -> None:
        self.errors += 1
        if self.spool is not None:
            self.spool.status.addon_errors = self.errors
        log.exception("respdeck: error in %s hook (traffic unaffected)", hook)

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        try:
            self._start()  # a request may come before the `running` hook (see _start)
            if self.spool is None:
                return
            request = flow.request
            websocket = request.headers.get("upgrade", "").lower() == "websocket"
            if (
                not ctx.options.respdeck_all
                and classify(request.method, request.path, websocket) == "other"
            ):
                return
            captured = Captured(
                request.method,
                request.url,
                list(request.headers.fields),
                None,
                request.timestamp_start,
                flow_id=flow.id,
            )
            self.in_flight[flow.id] = (flow, captured)
            self.spool.status.in_flight = len(self.in_flight)
        except Exception:
            self._failed("requestheaders")

    def _captured(self, flow: http.HTTPFlow) -> Captured | None:
        entry = self.in_flight.get(flow.id)
        return entry[1] if entry is not None else None

    def request(self, flow: http.HTTPFlow) -> None:
        captured = self._captured(flow)
        if captured is not None:
            captured.request_body = flow.request.raw_content

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        try:
            captured = self._captured(flow)
            response = flow.response
            if captured is None or response is None:
                return
            captured.status = response.status_code
            captured.response_headers = list(response.headers.fields)
            captured.response_started = response.timestamp_start
            if response.status_code != 101 and not callable(response.stream):
                captured.tee = ChunkTee()
                response.stream = captured.tee
        except Exception:
            self._failed("responseheaders")

    def response(self, flow: http.HTTPFlow) -> None:
        captured = self._captured(flow)
        if captured is None or flow.response is None or flow.response.status_code == 101:
            return  # a WebSocket handshake is finished by websocket_end
        captured.ended = flow.response.timestamp_end
        if captured.tee is None:
            captured.body = flow.response.raw_content
        self._finish(flow, captured)

    def error(self, flow: http.HTTPFlow) -> None:
        captured = self._captured(flow)
        if captured is None or flow.websocket is not None:
            return
        captured.aborted = True
        captured.error = flow.error.msg if flow.error else "connection failed"
        self._finish(flow, captured)

    def websocket_end(self, flow: http.HTTPFlow) -> None:
        captured = self._captured(flow)
        if captured is None or flow.websocket is None:
            return
        captured.websocket = _messages(flow)
        if flow.error:
            captured.error = flow.error.msg
        if flow.websocket.timestamp_end:
            captured.ended = flow.websocket.timestamp_end
        self._finish(flow, captured)

    def _finish(self, flow: http.HTTPFlow, captured: Captured) -> None:
        try:
            if self.in_flight.pop(flow.id, None) is not None and self.spool is not None:
                self.spool.status.in_flight = len(self.in_flight)
                self.spool.submit(captured)
        except Exception:
            self._failed("finish")

    def done(self) -> None:
        """Shutdown: exchanges still in flight are journaled as aborted, the journal drained."""
        if self.spool is None:
            return
        for flow, captured in list(self.in_flight.values()):
            captured.aborted = True
            captured.error = captured.error or "recorder stopped mid-exchange"
            if flow.websocket is not None:
                captured.websocket = _messages(flow)
            self.spool.submit(captured)
        self.in_flight.clear()
        self.spool.status.in_flight = 0
        self.spool.stop()
        self.spool = None
        if self.ingester is not None and self.ingester.stdin is not None:
            self.ingester.stdin.close()  # the ingester reads the journal to its end, then exits
            try:
                self.ingester.wait(timeout=120)
            except subprocess.TimeoutExpired:
                log.warning(
                    "respdeck: the ingester is still storing; it finishes in the background"
                )


def _messages(flow: http.HTTPFlow) -> list[tuple[float, bool, bytes, bool]]:
    assert flow.websocket is not None
    return [(m.timestamp, m.from_client, m.content, m.is_text) for m in flow.websocket.messages]


def _shutdown_at_eof(loop: asyncio.AbstractEventLoop) -> None:
    """Wait for stdin to close (the parent is gone, even after a kill -9), then shut down the
    proxy the normal way: in-flight exchanges are journaled as aborted."""
    wait_for_eof(0)
    with contextlib.suppress(RuntimeError):  # the loop is already closed: we are exiting
        loop.call_soon_threadsafe(ctx.master.shutdown)


class _DropCancelled(logging.Filter):
    """Drop the traceback of a connection task cancelled at shutdown.

    Stopping mitmproxy with a stream in flight cancels that connection's task; in Python 3.12.1
    asyncio's stream callback then calls `task.exception()` (3.13 checks `task.cancelled()`
    first), which raises CancelledError, logged as an error with its traceback. Nothing is
    wrong: the addon has journaled the exchange as aborted.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


def _quiet_shutdown() -> None:
    # asyncio's logger reports it once mitmproxy's loop handler is gone (the last tasks are
    # cancelled after its run() returns), mitmproxy's own while it runs.
    for name in ("asyncio", "mitmproxy.master"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropCancelled) for f in logger.filters):
            logger.addFilter(_DropCancelled())
