"""Keys as a person types them: number keys take the keyboard into the tab they show, and no
key is lost while the list is still fetching rows.

A fetch is held for real: a thread takes the store's list cursor (as a query running on it
would) and the app's page worker waits behind it until the test lets it go.
"""

from __future__ import annotations

import threading
from pathlib import Path

from textual.containers import VerticalScroll

from addon.store.reader import Reader
from inspector.tui.app import BrowseApp
from inspector.tui.detail import EventsTable
from tests.test_tui_paging import ROWS, many
from tests.test_tui_support import (
    SIZE,
    detail_id,
    main_screen,
    ready,
    run,
    seeded_db,
    tab_text,
    wait_for,
)

__all__ = ["many", "seeded_db"]
TOTAL = 32  # the shipped recordings (tests/test_tui.py counts the same)


class ListQueriesHeld:
    """Every list query (count, page) waits from `hold()` until `release()`."""

    def __init__(self, store: Reader) -> None:
        self.store = store
        self._held, self._release = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._hold, name="hold-list", daemon=True)

    def _hold(self) -> None:
        with self.store.cursor("list"):
            self._held.set()
            self._release.wait()

    def hold(self) -> ListQueriesHeld:
        self._thread.start()
        self._held.wait()
        return self

    def release(self) -> None:
        self._release.set()
        self._thread.join()

    def __enter__(self) -> ListQueriesHeld:
        return self.hold()

    def __exit__(self, *exc: object) -> None:
        self.release()  # also when the test fails: the app's workers must end


def focused_id(app: BrowseApp) -> str | None:
    return app.focused.id if app.focused is not None else None


