"""Threads: explicit links, conversations, and stateless clients (Codex) matched by content.

The `threads` view (migration 3), `respdeck usage --by thread` and the TUI's thread view read
the same reconstruction; these tests drive it with the shipped Codex-shaped recordings, with
the other shipped recordings (whose threads must not change) and with small made-up sessions.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from addon.importers import load_file
from addon.store import ids
from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.migrations import migrate
from addon.store.migrations_text import VIEWS_V2
from addon.store.reindex import reindex
from addon.store.writer import Writer
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings
from addon.wire.parse import parse_exchange
from inspector.tui.fetch import fetch_thread

from .conftest import RECORDINGS
from .helpers import respdeck
from .legacy_db import legacy_database

CODEX_HTTP = RECORDINGS / "whole_input_codex.har"
CODEX_WS = RECORDINGS / "websocket_codex.har"
CODEX = ("whole_input_codex.har", "websocket_codex.har")


@pytest.fixture
def codex(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """The two Codex sessions: exchange 1 is the WebSocket one, 2-4 the HTTP turns."""
    conn = open_for_write(tmp_path / "codex.duckdb")
    assert import_paths(conn, [CODEX_WS, CODEX_HTTP]).exchanges == 4
    return conn


def recorded(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The exchanges' ids in the order they were recorded (capture start, capture, seq)."""
    return [
        str(r[0])
        for r in conn.execute(
            "SELECT e.exchange_id FROM exchanges e JOIN captures c USING (capture_id) "
            "ORDER BY c.started_at, e.capture_id, e.seq"
        ).fetchall()
    ]


