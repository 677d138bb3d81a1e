"""Replace a small file atomically and privately: readers see the old or the new file, never
half of one, and nobody but the owner can read it, not even for a moment (status files and
discovery files hold counts, addresses and tokens; in-flight snapshots hold prompts)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path


def replace_file(path: Path, data: bytes | str | Iterable[bytes]) -> None:
    """Write `data` to a private temporary file beside `path`, then rename it over `path`.

    The temporary name carries the process id, so two processes never share one; OSError
    propagates (callers for whom the file is a convenience suppress it).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    parts: Iterable[bytes]
    if isinstance(data, str):
        parts = (data.encode(),)
    elif isinstance(data, bytes):
        parts = (data,)
    else:
        parts = data
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            for part in parts:
                view = memoryview(part)
                while view:
                    view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
