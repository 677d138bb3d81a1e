"""Waiting in functional tests: deadlines that extend while progress is seen, one scale factor.

A loaded CI machine runs everything slower, the ingester (at background priority) slowest of
all. A fixed deadline there fails a test that was only slow; no deadline at all hangs a test
that is stuck. So every wait here has a base timeout, multiplied by RESPDECK_TEST_TIMEOUT_SCALE
(default 1), and restarted whenever a progress probe reports something new (a counter grew, a
file got longer): a wait fails only after a whole timeout without progress, or after
HARD_CAP timeouts in all. Every loop sleeps between polls.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Hashable
from typing import IO, Any

SCALE_ENV = "RESPDECK_TEST_TIMEOUT_SCALE"
HARD_CAP = 5  # a wait never lasts longer than this many (scaled) timeouts, progress or not
INTERVAL = 0.1  # seconds between polls


def scale() -> float:
    try:
        value = float(os.environ.get(SCALE_ENV, "") or 1)
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


def scaled(seconds: float) -> float:
    """A base timeout as this machine gets it."""
    return seconds * scale()


Probe = Callable[[], Hashable]


class Deadline:
    """`timeout` (scaled) from now, restarted each time `progress` returns something new."""

    def __init__(self, timeout: float, progress: Probe | None = None) -> None:
        self.timeout = scaled(timeout)
        self.progress = progress
        now = time.monotonic()
        self.started = now
        self.end = now + self.timeout
        self.hard = now + self.timeout * HARD_CAP
        self.extended = 0
        self._last = progress() if progress is not None else None

    def expired(self) -> bool:
        now = time.monotonic()
        if self.progress is not None and now < self.hard:
            token = self.progress()
            if token != self._last:
                self._last = token
                self.end = min(now + self.timeout, self.hard)
                self.extended += 1
        return now >= self.end

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def describe(self) -> str:
        waited = time.monotonic() - self.started
        return (
            f"waited {waited:.1f} s (timeout {self.timeout:.0f} s, extended {self.extended} "
            f"times on progress; {SCALE_ENV}={scale():g})"
        )


def wait_until[T](
    fetch: Callable[[], T],
    ok: Callable[[T], bool] = bool,
    *,
    timeout: float,
    progress: Probe | None = None,
    what: str | Callable[[T | None], str] = "",
    retry_on: tuple[type[BaseException], ...] = (),
    interval: float = INTERVAL,
) -> T:
    """Poll `fetch` until `ok(value)`; the value. Fails with the last value and `what`."""
    deadline = Deadline(timeout, progress)
    value: T | None = None
    error: BaseException | None = None
    while True:
        try:
            value, error = fetch(), None
            if ok(value):
                return value
        except retry_on as exc:
            error = exc
        if deadline.expired():
            said = what(value) if callable(what) else what
            raise AssertionError(
                f"timed out: {deadline.describe()}; last value {value!r}"
                + (f", last error {error!r}" if error else "")
                + (f"\n{said}" if said else "")
            )
        time.sleep(interval)


def wait_exit(
    process: subprocess.Popen[Any],
    *,
    timeout: float,
    progress: Probe | None = None,
    what: str | Callable[[], str] = "",
) -> int:
    """The exit code of `process`, waited for on progress; killed (and failed) past the deadline."""
    try:
        code = wait_until(
            process.poll,
            lambda code: code is not None,
            timeout=timeout,
            progress=progress,
            what=lambda _: what() if callable(what) else what,
            interval=0.05,
        )
    except AssertionError:
        process.kill()
        process.wait()
        raise
    assert code is not None
    return code


class Lines[S: (str, bytes)]:
    """Lines of a subprocess's pipe read by a thread, so that waiting for one has a deadline."""

    def __init__(self, stream: IO[S]) -> None:
        self._queue: queue.SimpleQueue[S | None] = queue.SimpleQueue()
        self.seen: list[S] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[S]) -> None:
        try:
            for line in iter(stream.readline, stream.read(0)):
                self._queue.put(line)
        except (OSError, ValueError):  # closed under us
            pass
        self._queue.put(None)

    def next(self, timeout: float, progress: Probe | None = None) -> S | None:
        """The next line; None at end of file. Fails past the deadline."""
        deadline = Deadline(timeout, progress)
        while True:
            try:
                line = self._queue.get(timeout=min(0.5, max(0.01, deadline.remaining())))
            except queue.Empty:
                if deadline.expired():
                    raise AssertionError(
                        f"no line from the pipe: {deadline.describe()}; so far {self.seen!r}"
                    ) from None
                continue
            if line is not None:
                self.seen.append(line)
            return line
