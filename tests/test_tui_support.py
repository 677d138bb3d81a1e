"""Shared pieces of the TUI tests: a seeded database, driving the app, reading what it shows."""

from __future__ import annotations

import asyncio
import io
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console, RenderableType
from textual.pilot import Pilot
from textual.widgets import Static

from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.reader import Reader
from addon.store.sql_text import literal
from inspector.tui.app import BrowseApp
from inspector.tui.main_screen import MainScreen

ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = ROOT / "recordings"
SIZE = (140, 45)


def seed(db: Path, paths: list[Path]) -> Path:
    conn = open_for_write(db)
    try:
        import_paths(conn, paths)
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    return db


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped recordings imported once (32 exchanges in 16 captures)."""
    return seed(tmp_path_factory.mktemp("tui") / "respdeck.duckdb", [RECORDINGS])


@pytest.fixture
def utc() -> Iterator[None]:
    """Times are shown in local time: pin it for stable screens."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


DEADLINE = 120.0  # seconds: only a hang takes this long; a wait ends when its condition holds


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], what: str = "") -> None:
    """Until `condition` holds (checked between the app's steps), or a generous deadline."""
    deadline = time.monotonic() + DEADLINE
    while True:
        try:
            if condition():
                return
        except Exception:  # a widget not mounted yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)


def main_screen(app: BrowseApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen), screen
    return screen


def detail_id(app: BrowseApp) -> str | None:
    detail = main_screen(app).detail.detail
    return detail.exchange_id if detail else None


async def ready(pilot: Pilot[Any], total: int | None = None) -> MainScreen:
    """Wait for the list and the detail of the selected row."""
    app: BrowseApp = pilot.app  # type: ignore[assignment]
    await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="main screen")
    screen = main_screen(app)

    def loaded() -> bool:
        table = screen.table
        if total is not None and table.total != total:
            return False
        selected = table.selected
        return selected is not None and detail_id(app) == selected["exchange_id"]

    await wait_for(pilot, loaded, what=f"list of {total} and its detail")
    await pilot.pause()
    return screen


def text_of(renderable: RenderableType | Static, width: int = 130) -> str:
    if isinstance(renderable, Static):
        renderable = renderable.content  # type: ignore[assignment]
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def tab_text(screen: MainScreen, tab: str) -> str:
    return text_of(screen.query_one(f"#{tab}-body", Static))


async def apply_filter(pilot: Pilot[Any], where: str = "", search: str = "") -> None:
    screen = main_screen(pilot.app)  # type: ignore[arg-type]
    screen.filter_bar.set_values(where, search)
    await pilot.press("slash")
    await pilot.press("enter")


def exchange_in(reader: Reader, recording: str, position: int = 0) -> str:
    """The id of the exchange at `position` in the recording file named `recording` (ids
    are random: tests name exchanges by where they were recorded)."""
    row = reader.fetchone(
        "SELECT e.exchange_id::VARCHAR FROM exchanges e JOIN captures c USING (capture_id) "
        f"WHERE c.source LIKE {literal('%/' + recording)} AND e.position = {int(position)}"
    )
    assert row is not None, (recording, position)
    return str(row[0])


async def select_exchange(pilot: Pilot[Any], recording: str, position: int = 0) -> MainScreen:
    """Go to one exchange (the filter's `id:` jump) and wait for its detail."""
    screen = main_screen(pilot.app)  # type: ignore[arg-type]
    exchange_id = exchange_in(screen.store, recording, position)
    await apply_filter(pilot, f"id:{exchange_id}")
    await wait_for(
        pilot,
        lambda: screen.table.total == 1 and detail_id(pilot.app) == exchange_id,  # type: ignore[arg-type]
        what=f"exchange {recording} #{position}",
    )
    return screen