def rows(conn: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    result = conn.execute(sql)
    names = [d[0] for d in result.description or []]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def test_a_codex_session_over_http_is_one_thread_in_order(
    codex: duckdb.DuckDBPyConnection,
) -> None:
    order = recorded(codex)
    turns = rows(
        codex,
        "SELECT r.exchange_id::VARCHAR AS exchange_id, t.* FROM responses r "
        "JOIN exchanges e USING (exchange_id) JOIN threads t ON t.response_id = r.response_id "
        f"WHERE r.exchange_id <> '{order[0]}' ORDER BY e.seq",
    )
    assert [t["exchange_id"] for t in turns] == order[1:]
    assert {t["thread_id"] for t in turns} == {turns[0]["response_id"]}  # named by its root
    assert [t["turn"] for t in turns] == [0, 1, 2]
    assert [t["link"] for t in turns] == [None, "content", "content"]
    assert [t["parent_response_id"] for t in turns[1:]] == [t["response_id"] for t in turns[:2]]
    # nothing explicit links them: no previous_response_id, no conversation
    assert all(t["previous_response_id"] is None and t["conversation_id"] is None for t in turns)


def test_usage_by_thread_sums_every_turn_of_the_session(tmp_path: Path) -> None:
    recs = tmp_path / "recs"
    recs.mkdir()
    shutil.copy(CODEX_HTTP, recs)
    assert respdeck("import", "recs", cwd=tmp_path).returncode == 0
    result = respdeck("usage", "--by", "thread", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()[2:] if line[:1] != "("]
    assert len(lines) == 2 and lines[1][0] == "TOTAL"  # one thread, then the total
    usage = [
        json.loads(e.response.body.split(b"event: response.completed\ndata: ")[1].split(b"\n")[0])[
            "response"
        ]["usage"]
        for e in load_file(CODEX_HTTP)
        if e.response
    ]
    sums = [
        len(usage),
        sum(u["input_tokens"] for u in usage),
        sum(u["input_tokens_details"]["cached_tokens"] for u in usage),
        sum(u["output_tokens"] for u in usage),
        sum(u["output_tokens_details"]["reasoning_tokens"] for u in usage),
    ]
    assert [int(v) for v in lines[0][1:6]] == sums
    assert lines[0][1:6] == lines[1][1:6]


def test_the_shipped_recordings_keep_the_threads_they_had(tmp_path: Path) -> None:
    conn = open_for_write(tmp_path / "all.duckdb")
    import_paths(conn, [RECORDINGS])
    start = VIEWS_V2.index("CREATE VIEW threads AS")
    v2 = VIEWS_V2[start : VIEWS_V2.index(";", start)]
    conn.execute(v2.replace("CREATE VIEW threads", "CREATE TEMP VIEW threads_v2"))
    others = (
        "SELECT r.response_id FROM responses r JOIN exchanges e USING (exchange_id) "
        "JOIN captures c USING (capture_id) "
        f"WHERE NOT ({' OR '.join(f'ends_with(c.source, {name!r})' for name in CODEX)})"
    )
    query = "SELECT thread_id, response_id, turn FROM {} WHERE response_id IN ({}) ORDER BY ALL"
    before = conn.execute(query.format("threads_v2", others)).fetchall()
    assert len(before) == 17
    assert conn.execute(query.format("threads", others)).fetchall() == before


def test_websocket_items_say_which_response_they_belong_to(
    codex: duckdb.DuckDBPyConnection,
) -> None:
    socket = recorded(codex)[0]
    items = codex.execute(
        f"SELECT response_index, direction, type FROM items WHERE exchange_id = '{socket}' "
        "ORDER BY response_index, direction, position"
    ).fetchall()
    assert items == [
        (0, "input", "message"),  # the warm-up: the context, nothing generated
        (0, "input", "message"),
        (1, "input", "message"),  # the request
        (1, "output", "reasoning"),
        (1, "output", "function_call"),
        (2, "input", "function_call_output"),  # only the call's output, chained
        (2, "output", "reasoning"),
        (2, "output", "message"),
    ]
    responses = codex.execute(
        "SELECT response_index, output_tokens FROM responses "
        f"WHERE exchange_id = '{socket}' ORDER BY 1"
    ).fetchall()
    assert [r[0] for r in responses] == [0, 1, 2] and responses[0][1] == 0


def test_a_websocket_thread_lists_its_turns_in_order_with_their_own_items(
    codex: duckdb.DuckDBPyConnection,
) -> None:
    socket = recorded(codex)[0]
    thread = fetch_thread(codex, socket)
    view = codex.execute(
        "SELECT DISTINCT thread_id FROM threads JOIN responses USING (response_id) "
        f"WHERE exchange_id = '{socket}'"
    ).fetchall()
    assert view == [(thread.thread_id,)]
    assert [t["response_index"] for t in thread.turns] == [0, 1, 2]  # the warm-up first
    assert [t["link"] for t in thread.turns] == [None, "previous_response_id"] * 1 + [
        "previous_response_id"
    ]
    warmup, request, answer = thread.turns
    assert warmup["outputs"] is None and "environment_context" in warmup["inputs"][-1]["text"]
    assert [i["text"] for i in request["inputs"]] == [
        "What does `tidy sort --dry-run` print on an empty folder? Try it."
    ]
    assert [o["type"] for o in request["outputs"]] == ["reasoning", "function_call"]
    assert [i["type"] for i in answer["inputs"]] == ["function_call_output"]
    assert answer["outputs"][-1]["text"].startswith("It prints `nothing to sort")


def test_the_http_thread_shows_each_turn_with_what_it_added(
    codex: duckdb.DuckDBPyConnection,
) -> None:
    order = recorded(codex)
    thread = fetch_thread(codex, order[2])
    assert [str(t["exchange_id"]) for t in thread.turns] == order[1:]
    assert thread.thread_id == thread.turns[0]["response_id"]
    first, second, third = thread.turns
    assert first["inputs"][-1]["text"].startswith("tests/test_dates.py fails")
    # later turns resend everything; what they added is the output of the call just made
    assert [i["type"] for i in second["inputs"]] == ["function_call_output"]
    assert "ValueError" in second["inputs"][0]["text"]
    assert [o["name"] for o in second["outputs"] if o["name"]] == ["shell"]
    assert third["outputs"][-1]["text"].startswith("Fixed: `parse_day`")
    costs = [t["cost_usd"] for t in thread.turns]
    assert all(c is not None and c > 0 for c in costs)  # gpt-5-codex has a price


# -- made-up sessions: which candidate wins ------------------------------------------------

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def said(text: str, n: int) -> dict[str, Any]:
    return {
        "id": f"msg_{n}",
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "annotations": [], "text": text}],
    }


