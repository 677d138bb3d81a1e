"""The list over many rows: pages are fetched as needed and dropped, never all held."""

from __future__ import annotations

from pathlib import Path

import pytest

from addon.store.db import open_for_write
from inspector.tui.app import BrowseApp
from inspector.tui.exchange_table import ExchangeTable
from tests.bench.bench_store import generate
from tests.test_tui_support import SIZE, detail_id, ready, run, wait_for

ROWS = 5_000


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("many") / "many.duckdb"
    conn = open_for_write(db)
    generate(conn, ROWS, 3)
    conn.close()
    return db


def test_rows_load_a_page_at_a_time_and_old_pages_are_dropped(many: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(many)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, ROWS)
            table = screen.table
            assert table.pages_held == 1  # the first screen needs the first page only
            assert table.row_at(0)["response_id"] == f"resp_{ROWS}"  # type: ignore[index]
            await pilot.press("end")
            await wait_for(
                pilot,
                lambda: detail_id(app) == table.selected["exchange_id"],  # type: ignore[index]
                what="the last row's detail",
            )
            assert table.selected["response_id"] == "resp_1"  # type: ignore[index]
            assert table.cursor == ROWS - 1
            for _ in range(60):  # through 60 screens: about 25 pages
                await pilot.press("pageup")
            await wait_for(pilot, lambda: table.selected is not None)
            await wait_for(pilot, lambda: detail_id(app) == table.selected["exchange_id"])  # type: ignore[index]
            held = table.pages_held
            assert held <= ExchangeTable.MAX_PAGES, held
            expected = ROWS - table.cursor
            assert table.selected["response_id"] == f"resp_{expected}"  # type: ignore[index]
            # sorting a computed column still pages (ids by SQL, rows for one page only)
            screen.action_sort_by("output_tokens")
            await wait_for(pilot, lambda: table.spec.sort == "output_tokens" and table.total)
            await wait_for(pilot, lambda: table.selected is not None)
            outs = [table.row_at(i)["output_tokens"] for i in range(50)]  # type: ignore[index]
            assert outs == sorted(outs, reverse=True) and outs[0] == 999

    run(scenario)
