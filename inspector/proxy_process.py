"""Running mitmdump with the respdeck addon as a child process, and wiring clients to it.

The inspector never imports mitmproxy: the proxy is a separate process, started from the same
environment, with the addon loaded as a script and configured through `--set` options.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import addon.recorder

SCRIPT = Path(addon.recorder.__file__).with_name("script.py")
CA_FILE = Path.home() / ".mitmproxy" / "mitmproxy-ca-cert.pem"


class ProxyError(Exception):
    """The proxy could not start; one line for the user."""


@dataclass(slots=True)
class ProxyConfig:
    mode: str  # reverse, regular or upstream:URL
    upstream: str
    host: str
    port: int
    db: Path
    journal: Path
    run: str
    record_all: bool = False
    redact_headers: tuple[str, ...] = ()
    redact_json_paths: tuple[str, ...] = ()

    def mitm_mode(self) -> str:
        if self.mode == "reverse":
            return f"reverse:{self.upstream}"
        return self.mode

    def client_env(self) -> dict[str, str]:
        """What a client needs in its environment to go through the proxy."""
        address = f"http://{_connect_host(self.host)}:{self.port}"
        if self.mode == "reverse":
            return {"OPENAI_BASE_URL": f"{address}/v1"}
        ca = str(CA_FILE)
        return {
            "HTTPS_PROXY": address,
            "HTTP_PROXY": address,
            "SSL_CERT_FILE": ca,  # Python: httpx (openai), ssl
            "REQUESTS_CA_BUNDLE": ca,  # Python: requests
            "NODE_EXTRA_CA_CERTS": ca,  # Node.js: openai-node, fetch
            "NODE_USE_ENV_PROXY": "1",  # Node.js >= 24: honour HTTPS_PROXY in fetch
        }


def _connect_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host


def mitmdump_path() -> str:
    local = Path(sys.executable).with_name("mitmdump")
    found = str(local) if local.exists() else shutil.which("mitmdump")
    if not found:
        raise ProxyError("mitmdump is not installed in this environment: reinstall respdeck")
    return found


def validate_mode(mode: str) -> str:
    if mode in ("reverse", "regular") or (mode.startswith("upstream:") and len(mode) > 9):
        return mode
    raise ProxyError(f"bad --mode {mode!r}: use reverse, regular or upstream:URL")


@dataclass
class ProxyProcess:
    config: ProxyConfig
    process: subprocess.Popen[bytes] | None = None
    output: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    started: bool = False

    def command(self) -> list[str]:
        c = self.config
        args = [
            mitmdump_path(),
            "--mode", c.mitm_mode(),
            "--listen-host", c.host,
            "--listen-port", str(c.port),
            "-s", str(SCRIPT),
            "--set", f"respdeck_db={c.db}",
            "--set", f"respdeck_journal={c.journal}",
            "--set", f"respdeck_run={c.run}",
            "--set", "respdeck_ingest=false",
            "--set", "respdeck_stop_on_stdin_eof=true",
            "--set", f"respdeck_all={'true' if c.record_all else 'false'}",
            "--set", "flow_detail=0",
            "--set", "termlog_verbosity=warn",
        ]  # fmt: skip
        for name in c.redact_headers:
            args += ["--set", f"respdeck_redact_header={name}"]
        for path in c.redact_json_paths:
            args += ["--set", f"respdeck_redact_json_path={path}"]
        return args

    def start(self, timeout: float = 90.0) -> None:
        """Start mitmdump and wait until it accepts connections."""
        port_free(self.config.host, self.config.port)
        self.process = subprocess.Popen(
            self.command(),
            stdin=subprocess.PIPE,  # closed when this process ends, however: mitmdump stops
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our signal handler decides when it stops
        )
        threading.Thread(target=self._pump, daemon=True).start()
        process = self.process
        listening = wait_listening(
            _connect_host(self.config.host), self.config.port, lambda: process.poll() is None,
            timeout,
        )  # fmt: skip
        if process.poll() is not None:
            raise ProxyError(f"mitmdump exited at start: {self.last_error()}")
        if not listening:
            self.stop()
            raise ProxyError(f"mitmdump did not start listening on port {self.config.port}")
        self.started = True

    def _pump(self) -> None:
        """mitmdump logs warnings and errors only (termlog_verbosity=warn): pass them on once
        it runs (the addon's own warnings among them), and keep the last lines to explain a
        failed start."""
        assert self.process is not None and self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self.output.append(line)
                if self.started:
                    print(f"mitmdump: {line}", file=sys.stderr, flush=True)

    def last_error(self) -> str:
        time.sleep(0.1)  # let the pump read the last lines
        lines = [line for line in self.output if line.strip()]
        return lines[-1].strip() if lines else "no output"

    def stop(self, timeout: float = 120.0) -> int | None:
        """Ask mitmdump to shut down (its addon journals what is in flight) and wait."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def wait_listening(host: str, port: int, alive: Callable[[], bool], timeout: float) -> bool:
    """Wait until something accepts connections on the port; False if `alive()` turns false
    (the process meant to listen exited) or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def port_free(host: str, port: int) -> None:
    """Fail early and clearly when the port is taken (a connect test would find the squatter)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise ProxyError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def with_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