def resent(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": item["content"][0]["text"]}],
    }


def turn(
    n: int,
    inputs: list[Any],
    output: list[dict[str, Any]],
    headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
    **body: Any,
) -> Exchange:
    """One non-streamed create, `n` minutes after T0, answered with response resp_<n>."""
    request = {"model": "gpt-5-mini", "input": inputs, "store": False, **body}
    response = {
        "id": f"resp_{n}",
        "object": "response",
        "created_at": 1772366400 + n,
        "status": "completed",
        "model": "gpt-5-mini-2025-08-07",
        "output": output,
        "usage": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
    }
    for key in ("previous_response_id", "conversation", "prompt_cache_key"):
        if key in body:
            response[key] = {"id": body[key]} if key == "conversation" else body[key]
    return Exchange(
        HttpRequest(
            "POST",
            "https://api.openai.com/v1/responses",
            [("content-type", "application/json"), *headers],
            json.dumps(request).encode(),
        ),
        HttpResponse(200, [("content-type", "application/json")], json.dumps(response).encode()),
        Timings(T0 + timedelta(minutes=n), 100.0, 200.0),
        index=n,
    )


def threaded(tmp_path: Path, exchanges: list[Exchange]) -> dict[str, tuple[str, int, str | None]]:
    """response id -> (thread id, turn, parent) once these exchanges are stored."""
    conn = open_for_write(tmp_path / "t.duckdb")
    writer = Writer(conn)
    capture = writer.add_capture("import", "made-up")
    for exchange in exchanges:
        writer.add(capture, parse_exchange(exchange))
    writer.flush()
    out = conn.execute("SELECT response_id, thread_id, turn, parent_response_id FROM threads")
    return {r[0]: (r[1], r[2], r[3]) for r in out.fetchall()}


A1, A2 = said("Paris.", 1), said("About 2.1 million.", 2)
HISTORY = [user("Capital of France?"), resent(A1), user("Its population?")]


def test_the_longest_prefix_wins_then_the_latest(tmp_path: Path) -> None:
    exchanges = [
        turn(1, [user("Capital of France?")], [A1]),
        turn(2, HISTORY, [A2]),
        turn(3, HISTORY, [A2]),  # the same turn again, answered the same: a retry
        turn(4, [*HISTORY, resent(A2), user("And Lyon?")], [said("About 520,000.", 4)]),
    ]
    got = threaded(tmp_path, exchanges)
    assert got["resp_2"] == ("resp_1", 1, "resp_1")
    assert got["resp_3"] == ("resp_1", 1, "resp_1")
    # resp_1's context is a prefix of the last input too: the longer one, the latest, wins
    assert got["resp_4"] == ("resp_1", 2, "resp_3")


def test_an_unrecorded_turn_links_to_the_turn_before_it(tmp_path: Path) -> None:
    exchanges = [
        turn(1, [user("Capital of France?")], [A1]),
        # turn 2 was never recorded
        turn(4, [*HISTORY, resent(A2), user("And Lyon?")], [said("About 520,000.", 4)]),
    ]
    assert threaded(tmp_path, exchanges)["resp_4"] == ("resp_1", 1, "resp_1")