def test_number_keys_take_the_keyboard_into_the_tab_they_show(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            table = screen.table
            raw = screen.query_one("#raw-scroll", VerticalScroll)
            await pilot.press("5")  # from the list: Raw, with the keyboard in it
            await wait_for(pilot, lambda: focused_id(app) == "raw-scroll", what="raw focused")
            await wait_for(pilot, lambda: raw.max_scroll_y > 0, what="a raw tab that scrolls")
            await pilot.press("end")
            await wait_for(pilot, lambda: raw.scroll_y == raw.max_scroll_y, what="raw at end")
            await pilot.press("home")
            await wait_for(pilot, lambda: raw.scroll_y == 0, what="raw at top")
            await pilot.press("pagedown")
            await wait_for(pilot, lambda: raw.scroll_y > 0, what="raw a page down")
            assert table.cursor == 0  # the list did not move
            await pilot.press("escape", "down")  # back in the list, the list keys move it
            await wait_for(pilot, lambda: table.cursor == 1 and app.focused is table)

            # the path: into the detail with Enter, then tabs switched by number
            await pilot.press("1", "escape")
            await wait_for(pilot, lambda: app.focused is table)
            await pilot.press("enter")  # into the tab on screen
            await wait_for(pilot, lambda: focused_id(app) == "conversation-scroll")
            await pilot.press("2")
            events = screen.query_one(EventsTable)
            await wait_for(pilot, lambda: app.focused is events and events.row_count > 1)
            await pilot.press("end")
            await wait_for(pilot, lambda: events.cursor_row == events.row_count - 1)
            await pilot.press("5")
            await wait_for(pilot, lambda: focused_id(app) == "raw-scroll")
            await wait_for(pilot, lambda: raw.max_scroll_y > 0)
            await pilot.press("end")
            await wait_for(pilot, lambda: raw.scroll_y == raw.max_scroll_y > 0)
            assert table.cursor == 1

    run(scenario)


def test_keys_typed_while_the_first_page_loads_are_kept(seeded_db: Path) -> None:
    async def scenario() -> None:
        store = Reader.open(seeded_db)
        app = BrowseApp(seeded_db, store=store)
        with ListQueriesHeld(store) as fetch:  # held before the app starts
            async with app.run_test(size=SIZE) as pilot:
                try:
                    await wait_for(pilot, lambda: main_screen(app).table.is_mounted)
                    screen = main_screen(app)
                    table = screen.table
                    await pilot.press("down", "down", "down", "up", "3")
                    await wait_for(pilot, lambda: focused_id(app) == "usage-scroll")
                    assert table.total == 0  # the keys came before the rows
                finally:
                    fetch.release()
                await wait_for(pilot, lambda: table.total == TOTAL, what="the rows")
                await wait_for(pilot, lambda: table.selected is not None)
                assert table.cursor == 2
                await wait_for(pilot, lambda: detail_id(app) == table.row_at(2)["exchange_id"])  # type: ignore[index]
                assert screen.detail.active == "usage"
                assert "time to first byte" in tab_text(screen, "usage")
                assert focused_id(app) == "usage-scroll"

    run(scenario)


def test_keys_typed_while_a_new_sort_runs_move_in_its_rows(seeded_db: Path) -> None:
    async def scenario() -> None:
        store = Reader.open(seeded_db)
        app = BrowseApp(seeded_db, store=store)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            table = screen.table
            with ListQueriesHeld(store) as fetch:
                await pilot.press("s", "end", "up", "enter")  # sort by endpoint, last but one
                await wait_for(pilot, lambda: focused_id(app) == "conversation-scroll")
                assert table.spec.sort == "started_at"  # the sort has not come back yet
                fetch.release()
                await wait_for(pilot, lambda: table.spec.sort == "endpoint", what="the sort")
                await wait_for(pilot, lambda: table.selected is not None)
                assert table.cursor == TOTAL - 2
                row = table.row_at(TOTAL - 2)
                assert row is not None
                await wait_for(pilot, lambda: detail_id(app) == row["exchange_id"])
                ends = [table.row_at(i)["endpoint"] for i in range(TOTAL)]  # type: ignore[index]
                assert ends == sorted(ends)
                assert focused_id(app) == "conversation-scroll"

    run(scenario)


def test_keys_typed_while_the_list_is_read_again_stay_where_they_moved(seeded_db: Path) -> None:
    """What a live update (or a reopened store) does: the list is read again around the
    selection; moves made meanwhile are not undone when it comes back."""

    async def scenario() -> None:
        store = Reader.open(seeded_db)
        app = BrowseApp(seeded_db, store=store)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            table = screen.table
            generation = table.generation
            with ListQueriesHeld(store) as fetch:
                screen.load_list(screen.spec, keep_cursor=True)
                await pilot.press("down", "down")
                await wait_for(pilot, lambda: table.cursor == 2)
                chosen = table.selected
                assert chosen is not None and table.generation == generation
                fetch.release()
                await wait_for(pilot, lambda: table.generation > generation, what="the reload")
                assert table.cursor == 2 and table.selected == chosen
                await wait_for(pilot, lambda: detail_id(app) == chosen["exchange_id"])

    run(scenario)


def test_enter_and_moves_while_a_page_is_fetched_are_kept(many: Path) -> None:
    async def scenario() -> None:
        store = Reader.open(many)
        app = BrowseApp(many, store=store)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, ROWS)
            table = screen.table
            with ListQueriesHeld(store) as fetch:
                await pilot.press("end", "up", "up", "up", "enter")
                await wait_for(pilot, lambda: focused_id(app) == "conversation-scroll")
                assert table.cursor == ROWS - 4
                assert table.selected is None  # its page is still being fetched
                fetch.release()
                await wait_for(pilot, lambda: table.selected is not None, what="the page")
                assert table.cursor == ROWS - 4
                assert table.selected["response_id"] == "resp_4"  # type: ignore[index]
                chosen = table.selected["exchange_id"]  # type: ignore[index]
                await wait_for(pilot, lambda: detail_id(app) == chosen, what="its detail")
                assert focused_id(app) == "conversation-scroll"

    run(scenario)
