"""Migration 6 (UUID ids, no constraints) upgrades a database of every earlier version in place.

Each database is filled as that version's respdeck would have (tests/legacy_db), upgraded, and
compared row by row: every row is kept, its values unchanged, its ids mapped as documented
(addon/store/migrations_uuid), and the views give what they gave before.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from addon.importers import load_file
from addon.store import ids
from addon.store.migrations import LATEST, migrate
from addon.store.writer import Writer
from addon.wire.parse import parse_exchange
from addon.wire.result import ParsedExchange

from .conftest import RECORDINGS
from .legacy_db import legacy_database

CHILDREN = ("responses", "items", "events", "findings")


def parsed(*names: str) -> list[ParsedExchange]:
    """The recordings' exchanges, numbered in their capture as a capture numbers them."""
    out = [parse_exchange(e) for name in names for e in load_file(RECORDINGS / name)]
    for n, p in enumerate(out):
        p.exchange.index = n
    return out


def filled(version: int) -> duckdb.DuckDBPyConnection:
    """Capture 1 an import, capture 2 a recording with a stream left in flight, exchanges
    numbered from 10, and a finding whose exchange is gone (kept all the same)."""
    conn = duckdb.connect()
    recording = parsed("websocket_codex.har", "function_call_roundtrip.har", "stream_cut.har")
    recording[-1].exchange.index = -1  # a provisional row: seq -1, an id of its own
    legacy_database(
        conn,
        version,
        [
            ("import", "all.har", parsed("stream_text.har", "reasoning.har", "background.har")),
            ("record", "20260101T000000000000Z-1.rdj", recording),
        ],
        first_exchange=10,
    )
    conn.execute(
        "INSERT INTO findings (exchange_id, code, severity, message) "
        "VALUES (999, 'parser_error', 'error', 'orphan')"
    )
    return conn


def table(conn: duckdb.DuckDBPyConnection, name: str) -> list[dict[str, Any]]:
    result = conn.execute(f"SELECT * FROM {name}")
    names = [d[0] for d in result.description or []]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def expected_ids(conn: duckdb.DuckDBPyConnection) -> tuple[dict[int, str], dict[int, str]]:
    """old id -> UUID, for captures and exchanges, as the migration documents it."""
    captures = {int(r[0]): ids.legacy_capture_id(int(r[0])) for r in conn.execute(
        "SELECT capture_id FROM captures").fetchall()}  # fmt: skip
    exchanges = {999: ids.legacy_exchange_id(999)}
    seqs: dict[int, int] = {}
    for old, capture, position in conn.execute(
        "SELECT exchange_id, capture_id, position FROM exchanges ORDER BY exchange_id"
    ).fetchall():
        if position < 0:
            exchanges[old] = ids.in_flight_id(captures[capture], f"legacy:{old}")
        else:
            seqs[capture] = seqs.get(capture, -1) + 1
            exchanges[old] = ids.exchange_id(captures[capture], seqs[capture])
    return captures, exchanges


def key(row: dict[str, Any]) -> str:
    return repr(sorted(row.items(), key=lambda kv: kv[0]))


@pytest.mark.parametrize("version", range(1, 6))
def test_every_earlier_version_is_upgraded_in_place_with_its_data(version: int) -> None:
    conn = filled(version)
    captures, exchanges = expected_ids(conn)
    before = {name: table(conn, name) for name in ("captures", "exchanges", *CHILDREN)}
    views = {}
    if version >= 2:
        views["usage"] = conn.execute(
            "SELECT response_id, object, input_tokens, output_tokens FROM usage ORDER BY ALL"
        ).fetchall()
        views["tool_calls"] = conn.execute(
            "SELECT name, call_id, arguments, output FROM tool_calls ORDER BY ALL"
        ).fetchall()
    if version >= 3:
        views["threads"] = conn.execute(
            "SELECT thread_id, response_id, turn, parent_response_id, link FROM threads "
            "ORDER BY ALL"
        ).fetchall()

    assert migrate(conn) == LATEST

    after = {name: table(conn, name) for name in before}
    for name, rows in before.items():
        mapped = []
        for row in rows:
            row = dict(row)
            if "capture_id" in row:
                row["capture_id"] = captures[row["capture_id"]]
            if "exchange_id" in row:
                row["exchange_id"] = exchanges[row["exchange_id"]]
            mapped.append(row)
        got = [
            {k: str(v) if k in ("capture_id", "exchange_id") else v for k, v in r.items()}
            for r in after[name]
        ]
        # every row, every old column unchanged (columns added since hold their own values)
        trimmed = [{k: r[k] for k in mapped[0]} for r in got] if mapped else got
        assert sorted(map(key, trimmed)) == sorted(map(key, mapped)), name
    seqs = {str(r["exchange_id"]): r["seq"] for r in after["exchanges"]}
    for old, new in exchanges.items():
        if old != 999:
            position = next(r["position"] for r in before["exchanges"] if r["exchange_id"] == old)
            assert seqs[new] == (position if position >= 0 else -1)
    assert conn.execute(
        "SELECT DISTINCT constraint_type FROM duckdb_constraints() WHERE schema_name = 'main'"
    ).fetchall() == [("NOT NULL",)]
    for view, expected in views.items():
        query = {
            "usage": "SELECT response_id, object, input_tokens, output_tokens FROM usage",
            "tool_calls": "SELECT name, call_id, arguments, output FROM tool_calls",
            "threads": "SELECT thread_id, response_id, turn, parent_response_id, link FROM threads",
        }[view]
        assert conn.execute(f"{query} ORDER BY ALL").fetchall() == expected, view


def test_a_recording_resumed_after_the_upgrade_gets_ids_that_do_not_collide() -> None:
    conn = filled(5)
    migrate(conn)
    writer = Writer(conn)
    capture, stored = writer.resume_recording("20260101T000000000000Z-1.rdj")
    assert capture == ids.legacy_capture_id(2) and stored == 3
    (more,) = parsed("stream_text.har")
    new = writer.add(capture, more, stored)  # the journal's next record
    writer.flush()
    assert new == ids.exchange_id(capture, stored)
    assert conn.execute(
        "SELECT count(*), count(DISTINCT exchange_id) FROM exchanges"
    ).fetchone() == (13, 13)
    writer.end_recording(capture)  # the stream left in flight is not an exchange of the run
    assert conn.execute(
        f"SELECT count(*) FROM exchanges WHERE capture_id = '{capture}'"
    ).fetchone() == (4,)
