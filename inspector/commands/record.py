"""`respdeck record`: put a recording proxy between an application and the Responses API.

mitmdump runs as a child process with the respdeck addon, which journals every exchange; this
process holds the database, stores the journal as it grows (the ingester), serves the database
to live readers, and shows a status line. With `-- CMD ARGS...` it runs the command wired to
the proxy and stops recording when the command exits, passing on its exit code.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

from addon.recorder.ingest_process import IngestProcess
from addon.recorder.ingest_status import IngestStats
from addon.recorder.journal import journal_dir_for, run_name
from addon.recorder.proxy_process import (
    ProxyConfig,
    ProxyError,
    ProxyProcess,
    validate_ca_file,
    validate_listen_host,
    validate_mode,
    validate_url,
    with_env,
)
from addon.recorder.spool import ProxyStatus, read_status
from addon.store.location import db_path, describe

from ._common import db_option, stop_on_signals


def status_line(stats: IngestStats, proxy: ProxyStatus | None) -> str:
    """One line: what is stored, what is waiting, what went wrong."""
    journaled = proxy.journaled if proxy else stats.journaled_seen
    queue = (proxy.queued if proxy else 0) + max(0, journaled - stats.journaled_seen)
    parts = [
        f"{stats.exchanges:,} exchanges",
        f"{stats.tokens:,} tokens",
        f"{stats.errors:,} errors",
        f"queue {queue:,}",
    ]
    if proxy and proxy.in_flight:
        parts.append(f"{proxy.in_flight} in flight")
    if proxy and proxy.direct_writes:
        parts.append(f"behind: {proxy.direct_writes:,} journaled by the proxy itself")
    if proxy and proxy.addon_errors:
        parts.append(f"{proxy.addon_errors} addon errors (see log)")
    if stats.db_error:
        parts.append("database unavailable: journal only")
    if proxy and proxy.journal_error:
        parts.append(f"JOURNAL FAILING: {proxy.journal_error}")
    return "respdeck: " + " · ".join(parts)


class StatusPrinter:
    """A status line redrawn in place on a terminal; on a pipe, a line when something changed."""

    def __init__(self, ingest: IngestProcess, status_file: Path, enabled: bool) -> None:
        self.ingest, self.status_file, self.enabled = ingest, status_file, enabled
        self.tty = sys.stderr.isatty()
        self._stop = threading.Event()
        self._last = ""
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        if self.enabled:
            self._thread.start()

    def line(self) -> str:
        return status_line(self.ingest.stats(), read_status(self.status_file))

    def _run(self) -> None:
        interval = 0.5 if self.tty else 2.0
        while not self._stop.wait(interval):
            self.show()

    def show(self) -> None:
        line = self.line()
        if line == self._last:
            return
        self._last = line
        if self.tty:
            sys.stderr.write("\r\x1b[K" + line)
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def stop(self) -> None:
        self._stop.set()
        if self.enabled and self._thread.is_alive():
            self._thread.join()
            if self.tty:
                sys.stderr.write("\n")


@click.command(context_settings={"ignore_unknown_options": False})
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
    help="Port to listen on.",
)  # fmt: skip
@click.option("--listen-host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--upstream",
    default="https://api.openai.com",
    show_default=True,
    help="The API to forward to (reverse mode).",
)
@click.option(
    "--mode",
    default="reverse",
    show_default=True,
    help="reverse, regular (HTTPS_PROXY), or upstream:URL (chain to another proxy).",
)
@click.option(
    "--upstream-ca",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Trust this CA (PEM), instead of the public ones, for the upstream's TLS.",
)
@click.option(
    "--confdir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="mitmproxy's folder, where its CA is created (default ~/.mitmproxy).",
)
@db_option
@click.option(
    "--journal",
    type=click.Path(path_type=Path),
    help="Journal folder (default: beside the database; a team store's under recordings/).",
)
@click.option(
    "--all",
    "record_all",
    is_flag=True,
    help="Record all traffic, not only the Responses/Conversations API.",
)
@click.option(
    "--redact-header", multiple=True, metavar="NAME", help="Also fingerprint this header."
)
@click.option(
    "--redact-json-path",
    multiple=True,
    metavar="PATH",
    help="Blank a JSON path in stored bodies (e.g. input.*.content).",
)
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def record(
    port: int,
    listen_host: str,
    upstream: str,
    mode: str,
    upstream_ca: Path | None,
    confdir: Path | None,
    db: Path | None,
    journal: Path | None,
    record_all: bool,
    redact_header: tuple[str, ...],
    redact_json_path: tuple[str, ...],
    command: tuple[str, ...],
) -> None:
    """Record traffic until Ctrl-C, or around `-- CMD ARGS...`."""
    try:  # every option checked before anything starts: one line each, exit 2
        mode = validate_mode(mode)
        upstream = validate_url("--upstream", upstream)
        listen_host = validate_listen_host(listen_host)
        if upstream_ca is not None:
            upstream_ca = validate_ca_file(upstream_ca).resolve()
        from addon.wire.redact import Redactor

        Redactor.from_options(redact_header, redact_json_path)
    except (ProxyError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    database = db_path(db)
    journal_dir = journal or journal_dir_for(database)
    run = run_name()
    config = ProxyConfig(
        mode, upstream, listen_host, port, database, journal_dir, run,
        record_all, redact_header, redact_json_path, upstream_ca,
        confdir.resolve() if confdir else None,
    )  # fmt: skip
    code = _record(config, list(command))
    sys.exit(code)


def _record(config: ProxyConfig, command: list[str]) -> int:
    ingest = IngestProcess(config)
    opened = ingest.start()
    if opened.state == "failed":
        click.echo(
            f"respdeck: WARNING: cannot store into the database ({opened.db_error}); "
            f"recording to the journal {config.journal}, stored as soon as the database can "
            "be opened (by this run, or the next `respdeck record`)",
            err=True,
        )
    proxy = ProxyProcess(config)
    with stop_on_signals() as stop_requested:
        try:
            proxy.start()
        except ProxyError as exc:
            ingest.stop()
            raise click.ClickException(str(exc)) from exc
        env = config.client_env()
        status_file = config.journal / (config.run.removesuffix(".rdj") + ".status.json")
        printer = StatusPrinter(ingest, status_file, enabled=not command)
        _announce(config, env, opened, command)
        printer.start()
        code = 0
        try:
            if command:
                code = _run_command(config.client_command(command), env, stop_requested)
            else:
                while not stop_requested.wait(0.2) and proxy.running:
                    pass
                if not proxy.running and not stop_requested.is_set():
                    click.echo(f"\nrespdeck: mitmdump stopped: {proxy.last_error()}", err=True)
                    code = 1
        finally:
            proxy.stop()  # the addon journals in-flight exchanges as aborted, then exits
            stats = ingest.stop()
            printer.stop()
        click.echo(
            f"respdeck: recorded {stats.exchanges:,} exchanges ({stats.tokens:,} tokens, "
            f"{stats.errors:,} errors) into {describe(config.db)}"
            + (f" (+{stats.caught_up:,} from earlier runs)" if stats.caught_up else "")
            + (f"; journal only, in {config.journal}" if stats.db_error else ""),
            err=True,
        )
        return code


def _announce(
    config: ProxyConfig, env: dict[str, str], opened: IngestStats, command: list[str]
) -> None:
    where = f"http://{config.host}:{config.port}"
    lines = [f"respdeck: recording on {where} ({config.mitm_mode()}) into {describe(config.db)}"]
    if opened.live_url:
        lines.append("respdeck: live readers: `respdeck sql`, `respdeck browse` (same --db)")
    wired = config.client_command(command)
    if wired != command:
        added = " ".join(wired[1 : len(wired) - len(command) + 1])
        lines.append(f"respdeck: running codex with {added} (Codex ignores OPENAI_BASE_URL)")
    if not command:
        lines.append("Point your client at it:")
        lines += [f"  export {k}={v}" for k, v in env.items()]
        if config.mode == "reverse":
            lines.append(f"  codex {' '.join(config.codex_args())} ...   # Codex CLI")
        else:
            lines.append(
                "  (the CA file appears after the first start; trust it only on machines you own)"
            )
        lines.append("Ctrl-C to stop.")
    click.echo("\n".join(lines), err=True)


def _run_command(command: list[str], env: dict[str, str], stop: threading.Event) -> int:
    try:
        child = subprocess.Popen(command, env=with_env(env))
    except OSError as exc:
        raise click.ClickException(f"cannot run {command[0]}: {exc.strerror or exc}") from exc
    while True:
        try:
            return child.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            if stop.is_set():  # our Ctrl-C: the command got it too (same terminal group)
                stop.clear()
                child.send_signal(signal.SIGINT)
            time.sleep(0)
