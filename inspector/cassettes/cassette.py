"""A test's cassette: where it lives, how it is read, checked for secrets and written.

The path follows pytest-recording: `{test dir}/cassettes/{module}/{test name}.yaml`, the
test's name made file-safe (parametrized ids keep their brackets, lose what a file system
refuses). The format is the VCR exporter's YAML (`addon.exporters`' `vcr`), which VCR.py loads
and a reviewer reads in a pull request; it is read back with `addon.importers.load_file`.

Before anything is written the secret scanner (`addon.wire.secrets`) reads every part of every
exchange and then the cassette's own text: the recorder fingerprints secret headers, but a key
pasted into a request body is sent as is, and a cassette holding it must never reach the disk.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from addon.wire.exchange import Exchange, Headers

SUFFIX = ".yaml"
MAX_NAME = 150  # characters of a file name before it is shortened (with a hash kept)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\s]+')


def file_safe(name: str) -> str:
    """`name` as a file name on any system: each run of characters a file system refuses
    (or a shell would trip on) is one `-`; a long name keeps its start and a hash."""
    safe = _UNSAFE.sub("-", name).strip(".-") or "cassette"
    if len(safe) > MAX_NAME:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        safe = f"{safe[: MAX_NAME - 13]}-{digest}"
    return safe


def default_path(test_file: Path, test_name: str, class_name: str | None = None) -> Path:
    """`{test dir}/cassettes/{module}/{Class.}{test name}.yaml`."""
    name = f"{class_name}.{test_name}" if class_name else test_name
    return test_file.parent / "cassettes" / test_file.stem / (file_safe(name) + SUFFIX)


def chosen_path(test_file: Path, default: Path, cassette: str | Path | None) -> Path:
    """The cassette a marker names: a bare name is a file beside the default one (so tests
    can share it), a path is relative to the test's folder (or absolute); None: the default."""
    if cassette is None:
        return default
    given = Path(cassette)
    if given.is_absolute():
        return given
    if len(given.parts) == 1:
        name = given.name if given.suffix in (".yaml", ".yml") else file_safe(given.name) + SUFFIX
        return default.with_name(name)
    return test_file.parent / given


def load(path: Path) -> list[Exchange]:
    """The exchanges of the cassette at `path`, in order (ImportFailure if it is unreadable)."""
    from addon.importers import load_file

    return load_file(path)


def render(exchanges: Iterable[Exchange]) -> bytes:
    """The cassette's bytes: the VCR exporter's YAML."""
    from addon.exporters import get

    return b"".join(get("vcr").chunks(exchanges))


def _decoded(body: bytes, headers: Headers) -> str:
    """A body as text, content-encoding undone (a gzip body hides a key from a text scan)."""
    from addon.wire.decoding import BodyDecoder
    from addon.wire.exchange import header

    decoder = BodyDecoder(header(headers, "content-encoding"))
    data = decoder.feed(body) + decoder.close() if decoder.active else body
    return data.decode("utf-8", "replace")


def _parts(ex: Exchange) -> Iterator[tuple[str, str]]:
    """(part, text) for each part of an exchange a secret could hide in."""
    yield "URL", ex.request.url
    yield "request body", _decoded(ex.request.body, ex.request.headers)
    if ex.response is not None:
        yield "response body", _decoded(ex.response.body, ex.response.headers)
    for n, message in enumerate(ex.websocket or ()):
        yield f"WebSocket message {n + 1}", message.content.decode("utf-8", "replace")


def secret_findings(exchanges: Sequence[Exchange], data: bytes) -> list[str]:
    """Where secrets are, one short line each (the kind and the place, never the secret):
    every part of every exchange, then the cassette's text for anything else."""
    from addon.wire.secrets import find_secrets, header_secrets

    found: list[str] = []
    for n, ex in enumerate(exchanges):
        where = f"exchange {n + 1} ({ex.request.method} {ex.request.path})"
        for kind in header_secrets(ex.request.headers):
            found.append(f"{kind} in the request headers of {where}")
        if ex.response is not None:
            for kind in header_secrets(ex.response.headers):
                found.append(f"{kind} in the response headers of {where}")
        for part, text in _parts(ex):
            found += [f"{s.kind} in the {part} of {where}" for s in find_secrets(text)]
    if not found:
        text = data.decode("utf-8", "replace")
        found = [f"{s.kind} at line {s.line} of the cassette" for s in find_secrets(text)]
    return found


def write(path: Path, data: bytes) -> None:
    """Write the cassette atomically (a reader sees the old one or the new one)."""
    from addon.atomic import replace_file

    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, data)
    path.chmod(0o644)  # replace_file makes it private; a cassette is meant to be committed