def test_a_content_match_across_two_sessions_does_not_link(tmp_path: Path) -> None:
    madrid = said("Madrid.", 5)
    spain = [user("Capital of Spain?"), resent(madrid), user("Its population?")]
    exchanges = [
        turn(1, [user("Capital of France?")], [A1], [("session-id", "s1")]),
        turn(2, HISTORY, [A2], [("session-id", "s1")]),
        turn(3, HISTORY, [A2], [("thread-id", "s2")]),
        turn(4, HISTORY, [A2]),  # no session said: the content decides
        turn(5, [user("Capital of Spain?")], [madrid], prompt_cache_key="k1"),
        turn(6, spain, [said("About 3.3 million.", 6)], prompt_cache_key="k2"),
        turn(7, spain, [said("About 3.3 million.", 7)], prompt_cache_key="k1"),
    ]
    got = threaded(tmp_path, exchanges)
    assert got["resp_2"][2] == "resp_1"
    assert got["resp_3"] == ("resp_3", 0, None)  # another session: a thread of its own
    assert got["resp_4"][2] == "resp_1"
    assert got["resp_6"] == ("resp_6", 0, None)  # another prompt_cache_key
    assert got["resp_7"][2] == "resp_5"


def test_explicit_links_win_and_conversations_chain_in_time(tmp_path: Path) -> None:
    exchanges = [
        turn(1, [user("Capital of France?")], [A1]),
        turn(2, [user("Its population?")], [A2], previous_response_id="resp_1"),
        # resends resp_1's context, but says it continues resp_2: the explicit link wins
        turn(3, HISTORY, [said("2.1 million.", 3)], previous_response_id="resp_2"),
        turn(5, [user("Hi")], [said("Hello!", 5)], conversation="conv_1"),
        turn(6, [user("Bye")], [said("Goodbye!", 6)], conversation="conv_1"),
    ]
    got = threaded(tmp_path, exchanges)
    assert got["resp_2"] == ("resp_1", 1, "resp_1")
    assert got["resp_3"] == ("resp_1", 2, "resp_2")
    assert got["resp_5"] == ("conv_1", 0, None)
    assert got["resp_6"] == ("conv_1", 1, "resp_5")


# -- an existing database ---------------------------------------------------------------------


def test_migration_3_upgrades_a_version_2_database_and_reindex_fills_it(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "old.duckdb"))
    exchanges = [e for path in (CODEX_WS, CODEX_HTTP) for e in load_file(path)]
    legacy_database(conn, 2, [("import", "codex", [parse_exchange(e) for e in exchanges])])
    counts = conn.execute("SELECT (SELECT count(*) FROM items), count(*) FROM responses").fetchone()

    assert migrate(conn, target=3) == 3  # in place, with its data
    assert (
        conn.execute("SELECT (SELECT count(*) FROM items), count(*) FROM responses").fetchone()
        == counts
    )
    # what SQL can tell at once: the order of a socket's responses, an exchange's one response
    assert conn.execute(
        "SELECT list(response_index ORDER BY rowid) FROM responses WHERE exchange_id = 1"
    ).fetchone() == ([0, 1, 2],)
    single, total = conn.execute(
        "SELECT count(*) FILTER (WHERE response_index = 0), count(*) FROM items "
        "WHERE exchange_id > 1"
    ).fetchone() or (0, 0)
    assert single == total == 5 + 8 + 11
    links = "SELECT count(*) FILTER (WHERE link = 'content') FROM threads"
    assert conn.execute(links).fetchone() == (0,)  # content keys need the parser

    migrate(conn)  # the later migrations, then the parser again
    assert reindex(conn) == 4
    assert conn.execute(links).fetchone() == (2,)
    socket = ids.exchange_id(ids.legacy_capture_id(1), 0)  # what exchange 1 became
    assert conn.execute(
        f"SELECT count(*) FROM items WHERE exchange_id = '{socket}' AND response_index IS NULL"
    ).fetchone() == (0,)
    assert conn.execute(
        "SELECT count(DISTINCT session_key), count(content_hash) FROM responses"
    ).fetchone() == (2, 6)
