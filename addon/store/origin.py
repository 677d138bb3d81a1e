"""Where a capture comes from: the respdeck version, machine and user that made it."""

from __future__ import annotations

import contextlib
import functools
import getpass
import socket
from importlib.metadata import version


@functools.cache
def machine_and_user() -> tuple[str | None, str | None]:
    """Who makes a capture: the host name and the user (a team store gathers many)."""
    user = None
    with contextlib.suppress(Exception):  # no name for this uid (a container, say)
        user = getpass.getuser()
    return socket.gethostname() or None, user


@functools.cache  # importlib.metadata scans every distribution on sys.path: 1.4 ms a call
def respdeck_version() -> str:
    try:
        return version("respdeck")
    except Exception:  # running from a source tree that is not installed
        return "unknown"
