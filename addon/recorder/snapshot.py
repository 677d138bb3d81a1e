"""Snapshots of streams in flight: one file per stream, that grows by what arrived since.

The proxy's journal thread shows each stream still arriving to the ingester, every 0.5 s, in
`<journal>/<run>.inflight/<flow id>.rdj`. Writing the whole exchange each time would cost
the proxy (and the ingester reading it) time quadratic in a long stream, so the file is a head
and appends: its first record is an ordinary journal record (addon/recorder/journal: the
request, the response's status and headers, the chunks so far), written atomically; each later
one, framed the same way, holds only the chunks that arrived since (`{"more": [[offset_ms,
size], ...], "duration_ms": ...}` and their bytes).

Robust as the journal is: a record is used only once it is whole (a torn append, a reader
racing the writer, waits or is ignored); an append that failed leaves the file to be replaced
by a new head (a new file, a new inode: the reader starts over); the proxy removes the file
once the final record is journaled, and the ingester never shows a stream whose final record
it has stored. A stream whose bytes are redacted by JSON path (`--redact-json-path`, which
rewrites whole SSE lines) gets a whole new head each time instead of appends.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from addon.atomic import replace_file
from addon.wire.exchange import Exchange

from .journal import MAGIC, SUFFIX, JournalError, Record, decode, encode, frames


@dataclass(slots=True)
class More:
    """Chunks appended to a snapshot: (offset ms, size) each, and their bytes, joined."""

    chunks: list[tuple[float, int]]
    data: bytes
    duration_ms: float | None


def snapshot_path(folder: Path, flow_id: str) -> Path:
    return folder / f"{flow_id}{SUFFIX}"


def write_head(folder: Path, flow_id: str, exchange: Exchange) -> None:
    """Start (or start over) the snapshot of one stream: atomically, a new file."""
    folder.mkdir(mode=0o700, exist_ok=True)
    replace_file(snapshot_path(folder, flow_id), encode(exchange, None, flow_id))


def append_more(
    folder: Path,
    flow_id: str,
    chunks: list[tuple[float, int]],
    parts: list[bytes],
    duration_ms: float | None,
) -> None:
    """Append the chunks that arrived since the last snapshot, as one framed record."""
    meta = json.dumps({"more": chunks, "duration_ms": duration_ms}, separators=(",", ":"))
    payload = sum(len(p) for p in parts)
    record = [MAGIC + f"{len(meta)} {payload}\n".encode(), meta.encode(), *parts, b"\n"]
    fd = os.open(snapshot_path(folder, flow_id), os.O_WRONLY | os.O_APPEND)
    try:
        view = memoryview(b"".join(record))
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def parse_records(buffer: bytes | bytearray) -> tuple[list[Record | More], int]:
    """The whole records at the start of `buffer` and the bytes they take; a head decodes
    as a journal Record, an append as More."""
    out: list[Record | More] = []
    pos = 0
    for meta, payload, after in frames(buffer):
        if buffer[after - 1 : after] != b"\n":
            raise JournalError(f"a snapshot record not closed at byte {after - 1}")
        if meta.startswith(b'{"more":'):
            fields = json.loads(meta)
            chunks = [(float(ms), int(size)) for ms, size in fields["more"]]
            out.append(More(chunks, bytes(payload), fields.get("duration_ms")))
        else:
            out.append(decode(meta, payload))
        pos = after
    return out, pos


class SnapshotReader:
    """Reads one snapshot file as it grows, from where it left off. A file replaced (another
    inode) or shorter than what was read is read again from its start: its head comes first,
    and the caller starts that stream over."""

    __slots__ = ("buffer", "inode", "offset", "path")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.inode = -1
        self.offset = 0
        self.buffer = bytearray()

    def read(self) -> list[Record | More]:
        """The records completed since the last call; OSError when the file is gone,
        JournalError when it is not a snapshot (the caller skips it)."""
        with self.path.open("rb") as f:
            stat = os.fstat(f.fileno())
            if stat.st_ino != self.inode or stat.st_size < self.offset:
                self.inode, self.offset = stat.st_ino, 0
                self.buffer = bytearray()
            if stat.st_size == self.offset:
                return []
            f.seek(self.offset)
            data = f.read(stat.st_size - self.offset)
        self.offset += len(data)
        self.buffer += data
        records, used = parse_records(self.buffer)
        del self.buffer[:used]
        return records
