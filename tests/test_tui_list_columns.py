"""The browser sorts and filters by the columns stored per exchange (migration 9) and by
cost: what it shows is what the usage view and the stored rows say."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from inspector.tui.app import BrowseApp
from tests.test_tui_support import SIZE, apply_filter, ready, run, seeded_db, wait_for

__all__ = ["seeded_db"]
TOTAL = 32


def usage_costs(db: Path) -> dict[str, float | None]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        rows = conn.execute(
            "SELECT e.exchange_id::VARCHAR, sum(u.cost_usd) FROM exchanges e "
            "LEFT JOIN usage u USING (exchange_id) GROUP BY 1"
        ).fetchall()
    finally:
        conn.close()
    return dict(rows)


def test_sorted_by_cost_the_list_shows_the_usage_views_costs(seeded_db: Path) -> None:
    expected = usage_costs(seeded_db)
    assert sum(c is not None for c in expected.values()) > 10

    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            screen.action_sort_by("cost_usd")
            await wait_for(pilot, lambda: screen.spec.sort == "cost_usd")
            rows = [screen.table.row_at(i) for i in range(TOTAL)]
            costs = [r["cost_usd"] for r in rows]  # type: ignore[index]
            known = [c for c in costs if c is not None]
            assert known == sorted(known, reverse=True) and costs[: len(known)] == known
            same = 0
            for row in rows:
                assert row is not None
                cost = expected[row["exchange_id"]]
                if row["cost_usd"] is None:
                    assert cost is None, row["exchange_id"]
                elif cost is not None:  # None: an earlier state, counted once in usage
                    assert row["cost_usd"] == pytest.approx(cost, rel=1e-12)
                    same += 1
            assert same > 10

            conn = duckdb.connect(str(seeded_db), read_only=True)
            (count,) = conn.execute(
                "SELECT count(*) FROM exchanges WHERE cached_tokens > 0 AND ttft_ms IS NOT NULL"
            ).fetchone() or (0,)
            conn.close()
            assert 0 < count < TOTAL
            await apply_filter(pilot, "cached_tokens > 0 AND ttft_ms IS NOT NULL")
            await wait_for(pilot, lambda: screen.table.total == count, "the filtered count")
            shown = [screen.table.row_at(i) for i in range(count)]
            assert all(r is not None and r["cached_tokens"] > 0 for r in shown)

    run(scenario)
