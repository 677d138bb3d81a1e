"""`none` mode keeps a test off the network: a connection to any non-loopback host fails it.

The classic silent bypass is a client built before the fixture (at import time, in a module
fixture) that still holds the real URL: its calls go to the live API and the test passes
while the cassette is ignored. Patching an HTTP library would miss the next one (openai moved
to httpx2, and transport patching stopped intercepting it), so the guard sits where every
client ends up: `socket.socket.connect` / `connect_ex` (asyncio's `sock_connect` and
`socket.create_connection` call them too) and `socket.getaddrinfo` (a lookup of a name that
is not local, which on a machine without a network fails before any connect). For the test's
duration only, these refuse with `ConnectionRefusedError` and note what was tried, so the test
fails at its end even when the client swallowed the error. Loopback (127.0.0.0/8, ::1,
`localhost`) and Unix sockets stay open: the replay server is local.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

_LOCAL_NAMES = ("localhost", "localhost.", "ip6-localhost")


def is_loopback(host: object) -> bool:
    """Whether `host` (an address or a name) is this machine's loopback."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _target(address: Any) -> tuple[str | None, object]:
    """(host, port) of a connect address; host None for what is no IP socket address."""
    if isinstance(address, tuple) and address:
        return str(address[0]), address[1] if len(address) > 1 else None
    return None, None


class NetworkGuard:
    """Refuse non-loopback connections while installed; `attempts` says what was refused."""

    def __init__(self) -> None:
        self.attempts: list[str] = []
        self._saved: list[tuple[Any, str, Any]] = []

    def _refuse(self, host: object, port: object) -> ConnectionRefusedError:
        what = f"{host}:{port}" if port is not None else str(host)
        self.attempts.append(what)
        return ConnectionRefusedError(
            f"respdeck: record mode none refuses a connection to {what} (not loopback); "
            "the client should use the cassette's base URL (OPENAI_BASE_URL)"
        )

    def install(self) -> NetworkGuard:
        guard = self
        connect: Callable[..., Any] = socket.socket.connect
        connect_ex: Callable[..., Any] = socket.socket.connect_ex
        getaddrinfo: Callable[..., Any] = socket.getaddrinfo

        def guarded_connect(sock: socket.socket, address: Any) -> Any:
            host, port = _target(address)
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(host):
                raise guard._refuse(host, port)
            return connect(sock, address)

        def guarded_connect_ex(sock: socket.socket, address: Any) -> Any:
            host, port = _target(address)
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(host):
                guard._refuse(host, port)
                return 111  # ECONNREFUSED
            return connect_ex(sock, address)

        def guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if not is_loopback(host) and not _is_ip(host):
                raise guard._refuse(host, port)
            return getaddrinfo(host, port, *args, **kwargs)

        self._saved = [
            (socket.socket, "connect", connect),
            (socket.socket, "connect_ex", connect_ex),
            (socket, "getaddrinfo", getaddrinfo),
        ]
        # Replacing methods of the class is the point (typeshed types them as fixed methods).
        socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
        socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]
        socket.getaddrinfo = guarded_getaddrinfo
        return self

    def uninstall(self) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved = []


def _is_ip(host: object) -> bool:
    """A numeric address: resolving it reads no network (its connect is what is guarded)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        ipaddress.ip_address(str(host).strip("[]").split("%", 1)[0])
        return True
    except ValueError:
        return False
