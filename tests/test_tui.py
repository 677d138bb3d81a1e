"""The browser, driven with Textual's Pilot over a database of the shipped recordings."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
from textual.command import CommandList, CommandPalette
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from addon.store.queries import short_id
from inspector.tui.app import BrowseApp
from inspector.tui.columns import COLUMNS
from inspector.tui.detail import EventsTable
from inspector.tui.error_screen import ErrorScreen
from inspector.tui.exchange_table import cell_text
from inspector.tui.help_screen import HelpScreen
from inspector.tui.thread_screen import ThreadScreen
from inspector.tui.usage_screen import UsageScreen
from tests.test_tui_support import (
    SIZE,
    apply_filter,
    detail_id,
    exchange_in,
    ready,
    run,
    seeded_db,
    select_exchange,
    tab_text,
    text_of,
    wait_for,
)

__all__ = ["seeded_db"]
TOTAL = 32


def test_list_shows_newest_first_and_the_detail_follows_the_cursor(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            table = screen.table
            first = table.selected
            assert first is not None and first["endpoint"] == "responses.websocket"
            times = [table.row_at(i)["started_at"] for i in range(TOTAL)]  # type: ignore[index]
            known = [t for t in times if t is not None]  # no time (raw SSE files) sorts last
            assert times == sorted(known, reverse=True) + [None] * (TOTAL - len(known))
            await pilot.press("down", "down")
            await wait_for(pilot, lambda: detail_id(app) == table.row_at(2)["exchange_id"])  # type: ignore[index]
            await pilot.press("end")
            await wait_for(pilot, lambda: table.cursor == TOTAL - 1)
            await wait_for(pilot, lambda: detail_id(app) == table.row_at(TOTAL - 1)["exchange_id"])  # type: ignore[index]
            await pilot.press("home")
            await wait_for(pilot, lambda: detail_id(app) == first["exchange_id"])
            await pilot.press("enter")  # into the detail, to scroll it; Esc comes back
            await wait_for(
                pilot, lambda: app.focused is not None and app.focused.id == "conversation-scroll"
            )
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.focused is table)
            assert "32 exchanges" in text_of(screen.query_one("#status", Static))

    run(scenario)


def test_filter_is_sql_over_the_exchanges_view(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            await apply_filter(pilot, "endpoint = 'responses.create' AND output_tokens > 40")
            await wait_for(pilot, lambda: screen.table.total == 7, what="7 rows")
            rows = [screen.table.row_at(i) for i in range(7)]
            assert all(r and r["endpoint"] == "responses.create" for r in rows)
            assert all(r and r["output_tokens"] > 40 for r in rows)
            await apply_filter(pilot, "cost_usd > 0.01")
            await wait_for(pilot, lambda: screen.table.total == 1)
            assert screen.table.row_at(0)["model"] == "gpt-4.1-2025-04-14"  # type: ignore[index]
            await apply_filter(pilot, "findings > 0 AND ttft_ms IS NOT NULL")
            await wait_for(pilot, lambda: screen.table.total == 7, what="7 rows")
            rows = [screen.table.row_at(i) or {} for i in range(7)]
            assert all(r.get("findings") and r.get("ttft_ms") is not None for r in rows)

    run(scenario)


def test_bad_filter_shows_duckdbs_message_and_keeps_the_last_good_result(
    seeded_db: Path,
) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            await apply_filter(pilot, "status = 429")
            await wait_for(pilot, lambda: screen.table.total == 1)
            await apply_filter(pilot, "no_such_column = 1")
            await wait_for(pilot, lambda: bool(screen.filter_bar.error), what="an error")
            error = screen.filter_bar.error
            assert "no_such_column" in error and "Binder Error" in error, error
            assert "LINE" not in error  # the generated query is not echoed
            assert screen.table.total == 1 and screen.spec.where == "status = 429"
            await apply_filter(pilot, "status = = 2")
            await wait_for(pilot, lambda: "Parser Error" in screen.filter_bar.error)
            assert screen.table.total == 1
            await apply_filter(pilot, "")
            await wait_for(pilot, lambda: screen.table.total == TOTAL)
            assert screen.filter_bar.error == ""

    run(scenario)


def test_text_search_over_items(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            await apply_filter(pilot, search="OCTOPUSES")
            await wait_for(pilot, lambda: screen.table.total == 1)
            assert screen.table.row_at(0)["endpoint"] == "responses.websocket"  # type: ignore[index]
            await apply_filter(pilot, "endpoint <> 'responses.websocket'", search="octopuses")
            await wait_for(pilot, lambda: screen.table.total == 0)
            assert "No exchanges match" in tab_text(screen, "conversation")

    run(scenario)


def test_sort_by_any_column_and_reverse(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            await pilot.press("s")  # next column: endpoint, ascending
            await wait_for(pilot, lambda: screen.spec.sort == "endpoint")
            ends = [screen.table.row_at(i)["endpoint"] for i in range(TOTAL)]  # type: ignore[index]
            assert ends == sorted(ends)
            await pilot.press("r")
            await wait_for(pilot, lambda: screen.spec.descending)
            ends = [screen.table.row_at(i)["endpoint"] for i in range(TOTAL)]  # type: ignore[index]
            assert ends == sorted(ends, reverse=True)
            screen.action_sort_by("cost_usd")
            await wait_for(pilot, lambda: screen.spec.sort == "cost_usd")
            costs = [screen.table.row_at(i)["cost_usd"] for i in range(TOTAL)]  # type: ignore[index]
            known = [c for c in costs if c is not None]
            assert known == sorted(known, reverse=True) and costs[: len(known)] == known
            # a click on a header sorts by that column
            x = screen.table.region.x + 1
            await pilot.click(screen.table, offset=(x - screen.table.region.x, 0))
            await wait_for(pilot, lambda: screen.spec.sort == "started_at")

    run(scenario)


def test_group_by_capture_and_by_thread(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            await pilot.press("g")
            await wait_for(pilot, lambda: screen.spec.group == "capture")
            await wait_for(pilot, lambda: screen.table.selected is not None)
            groups = [screen.table.row_at(i)["group"] for i in range(TOTAL)]  # type: ignore[index]
            # each capture's rows are together
            assert len(groups) == TOTAL and len(set(groups)) == 16
            assert all(
                groups.index(g) + groups.count(g) - 1
                == max(i for i, x in enumerate(groups) if x == g)
                for g in set(groups)
            )
            await pilot.press("g")
            await wait_for(pilot, lambda: screen.spec.group == "thread")
            await wait_for(pilot, lambda: screen.table.selected is not None)
            rows = [screen.table.row_at(i) for i in range(TOTAL)]
            by_id = {r["exchange_id"]: r["group"] for r in rows if r}

            def group(recording: str, position: int = 0) -> object:
                return by_id[exchange_in(screen.store, recording, position)]

            roundtrip = "function_call_roundtrip.har"
            assert group(roundtrip) == group(roundtrip, 1)  # the round trip is one thread
            assert group(roundtrip) != group("gzip_stream.har")
            codex = "whole_input_codex.har"
            assert group(codex) == group(codex, 1) == group(codex, 2)  # Codex over HTTP

    run(scenario)


def test_each_detail_tab(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            await select_exchange(pilot, "function_call_roundtrip.har")  # a streamed function call
            text = tab_text(screen, "conversation")
            assert "function_call · get_weather" in text
            assert '"city": "Paris"' in text  # arguments pretty-printed
            output = short_id(exchange_in(screen.store, "function_call_roundtrip.har", 1))
            assert f"output (exchange {output})" in text and "light rain" in text
            await pilot.press("2")
            table = screen.query_one(EventsTable)
            await wait_for(pilot, lambda: table.row_count > 0)
            assert table.row_count == len(screen.detail.detail.events)  # type: ignore[union-attr]
            await pilot.press("3")
            usage = tab_text(screen, "usage")
            assert "cost (USD)" in usage and "time to first token" in usage
            assert "price per 1M" in usage and "gpt-4.1-mini-2025-04-14" in usage
            await pilot.press("4")
            request = tab_text(screen, "request")
            assert "tools" in request and "function:get_weather" in request
            await pilot.press("5")
            raw = tab_text(screen, "raw")
            assert "POST https://api.openai.com/v1/responses" in raw
            assert "Bearer fp:" in raw and "event: response.created" in raw
            await pilot.press("6")
            assert "No findings" in tab_text(screen, "findings")  # exchange 13 has none

            await select_exchange(
                pilot, "function_call_roundtrip.har", 1
            )  # the output sent back, next to its call
            await pilot.press("1")
            text = tab_text(screen, "conversation")
            call = short_id(exchange_in(screen.store, "function_call_roundtrip.har"))
            assert "function_call_output" in text and f"get_weather (exchange {call})" in text

            await select_exchange(pilot, "reasoning.har")  # reasoning with encrypted content
            text = tab_text(screen, "conversation")
            assert "reasoning" in text and "encrypted reasoning (" in text
            assert "Working out the duration" in text

            await select_exchange(pilot, "web_search.har")  # web search
            assert "web_search_call" in tab_text(screen, "conversation")
            assert "Paris weather forecast" in tab_text(screen, "conversation")

            await select_exchange(pilot, "compact.har")  # compact
            assert "compacted context (encrypted" in tab_text(screen, "conversation")

            await select_exchange(pilot, "stream_cut.har")  # a cut stream: findings and a long gap
            await pilot.press("6")
            findings = tab_text(screen, "findings")
            assert "no_terminal_event" in findings and "sse_unterminated" in findings

    run(scenario)


def test_every_time_shows_its_unit_as_in_the_list(seeded_db: Path) -> None:
    unit = re.compile(r"^(\d+(\.\d)?ms|\d+\.\ds|\d+m\d\d)$")

    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, TOTAL)
            screen = await select_exchange(
                pilot, "function_call_roundtrip.har"
            )  # streamed: every time is known
            await pilot.press("3")
            await wait_for(pilot, lambda: "time to first token" in tab_text(screen, "usage"))
            usage = tab_text(screen, "usage").splitlines()
            labels = ("time to first byte", "time to first token", "duration")
            shown = {
                label: line.strip().removeprefix(label).strip()
                for label in labels
                for line in usage
                if line.strip().startswith(label)
            }
            assert len(shown) == 3 and all(unit.match(v) for v in shown.values()), shown
            # the same text as the list's cells, on the line a person sees
            table = screen.table
            line = table.render_line(table.cursor + 1 - int(table.scroll_y)).text
            by_key = {c.key: c for c in COLUMNS}
            row = table.selected
            assert row is not None
            for key, label in (("ttft_ms", "time to first token"), ("duration_ms", "duration")):
                assert cell_text(by_key[key], row) == shown[label]
                assert f" {shown[label]} " in line, (line, shown)
            events = screen.query_one(EventsTable)
            await pilot.press("2")
            await wait_for(pilot, lambda: events.row_count > 1)
            gaps = [str(events.get_cell_at(Coordinate(i, 2))) for i in range(1, events.row_count)]
            assert gaps and all(unit.match(g) for g in gaps), gaps

    run(scenario)


def test_thread_view_and_usage_screen(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            await select_exchange(pilot, "function_call_roundtrip.har", 1)
            await pilot.press("t")
            await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
            thread = app.screen
            turns = thread.query_one(DataTable)
            await wait_for(pilot, lambda: turns.row_count == 2, what="two turns")
            title = text_of(thread.query_one("#thread-title", Static))
            assert "2 turn(s)" in title and "$0.0002" in title
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)

            await pilot.press("u")
            await wait_for(pilot, lambda: isinstance(app.screen, UsageScreen))
            usage = app.screen
            await wait_for(pilot, lambda: "Total:" in text_of(usage.query_one("#usage-totals")))
            totals = text_of(usage.query_one("#usage-totals", Static))
            assert "24 responses" in totals and "$0.0358" in totals  # as `respdeck usage`
            by_model = text_of(usage.query_one("#usage-by-model", Static))
            assert "gpt-4.1-2025-04-14" in by_model and "█" in by_model
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)

    run(scenario)


def test_help_and_command_palette(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)
            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
            await pilot.press(*"group by thread")
            commands = app.screen.query_one(CommandList)
            await wait_for(pilot, lambda: commands.option_count > 0, what="palette matches")
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.spec.group == "thread", what="grouped")

    run(scenario)


def test_an_unusable_database_gives_a_message_not_a_traceback(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.duckdb"
    conn = duckdb.connect(str(foreign))
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.close()
    newer = tmp_path / "newer.duckdb"
    conn = duckdb.connect(str(newer))
    conn.execute(
        "CREATE TABLE schema_version (version INTEGER, name VARCHAR, applied_at TIMESTAMPTZ)"
    )
    conn.execute("INSERT INTO schema_version VALUES (99, 'future', now())")
    conn.close()
    cases = {
        foreign: "not a respdeck database",
        newer: "schema version 99",
        tmp_path / "missing.duckdb": "no database at",
    }
    for path, expected in cases.items():

        async def scenario(path: Path = path, expected: str = expected) -> None:
            app = BrowseApp(path)
            async with app.run_test(size=SIZE) as pilot:
                await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))
                await wait_for(pilot, lambda: app.screen.query_one("#error-text"))
                await pilot.pause()
                text = text_of(app.screen.query_one("#error-text", Static))
                assert expected in text, text
                await pilot.press("q")

        run(scenario)
