"""Sides of a diff, from what a user names: an exchange id (or its prefix), a response id, or
`FILE#N` (the Nth exchange of a recording file, 0-based), and for `--capture` a capture id or
a whole file. A file is read into a scratch store in memory, so its tokens, cost and timings
come from the same SQL as a database's; nothing is written anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import orjson

from addon.store.db import StoreError, open_scratch
from addon.store.importer import import_paths
from addon.store.load import Executes, websocket_messages
from addon.store.queries import resolve_capture, resolve_exchange, short_id
from addon.store.queries.common import TOKEN_FIELDS, normal_row
from addon.store.queries.sides import (
    capture_exchanges_sql,
    nth_exchange_sql,
    sides_sql,
)
from addon.store.reader import Reader

from .side import DiffSide

_FILE_N = re.compile(r"(?P<path>.+)#(?P<n>-?\d+)")


class DiffTrouble(Exception):
    """What a side names cannot be read: an unknown id, an unreadable file (one line)."""


def side_from_row(row: dict[str, Any], label: str) -> DiffSide:
    """A side from one `sides_sql` row (pure)."""
    turn_requests = creates(row) if row.get("websocket") is not None else []
    request = turn_requests[-1] if turn_requests else json_or_none(row["request_body"])
    response = json_or_none(row.get("response_raw"))
    status = row.get("status")
    if response is None and (row.get("error_code") or row.get("error_message")):
        response = {"error": {"code": row.get("error_code"), "message": row.get("error_message")}}
    started = row.get("started_at")
    return DiffSide(
        label=label,
        request=request if isinstance(request, dict) else {},
        response=response if isinstance(response, dict) else None,
        http_status=status,
        endpoint=row.get("endpoint"),
        usage={f: row.get(f) for f in (*TOKEN_FIELDS, "cost_usd")},
        timing={"ttft_ms": row.get("ttft_ms"), "duration_ms": row.get("duration_ms")},
        events=dict(row.get("events") or {}),
        findings=list(row.get("findings") or []),
        exchange_id=row.get("exchange_id"),
        capture_id=row.get("capture_id"),
        response_id=row.get("response_id"),
        started_at=started.isoformat() if started is not None else None,
        method=str(row.get("method") or "POST"),
        path=str(row.get("path") or ""),
        request_body=bytes(row.get("request_body") or b""),
        turn_requests=turn_requests,
    )


def json_or_none(value: Any) -> Any:
    if value is None:
        return None
    try:
        return orjson.loads(
            bytes(value) if isinstance(value, bytes | bytearray | memoryview) else value
        )
    except orjson.JSONDecodeError:
        return None


def creates(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A WebSocket session's `response.create` messages, as create bodies, in order."""
    messages = (
        websocket_messages(
            row["websocket"], row.get("websocket_frames"), row.get("websocket_payload")
        )
        or []
    )
    bodies = []
    for message in messages:
        data = json_or_none(message.content) if message.from_client and message.is_text else None
        if isinstance(data, dict) and data.get("type") == "response.create":
            inner = data.get("response")
            body = inner if isinstance(inner, dict) else data
            bodies.append({k: v for k, v in body.items() if k != "type"})
    return bodies


def sides_from_store(
    store: Executes, ids: Sequence[str], labels: Sequence[str] = ()
) -> list[DiffSide]:
    """The sides of `ids`, in that order (labels default to short ids)."""
    if not ids:
        return []
    result = store.execute(sides_sql(list(ids)))
    names = [d[0] for d in result.description]
    rows: dict[str, dict[str, Any]] = {}
    for values in result.fetchall():
        row = normal_row(names, values)
        rows[str(row["exchange_id"])] = row
    sides = []
    for n, exchange_id in enumerate(ids):
        found = rows.get(str(exchange_id))
        if found is None:
            raise DiffTrouble(f"no exchange {exchange_id}")
        sides.append(side_from_row(found, labels[n] if n < len(labels) else short_id(exchange_id)))
    return sides


