"""Snapshots of the main screens (pytest-textual-snapshot; update with --snapshot-update)."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from inspector.tui.app import BrowseApp
from inspector.tui.detail import EventsTable
from inspector.tui.error_screen import ErrorScreen
from inspector.tui.thread_screen import ThreadScreen
from inspector.tui.usage_screen import UsageScreen
from tests.test_tui_support import (
    RECORDINGS,
    SIZE,
    apply_filter,
    main_screen,
    ready,
    seed,
    select_exchange,
    text_of,
    utc,
    wait_for,
)

__all__ = ["utc"]
DB = Path("respdeck.duckdb")  # relative, so the path shown is the same on every machine


@pytest.fixture(scope="module")
def snapshot_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped recordings, imported with capture ids drawn in a fixed order: ids are
    random (uuid4), and the thread screen shows them."""
    drawn = itertools.count(1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(drawn), version=4))
        return seed(tmp_path_factory.mktemp("snapshots") / DB.name, [RECORDINGS])


@pytest.fixture
def in_db_folder(snapshot_db: Path, utc: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(snapshot_db.parent)


def snap(snap_compare: Any, run_before: Any, app: BrowseApp | None = None) -> None:
    assert snap_compare(app or BrowseApp(DB), terminal_size=SIZE, run_before=run_before)


@pytest.mark.usefixtures("in_db_folder")
def test_snapshot_main_screen(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot, 32)

    snap(snap_compare, run_before)


@pytest.mark.usefixtures("in_db_folder")
def test_snapshot_function_call_conversation(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot, 32)
        await select_exchange(pilot, "function_call_roundtrip.har")

    snap(snap_compare, run_before)


@pytest.mark.usefixtures("in_db_folder")
def test_snapshot_events_timeline(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot, 32)
        screen = await select_exchange(pilot, "stream_cut.har")
        await pilot.press("2")
        table = screen.query_one(EventsTable)
        await wait_for(pilot, lambda: table.row_count > 0)

    snap(snap_compare, run_before)


@pytest.mark.usefixtures("in_db_folder")
def test_snapshot_bad_filter(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await ready(pilot, 32)
        await apply_filter(pilot, "model = 'gpt-5' AND nonsense > 1")
        await wait_for(pilot, lambda: bool(screen.filter_bar.error))

    snap(snap_compare, run_before)


@pytest.mark.usefixtures("in_db_folder")
def test_snapshot_grouped_by_thread(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await ready(pilot, 32)
        await pilot.press("g", "g")
        await wait_for(pilot, lambda: screen.spec.group == "thread")
        await wait_for(pilot, lambda: screen.table.selected is not None)

    snap(snap_compare, run_before)


@pytest.mark.usefixtures("in_db_folder")
def test_snapshot_thread_screen(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot, 32)
        await select_exchange(pilot, "function_call_roundtrip.har", 1)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ThreadScreen))
        screen = pilot.app.screen
        turns = screen.query_one(DataTable)
        body = screen.query_one("#turn-body")
        # the rows, the cursor on the selected exchange's turn, and that turn shown (a
        # snapshot taken on the row count alone could catch the first turn in the pane)
        await wait_for(
            pilot,
            lambda: (
                turns.row_count == 2
                and turns.cursor_row == 1
                and "▌ turn 2 ·" in text_of(body)
                and "Thread" in text_of(screen.query_one("#thread-title"))
            ),
        )
        await pilot.pause()

    snap(snap_compare, run_before)


@pytest.mark.usefixtures("in_db_folder")
def test_snapshot_usage_screen(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot, 32)
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, UsageScreen))
        await wait_for(
            pilot, lambda: "Total" in text_of(pilot.app.screen.query_one("#usage-totals"))
        )

    snap(snap_compare, run_before)


def test_snapshot_unrecognised_database(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    conn = duckdb.connect("notes.duckdb")
    conn.execute("CREATE TABLE notes (body VARCHAR)")
    conn.close()

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ErrorScreen))
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#error-text"))

    snap(snap_compare, run_before, BrowseApp(Path("notes.duckdb")))


@pytest.mark.usefixtures("in_db_folder")
def test_snapshot_help(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot, 32)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "HelpScreen")
        assert main_screen  # the help is over the main screen

    snap(snap_compare, run_before)
