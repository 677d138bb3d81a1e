"""The append-only raw journal: every captured exchange, framed, before anything parses it.

The journal is the recorder's source of truth. The proxy appends each exchange (secrets already
fingerprinted) and flushes it when the exchange ends or fails; the ingester reads the file back
in order, parses and stores. One journal file per recording run; its records map one to one,
in order, onto the exchanges of that run's capture, so after a crash the records the database
lacks are exactly those past the capture's exchange count.

A record is `RDJ1 <meta length> <payload length>\\n`, the JSON metadata, the payload (request
body, response body, WebSocket message contents, concatenated), and a closing `\\n`. A record cut
short by a crash is never acknowledged and is ignored on reading.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from addon.store.location import is_team, team_journal_dir
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings, WsMessage

MAGIC = b"RDJ1 "
SUFFIX = ".rdj"
DONE_SUFFIX = ".rdj.done"  # fully ingested, run ended: nothing left to read
MAX_HEADER = 64


class JournalError(Exception):
    """A journal that cannot be written or read; the message is one line for the user."""


@dataclass(slots=True)
class Record:
    """One journal record: the exchange and what the proxy knew about its failure."""

    exchange: Exchange
    error: str | None = None
    flow_id: str | None = None  # the proxy's id of the flow, linking in-flight snapshots


def encode(exchange: Exchange, error: str | None = None, flow_id: str | None = None) -> list[bytes]:
    """Frame an exchange as the byte strings to append, bodies untouched (no copy)."""
    request, response = exchange.request, exchange.response
    parts = [request.body]
    meta: dict[str, Any] = {
        "request": {
            "method": request.method,
            "url": request.url,
            "headers": request.headers,
            "body": len(request.body),
        },
        "response": None,
        "timings": {
            "started_at": exchange.timings.started_at.isoformat()
            if exchange.timings.started_at
            else None,
            "ttfb_ms": exchange.timings.ttfb_ms,
            "duration_ms": exchange.timings.duration_ms,
        },
        "aborted": exchange.aborted,
        "error": error,
        "flow_id": flow_id,
    }
    if response is not None:
        meta["response"] = {
            "status": response.status,
            "headers": response.headers,
            "body": len(response.body),
            "chunks": response.chunks,
            "truncated": response.truncated,
        }
        parts.append(response.body)
    if exchange.websocket is not None:
        meta["websocket"] = [
            [m.offset_ms, m.from_client, m.is_text, len(m.content)] for m in exchange.websocket
        ]
        parts.extend(m.content for m in exchange.websocket)
    meta_bytes = json.dumps(meta, separators=(",", ":")).encode()
    payload = sum(len(p) for p in parts)
    header = MAGIC + f"{len(meta_bytes)} {payload}\n".encode()
    return [header, meta_bytes, *parts, b"\n"]


def decode(meta_bytes: bytes, payload: memoryview) -> Record:
    meta = json.loads(meta_bytes)
    pos = 0

    def take(size: int) -> bytes:
        nonlocal pos
        chunk = bytes(payload[pos : pos + size])
        pos += size
        return chunk

    req = meta["request"]
    request = HttpRequest(
        req["method"], req["url"], [tuple(h) for h in req["headers"]], take(req["body"])
    )
    response = None
    if (resp := meta.get("response")) is not None:
        response = HttpResponse(
            resp["status"],
            [tuple(h) for h in resp["headers"]],
            take(resp["body"]),
            [tuple(c) for c in resp["chunks"]] if resp.get("chunks") is not None else None,
            bool(resp.get("truncated")),
        )
    websocket = None
    if (messages := meta.get("websocket")) is not None:
        websocket = [
            WsMessage(offset, bool(from_client), take(size), bool(is_text))
            for offset, from_client, is_text, size in messages
        ]
    times = meta.get("timings") or {}
    started = times.get("started_at")
    exchange = Exchange(
        request,
        response,
        Timings(
            datetime.fromisoformat(started) if started else None,
            times.get("ttfb_ms"),
            times.get("duration_ms"),
        ),
        websocket=websocket,
        aborted=bool(meta.get("aborted")),
    )
    return Record(exchange, meta.get("error"), meta.get("flow_id"))


def frame_at(buffer: bytes | bytearray, pos: int) -> tuple[int, int, int] | None:
    """(meta start, meta length, payload length) of the record at `pos`, None if incomplete."""
    end = buffer.find(b"\n", pos, pos + MAX_HEADER)
    if end < 0:
        if len(buffer) - pos >= MAX_HEADER:
            raise JournalError(f"not a respdeck journal record at byte {pos}")
        return None
    line = bytes(buffer[pos:end])
    if not line.startswith(MAGIC):
        raise JournalError(f"not a respdeck journal record at byte {pos}")
    try:
        meta_len, payload_len = (int(x) for x in line[len(MAGIC) :].split())
    except ValueError as exc:
        raise JournalError(f"bad journal record header at byte {pos}") from exc
    if len(buffer) < end + 1 + meta_len + payload_len + 1:
        return None
    return end + 1, meta_len, payload_len


def frames(buffer: bytes | bytearray) -> Iterator[tuple[bytes, memoryview, int]]:
    """Each complete record at the start of `buffer`: its header, its payload (a view, valid
    while the loop runs) and the offset just past it (its closing newline included)."""
    pos = 0
    view = memoryview(buffer)
    try:
        while pos < len(buffer):
            frame = frame_at(buffer, pos)
            if frame is None:
                return
            start, meta_len, payload_len = frame
            end = start + meta_len + payload_len
            yield bytes(view[start : start + meta_len]), view[start + meta_len : end], end + 1
            pos = end + 1
    finally:
        view.release()


def split_records(buffer: bytes | bytearray) -> tuple[list[Record], int]:
    """The complete records at the start of `buffer`, and how many bytes they take."""
    records, taken = [], 0
    for meta, payload, after in frames(buffer):
        records.append(decode(meta, payload))
        taken = after
    return records, taken


def count_records(path: Path) -> int:
    """Complete records in a journal file, reading only their headers."""
    count = 0
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        pos = 0
        while pos < size:
            f.seek(pos)
            head = f.read(MAX_HEADER)
            frame = frame_at(head, 0)
            if frame is None:
                # a header is complete but its body may lie beyond what we read: check size
                end = head.find(b"\n")
                if end < 0 or not head.startswith(MAGIC):
                    break
                meta_len, payload_len = (int(x) for x in head[len(MAGIC) : end].split())
                frame = (end + 1, meta_len, payload_len)
            start, meta_len, payload_len = frame
            record_end = pos + start + meta_len + payload_len + 1
            if record_end > size:
                break
            count += 1
            pos = record_end
    return count


class JournalReader:
    """Reads one journal file from the start, record by record, as it grows."""

    def __init__(self, path: Path, read_size: int = 4 << 20) -> None:
        self.path = path
        self.read_size = read_size
        self.file: BinaryIO = path.open("rb")
        self.buffer = bytearray()

    def read_available(self) -> list[Record]:
        """Records completed since the last call (a partial last record waits for more)."""
        while True:
            data = self.file.read(self.read_size)
            if not data:
                break
            self.buffer += data
            if len(data) < self.read_size:
                break
        records, used = split_records(self.buffer)
        del self.buffer[:used]
        return records

    @property
    def pending_bytes(self) -> int:
        return len(self.buffer)

    def close(self) -> None:
        self.file.close()


class JournalFile:
    """The writing end: appends whole records and flushes each, from one thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise JournalError(f"cannot write the journal {path}: {exc.strerror or exc}") from exc
        self.fd = fd
        self.records = 0

    def append(
        self, exchange: Exchange, error: str | None = None, flow_id: str | None = None
    ) -> None:
        """Write one record straight to the file (unbuffered: it is on disk once this returns,
        as far as a crash of this process goes)."""
        parts = encode(exchange, error, flow_id)
        if sum(len(p) for p in parts) < (1 << 20):
            parts = [b"".join(parts)]  # one write for the common small record
        for part in parts:
            view = memoryview(part)
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
        self.records += 1

    def close(self) -> None:
        os.close(self.fd)


def run_name() -> str:
    """A journal file name that sorts by start time and never collides across processes."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + f"-{os.getpid()}{SUFFIX}"


def inflight_dir(journal_dir: Path, run: str) -> Path:
    """Where the proxy keeps a snapshot of each stream still in flight (one file each, see
    addon/recorder/snapshot)."""
    return journal_dir / (run.removesuffix(SUFFIX) + ".inflight")


def journal_dir_for(db_path: Path) -> Path:
    """Default journal folder: beside a database file; a team store's is local (its address
    is no folder to put one beside)."""
    if is_team(db_path):
        return team_journal_dir(db_path)
    return db_path.with_name(db_path.name + ".journal")


def run_files(journal_dir: Path) -> list[Path]:
    """Journal files not yet marked done, oldest first (names start with a UTC timestamp)."""
    if not journal_dir.is_dir():
        return []
    return sorted(p for p in journal_dir.iterdir() if p.name.endswith(SUFFIX))
