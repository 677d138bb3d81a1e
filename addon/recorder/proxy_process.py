"""Running mitmdump with the respdeck addon as a child process, and wiring clients to it.

The inspector never imports mitmproxy: the proxy is a separate process, started from the same
environment, with the addon loaded as a script and configured through `--set` options.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import addon.recorder

SCRIPT = Path(addon.recorder.__file__).with_name("script.py")
CONFDIR = Path.home() / ".mitmproxy"  # mitmproxy's default: its CA lives there
CA_NAME = "mitmproxy-ca-cert.pem"


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
    upstream_ca: Path | None = None  # trust this CA (not the public ones) for the upstream
    confdir: Path | None = None  # mitmproxy's folder, where its CA is (default ~/.mitmproxy)

    def mitm_mode(self) -> str:
        if self.mode == "reverse":
            return f"reverse:{self.upstream}"
        return self.mode

    @property
    def address(self) -> str:
        host = _connect_host(self.host)
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    @property
    def ca_file(self) -> Path:
        """mitmproxy's CA certificate, which clients trust in regular and upstream mode."""
        return (self.confdir or CONFDIR) / CA_NAME

    def client_env(self) -> dict[str, str]:
        """What a client needs in its environment to go through the proxy."""
        if self.mode == "reverse":
            return {"OPENAI_BASE_URL": f"{self.address}/v1"}
        ca = str(self.ca_file)
        return {
            "HTTPS_PROXY": self.address,
            "HTTP_PROXY": self.address,
            "SSL_CERT_FILE": ca,  # Python: httpx (openai), ssl; Codex too
            "REQUESTS_CA_BUNDLE": ca,  # Python: requests
            "CURL_CA_BUNDLE": ca,  # curl (before SSL_CERT_FILE)
            "NODE_EXTRA_CA_CERTS": ca,  # Node.js: openai-node, fetch
            "NODE_USE_ENV_PROXY": "1",  # Node.js >= 24: honour HTTPS_PROXY in fetch
            "CODEX_CA_CERTIFICATE": ca,  # Codex CLI (it follows HTTPS_PROXY)
        }

    def codex_args(self) -> list[str]:
        """Codex ignores OPENAI_BASE_URL: its built-in OpenAI provider takes the base URL from
        its config, which `-c` overrides for one run (keeping its login, model and the
        WebSocket mode). Regular mode needs nothing: Codex follows HTTPS_PROXY."""
        return ["-c", f"openai_base_url={self.address}/v1"] if self.mode == "reverse" else []

    def client_command(self, command: list[str]) -> list[str]:
        """The command to run under the proxy: `codex ...` gets `codex_args()` (unless it sets
        its own openai_base_url); any other command is wired by its environment alone."""
        if not command or Path(command[0]).name != "codex":
            return command
        if any("openai_base_url" in arg for arg in command[1:]):
            return command
        return [command[0], *self.codex_args(), *command[1:]]


def _connect_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host


def mitmdump_path() -> str:
    local = Path(sys.executable).with_name("mitmdump")
    found = str(local) if local.exists() else shutil.which("mitmdump")
    if not found:
        raise ProxyError("mitmdump is not installed in this environment: reinstall respdeck")
    return found


def validate_url(option: str, url: str, example: str = "https://api.openai.com") -> str:
    """An http(s) URL with a host and at most a port, as mitmproxy takes an upstream (no
    path); returned without a trailing slash."""
    parts = urlsplit(url)
    try:
        port_ok = parts.port != 0
    except ValueError:  # not a number, or out of range
        port_ok = False
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not port_ok
        or parts.path.strip("/")
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ProxyError(
            f"bad {option} {url!r}: give a URL like {example} "
            "(http or https, a host, a port if needed, no path)"
        )
    return url.rstrip("/")


def validate_mode(mode: str) -> str:
    if mode in ("reverse", "regular"):
        return mode
    if mode.startswith("upstream:") and len(mode) > 9:
        return "upstream:" + validate_url("--mode upstream:URL", mode[9:], "http://proxy:3128")
    raise ProxyError(f"bad --mode {mode!r}: use reverse, regular or upstream:URL")


def validate_listen_host(host: str) -> str:
    """An IP address or a name this machine resolves ("" listens on every interface)."""
    if host == "":
        return host
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        raise ProxyError(
            f"bad --listen-host {host!r}: give an address of this machine, e.g. 127.0.0.1"
        ) from None
    return host


def validate_ca_file(path: Path) -> Path:
    """A readable file holding at least one PEM certificate."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
    except ssl.SSLError:  # before OSError, its base class
        raise ProxyError(
            f"bad --upstream-ca {str(path)!r}: no PEM certificate in it "
            "(-----BEGIN CERTIFICATE-----)"
        ) from None
    except OSError as exc:
        raise ProxyError(f"bad --upstream-ca {str(path)!r}: {exc.strerror or exc}") from exc
    return path


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
        if c.upstream_ca is not None:
            args += ["--set", f"ssl_verify_upstream_trusted_ca={c.upstream_ca}"]
        if c.confdir is not None:
            args += ["--set", f"confdir={c.confdir}"]
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


def with_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
