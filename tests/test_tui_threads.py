"""The thread view and the Conversation tab on Codex-shaped sessions, driven with Pilot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from addon.store.queries import short_id
from addon.store.reader import Reader
from addon.store.sql_text import literal
from inspector.tui.app import BrowseApp
from inspector.tui.thread_screen import COLUMNS, ThreadScreen
from tests.test_tui_support import (
    RECORDINGS,
    SIZE,
    exchange_in,
    ready,
    run,
    seed,
    select_exchange,
    tab_text,
    text_of,
    wait_for,
)


@pytest.fixture(scope="module")
def codex_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Exchange 1: Codex over a WebSocket (three responses); 2-4: Codex over HTTP."""
    db = tmp_path_factory.mktemp("codex") / "codex.duckdb"
    return seed(db, [RECORDINGS / "websocket_codex.har", RECORDINGS / "whole_input_codex.har"])


def view_thread(db: Path, recording: str, position: int = 0) -> str:
    with Reader.open(db) as reader:
        exchange_id = exchange_in(reader, recording, position)
        (thread,) = reader.fetchall(
            "SELECT DISTINCT thread_id FROM threads JOIN responses USING (response_id) "
            f"WHERE exchange_id = {literal(exchange_id)}"
        )
    return str(thread[0])


def short_ids(db: Path, recording: str, positions: range) -> list[str]:
    with Reader.open(db) as reader:
        return [short_id(exchange_in(reader, recording, p)) for p in positions]


async def open_thread(pilot: Pilot[Any], recording: str, position: int, turns: int) -> ThreadScreen:
    await ready(pilot, 4)
    await select_exchange(pilot, recording, position)
    await pilot.press("t")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ThreadScreen), what="thread")
    screen = pilot.app.screen
    assert isinstance(screen, ThreadScreen)
    table = screen.query_one(DataTable)
    await wait_for(pilot, lambda: table.row_count == turns, what=f"{turns} turns")
    return screen


async def turn_texts(pilot: Pilot[Any], screen: ThreadScreen) -> list[str]:
    """What the pane under the table shows for each turn, going down the table."""
    table = screen.query_one(DataTable)
    body = screen.query_one("#turn-body", Static)
    table.move_cursor(row=0)
    out = []
    for row in range(table.row_count):
        if row:
            await pilot.press("down")
        await wait_for(pilot, lambda r=row: f"▌ turn {r + 1} ·" in text_of(body))  # type: ignore[misc]
        out.append(text_of(body))
    return out


def cells(screen: ThreadScreen, column: str) -> list[str]:
    table = screen.query_one(DataTable)
    index = COLUMNS.index(column)
    return [str(table.get_row_at(row)[index]) for row in range(table.row_count)]


def test_the_codex_session_is_one_thread_of_three_turns(codex_db: Path) -> None:
    expected = view_thread(codex_db, "whole_input_codex.har", 1)

    async def scenario() -> None:
        async with BrowseApp(codex_db).run_test(size=SIZE) as pilot:
            screen = await open_thread(pilot, "whole_input_codex.har", 1, 3)
            title = text_of(screen.query_one("#thread-title", Static))
            assert f"Thread {expected} · 3 turn(s)" in title
            assert cells(screen, "exchange") == short_ids(
                codex_db, "whole_input_codex.har", range(3)
            )
            assert cells(screen, "via") == ["", "content", "content"]
            inputs = cells(screen, "input")
            assert inputs[0].startswith("tests/test_dates.py fails")
            assert inputs[1].startswith("Exit code: 1 Wall time: 0.8 seconds Output: FFFF")
            assert not any("\\n" in c or "\n" in c for c in inputs)  # one line, no literal \n
            first, second, third = await turn_texts(pilot, screen)
            assert "function_call shell" in first and "python -m pytest -q" in first
            assert "ValueError: time data" in second and "apply_patch" in second
            assert "Fixed: parse_day now reads ISO dates" in third
            assert "Success. Updated the following files" in third  # what it added

    run(scenario)


def test_a_websocket_thread_lists_its_turns_in_order(codex_db: Path) -> None:
    expected = view_thread(codex_db, "websocket_codex.har")

    async def scenario() -> None:
        async with BrowseApp(codex_db).run_test(size=SIZE) as pilot:
            screen = await open_thread(pilot, "websocket_codex.har", 0, 3)
            title = text_of(screen.query_one("#thread-title", Static))
            assert f"Thread {expected} · 3 turn(s)" in title
            assert cells(screen, "via") == ["", "prev", "prev"]
            assert cells(screen, "out") == ["0", "104", "41"]
            warmup, request, answer = await turn_texts(pilot, screen)
            assert "environment_context" in warmup and "(no items)" in warmup
            assert "What does tidy sort --dry-run print" in request
            assert "function_call shell" in request and "It prints" not in request
            assert "nothing to sort in /tmp/empty" in answer and "It prints" in answer
            assert "What does tidy sort" not in answer  # only what this turn added

    run(scenario)


def test_the_conversation_of_a_websocket_session_goes_response_by_response(
    codex_db: Path,
) -> None:
    async def scenario() -> None:
        async with BrowseApp(codex_db).run_test(size=SIZE) as pilot:
            screen = await ready(pilot, 4)
            await select_exchange(pilot, "websocket_codex.har")
            text = tab_text(screen, "conversation")
            order = [
                "── input · response 1 ──",
                "environment_context",
                "── input · response 2 ──",
                "What does tidy sort",
                "── output · response 2 ──",
                "function_call · shell",
                "── input · response 3 ──",
                "function_call_output",
                "── output · response 3 ──",
                "It prints",
            ]
            at = [text.find(part) for part in order]
            assert -1 not in at and at == sorted(at), list(zip(order, at, strict=True))

    run(scenario)
