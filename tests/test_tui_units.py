"""The TUI's pure parts: SQL building, formatting, charts, rendering items."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from rich.console import Group

from addon.store.queries import (
    ListSpec,
    count_sql,
    ids_sql,
    parts_needed,
    view_sql,
)
from addon.store.reader import NotASelect, Query, Reader, error_text
from addon.store.sql_text import literal
from inspector.tui import fmt
from inspector.tui.charts import bar, bars
from inspector.tui.conversation import render_items, streamed_text
from inspector.tui.detail_render import event_rows
from inspector.tui.fetch import Detail, fetch_page, fetch_thread
from tests.test_tui_support import exchange_in, seeded_db, text_of

__all__ = ["seeded_db"]


def test_only_the_parts_a_filter_names_are_joined() -> None:
    assert parts_needed("model = 'x' AND status > 400") == set()
    assert parts_needed("cost_usd > 1") == {"cost"}
    assert parts_needed("thread_id = 'x'", "cost_usd") == {"cost", "thread"}
    # stored per exchange (migrations_list): no join
    assert parts_needed("INPUT_TOKENS > 1 and ttft_ms < 5", "cached_tokens") == set()
    assert parts_needed("findings > 0", "worst_severity") == set()
    for spec in (
        ListSpec(where="status = 200"),
        ListSpec(where="ttft_ms < 5 AND findings > 0", sort="cached_tokens"),
    ):
        sql = ids_sql(spec, 0, 100)
        assert "responses" not in sql and "FROM events" not in sql  # exchanges only
        assert "FROM findings" not in sql and "prices" not in sql
    assert "LIMIT 100 OFFSET 0" in sql
    assert "prices" in view_sql({"cost"}) and "prices" not in view_sql({"thread"})


def test_search_text_and_values_are_quoted() -> None:
    assert literal("it's") == "'it''s'"
    assert literal(None) == "NULL" and literal(3) == "3" and literal(True) == "TRUE"
    assert literal(datetime(2026, 1, 2, tzinfo=UTC)) == "TIMESTAMPTZ '2026-01-02T00:00:00+00:00'"
    sql = count_sql(ListSpec(search="o'clock"))
    assert "lower('o''clock')" in sql


def test_sort_toggles_and_pages_never_overlap() -> None:
    spec = ListSpec()
    assert spec.with_sort("started_at").descending is False
    assert spec.with_sort("model") == ListSpec(sort="model", descending=False)
    sql = ids_sql(ListSpec(sort="cost_usd", group="capture"), 200, 100)
    assert "ORDER BY group_at DESC NULLS LAST, capture_id DESC, cost_usd DESC NULLS LAST" in sql
    assert sql.rstrip().endswith("exchange_id DESC LIMIT 100 OFFSET 200")


def test_error_text_drops_the_echoed_query() -> None:
    conn = duckdb.connect()
    with pytest.raises(duckdb.Error) as caught:
        conn.execute("SELECT * FROM (SELECT 1 AS a) x WHERE (nope = 1)")
    text = error_text(caught.value)
    assert text.startswith("Binder Error") and "nope" in text
    assert "LINE" not in text and "\n" not in text


def test_a_live_query_must_stay_one_select() -> None:
    conn = duckdb.connect()
    remote = Query(conn, "quack:127.0.0.1:1")
    for bad in (
        "SELECT 1; DELETE FROM exchanges",
        "SELECT * FROM x WHERE (1=1); DROP TABLE x; --)",
        "DELETE FROM exchanges",
        "SELECT * FROM quack_query('quack:127.0.0.1:2', 'DELETE FROM x')",
    ):
        with pytest.raises(NotASelect):
            remote.execute(bad)
    with pytest.raises(NotASelect, match="Parser Error"):
        remote.execute("SELECT * FROM x WHERE status = = 1")


def test_formats() -> None:
    assert fmt.tokens(1234567) == "1,234,567" and fmt.tokens(None) == ""
    assert fmt.cost(0.0180061) == "0.0180" and fmt.cost(None, priced=False) == "?"
    assert fmt.cost(0.0000123) == "0.000012" and fmt.cost(1234.5) == "1,234.50"
    times = (0.42, 608.6, 999.7, 4311.9, 59_970, 125_000)
    assert [fmt.ms(t) for t in times] == ["0.4ms", "609ms", "1.0s", "4.3s", "1m00", "2m05"]
    assert fmt.ms(None) == ""
    assert fmt.fit("abcdef", 4) == "abc…" and fmt.fit("ab", 4) == "ab  "
    assert fmt.one_line("a\nb", 10) == "a\\nb"
    assert fmt.headers('[["a", "1"], ["b", "2"]]') == [("a", "1"), ("b", "2")]
    assert fmt.headers("garbage") == []


def test_bars_use_eighths_of_a_cell() -> None:
    assert bar(1, 1, 4) == "████"
    assert bar(0.5, 1, 3) == "█▌"
    assert bar(0.001, 1, 10) == "▏"
    assert bar(0, 1, 10) == "" and bar(1, 0, 10) == ""
    assert bars(["a", "bbb"], [2.0, 1.0], 2) == ["a   ██", "bbb █"]


def _item(direction: str, raw: dict[str, object], position: int = 0) -> dict[str, object]:
    return {
        "exchange_id": 1,
        "direction": direction,
        "position": position,
        "type": raw.get("type"),
        "call_id": raw.get("call_id"),
        "role": raw.get("role"),
        "status": raw.get("status"),
        "raw": json.dumps(raw),
    }


def test_every_kind_of_item_renders() -> None:
    image = base64.b64encode(b"\x89PNG" + b"\0" * 2044).decode()
    items = [
        _item("input", {"type": "message", "role": "developer", "content": "Be **brief**."}),
        _item(
            "output",
            {
                "type": "message",
                "role": "assistant",
                "phase": "commentary",
                "content": [{"type": "output_text", "text": "Checking."}],
            },
        ),
        _item(
            "output",
            {
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": "**Plan** the patch"}],
                "encrypted_content": "x" * 1500,
            },
        ),
        _item(
            "output",
            {
                "type": "custom_tool_call",
                "name": "apply_diff",
                "call_id": "c1",
                "input": "*** Begin Patch",
            },
        ),
        _item(
            "output", {"type": "shell_call", "call_id": "c2", "action": {"commands": ["ls -la"]}}
        ),
        _item(
            "output",
            {
                "type": "apply_patch_call",
                "call_id": "c3",
                "operation": {"type": "update_file", "path": "a.py", "diff": "@@"},
            },
        ),
        _item(
            "output",
            {
                "type": "mcp_call",
                "server_label": "docs",
                "name": "search",
                "arguments": '{"q": "x"}',
                "output": "found",
            },
        ),
        _item(
            "output",
            {
                "type": "image_generation_call",
                "status": "completed",
                "result": image,
                "size": "1024x1024",
                "output_format": "png",
            },
        ),
        _item("output", {"type": "code_interpreter_call", "code": "print(1)", "outputs": []}),
        _item("output", {"type": "file_search_call", "queries": ["refunds"], "results": []}),
        _item("output", {"type": "item_reference", "id": "msg_9"}),
        _item("output", {"type": "brand_new_item", "x": 1}),
    ]
    related = [
        _item("input", {"type": "custom_tool_call_output", "call_id": "c1", "output": "patched"})
        | {"exchange_id": 2}
    ]
    text = text_of(Group(*render_items(items, related)))
    for expected in (
        "developer · message",
        "Be brief.",
        "assistant · message · phase: commentary",
        "Plan the patch",
        "encrypted reasoning (1,500 bytes)",
        "custom_tool_call · apply_diff",
        "output (exchange 2)",
        "patched",
        "shell_call",
        "ls -la",
        "apply_patch_call",
        "update_file",
        "server docs search",
        "output: found",
        "image 1024x1024, png, 2.0 KiB",
        "print(1)",
        "queries: refunds",
        "reference to msg_9",
        "brand_new_item",
        "no output recorded",
    ):
        assert expected in text, expected


def test_a_stream_still_arriving_shows_its_text_so_far() -> None:
    events = [
        {"type": "response.output_text.delta", "output_index": 0, "delta": "Hel"},
        {"type": "response.reasoning_summary_text.delta", "output_index": 0, "delta": "think"},
        {"type": "response.output_text.delta", "output_index": 0, "delta": "lo"},
        {"type": "response.output_text.delta", "output_index": 1, "delta": "!"},
        {"type": "response.created", "output_index": None, "delta": None},
    ]
    assert streamed_text(events) == [
        (0, "reasoning summary", "think"),
        (0, "text", "Hello"),
        (1, "text", "!"),
    ]
    text = text_of(Group(*render_items([], [], events)))
    assert "output (streaming)" in text and "Hello" in text


def test_long_gaps_and_findings_stand_out_in_the_timeline() -> None:
    times = [0, 10, 20, 30, 2000, 2010]
    detail = Detail(
        exchange={"exchange_id": 1},
        row={},
        events=[
            {
                "idx": i,
                "t_ms": t,
                "type": "response.output_text.delta",
                "delta": "x",
                "sequence_number": i,
            }
            for i, t in enumerate(times)
        ],
        findings=[{"code": "sequence_gap", "event_index": 5}],
    )
    rows = event_rows(detail)
    assert [r[6] for r in rows] == [False, False, False, False, True, False]
    assert rows[4][2] == 1970 and rows[5][7] == ["sequence_gap"]


def test_page_and_thread_from_a_stored_exchange(seeded_db: Path) -> None:
    store = Reader.open(seeded_db)
    try:
        call = exchange_in(store, "function_call_roundtrip.har")
        output = exchange_in(store, "function_call_roundtrip.har", 1)
        newest = [exchange_in(store, "websocket.har"), exchange_in(store, "gzip_stream.har")]
        with store.cursor("detail") as cur:
            page = fetch_page(cur, ListSpec(), 0, 100, "threads")
            thread = fetch_thread(cur, output)
    finally:
        store.close()
    assert [r["exchange_id"] for r in page][:2] == newest and len(page) == 32
    assert [t["exchange_id"] for t in thread.turns] == [call, output]


def test_list_cost_is_the_usage_views_cost(seeded_db: Path, tmp_path: Path) -> None:
    """One cost: the list prices each response with the usage view's SQL (host, service tier,
    day, input band), so they agree, priority-tier responses included."""
    import shutil

    from addon.store.db import open_for_write
    from addon.store.migrations_list import fill_list_columns

    db = tmp_path / "copy.duckdb"
    shutil.copy(seeded_db, db)
    conn = open_for_write(db)
    conn.execute(
        "UPDATE exchanges SET started_at = TIMESTAMPTZ '2026-11-15 12:00:00+00' "
        "WHERE started_at IS NOT NULL"
    )
    conn.execute("UPDATE responses SET service_tier = 'priority' WHERE model LIKE 'gpt-4.1%'")
    fill_list_columns(conn)  # rows changed by SQL: the exchanges' stored tiers follow
    listed = dict(
        conn.execute(f"SELECT exchange_id, cost_usd FROM ({view_sql({'cost'})})").fetchall()
    )
    usage = conn.execute(
        "SELECT exchange_id, sum(cost_usd), count(*) FILTER (service_tier = 'priority') "
        "FROM usage GROUP BY exchange_id"
    ).fetchall()
    conn.close()
    assert any(cost is not None and tiered for _, cost, tiered in usage)
    for exchange_id, cost, _ in usage:
        if cost is None:
            assert listed[exchange_id] is None, exchange_id
        else:
            assert listed[exchange_id] == pytest.approx(cost, rel=1e-12), exchange_id