def side_from_store(store: Executes, exchange_id: str, label: str = "") -> DiffSide:
    """One exchange's side (what the TUI diffs)."""
    return sides_from_store(store, [exchange_id], [label] if label else [])[0]


class Sources:
    """Opens what the specs name, once each: the database (lazily, only if an id is given)
    and a scratch store per recording file. Use as a context manager."""

    def __init__(self, db: Path | None, open_reader: Any = None) -> None:
        self.db = db
        self._open_reader = open_reader or Reader.open
        self._reader: Reader | None = None
        self._files: dict[Path, tuple[Any, str]] = {}  # path -> (scratch conn, capture id)
        self._stack = ExitStack()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        for conn, _ in self._files.values():
            conn.close()
        self._files.clear()
        self._stack.close()

    def reader(self) -> Reader:
        if self._reader is None:
            if self.db is None:
                raise DiffTrouble("no database: give --db, or FILE#N for a recording file")
            try:
                self._reader = self._stack.enter_context(self._open_reader(self.db))
            except StoreError as exc:
                raise DiffTrouble(str(exc)) from exc
        return self._reader

    def file(self, path: Path) -> tuple[Any, str]:
        """The scratch store holding `path` and the file's capture id."""
        path = path.expanduser()
        if path not in self._files:
            if not path.is_file():
                raise DiffTrouble(f"{path}: no such file")
            conn = open_scratch()
            report = import_paths(conn, [path])
            row = conn.execute("SELECT capture_id::VARCHAR FROM captures").fetchone()
            if report.failed or row is None:
                conn.close()
                why = report.failed[0] if report.failed else f"{path}: no exchanges in it"
                raise DiffTrouble(why)
            self._files[path] = (conn, str(row[0]))
        return self._files[path]

    def side(self, spec: str) -> tuple[Executes, DiffSide]:
        """The exchange `spec` names, and the store it is in."""
        found = _FILE_N.fullmatch(spec)
        if found and Path(found["path"]).expanduser().exists():
            conn, capture = self.file(Path(found["path"]))
            n = int(found["n"])
            row = conn.execute(nth_exchange_sql(capture, n)).fetchone() if n >= 0 else None
            if row is None:
                count = len(conn.execute(capture_exchanges_sql(capture)).fetchall())
                raise DiffTrouble(
                    f"{found['path']} has {count} exchanges (0 to {count - 1}): no #{n}"
                )
            return conn, side_from_store(conn, str(row[0]), spec)
        if found and ("/" in found["path"] or "." in found["path"]):
            raise DiffTrouble(f"{found['path']}: no such file")
        if found is None and Path(spec).expanduser().is_file():
            raise DiffTrouble(f"{spec} is a file: name one of its exchanges as {spec}#N (0-based)")
        reader = self.reader()
        try:
            exchange_id = resolve_exchange(reader, spec)
        except StoreError as exc:
            raise DiffTrouble(str(exc)) from exc
        return reader, side_from_store(reader, exchange_id, spec)

    def capture(self, spec: str) -> tuple[str, list[DiffSide]]:
        """The exchanges of the capture `spec` names (an id or prefix, or a recording file),
        in recorded order, and its name: the capture id, or the file (whose exchanges are
        labelled FILE#N, what `respdeck diff` takes to compare one pair alone)."""
        if Path(spec).expanduser().is_file():
            conn, capture = self.file(Path(spec))
            ids = [str(r[0]) for r in conn.execute(capture_exchanges_sql(capture)).fetchall()]
            return spec, sides_from_store(conn, ids, [f"{spec}#{n}" for n in range(len(ids))])
        reader = self.reader()
        try:
            capture = resolve_capture(reader, spec)
        except StoreError as exc:
            raise DiffTrouble(str(exc)) from exc
        ids = [str(r[0]) for r in reader.execute(capture_exchanges_sql(capture)).fetchall()]
        return capture, sides_from_store(reader, ids)
