"""Prices in the store: the library's rows, the user's file, and the cost the usage view gives,
through real DuckDB databases. Each crafted case is checked by hand and against calc_price."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import duckdb
import pytest

from addon.store import ids
from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.migrations import migrate
from addon.store.price_file import COLUMNS, PriceFileError, read_price_file
from addon.store.price_library import library_version
from addon.store.prices import add_models, load_prices, refresh_library
from addon.store.queries.detail import price_sql
from addon.store.reindex import reindex
from tests.conftest import RECORDINGS
from tests.price_oracle import Billed, close, library_cost

HEADER = ",".join(COLUMNS)
SRC = "https://example.test/pricing"
NOV = "2026-11-01 12:00:00+00"  # after 2026-10-12, when the library's flex/priority rates start
CAPTURE = ids.new_capture_id()  # the one capture every stored response belongs to


@pytest.fixture
def conn() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(":memory:")
    migrate(c)
    # Dates are taken in UTC whatever the session zone; a far-off zone proves it.
    c.execute("SET TimeZone = 'Pacific/Kiritimati'")
    return c


def write(tmp_path: Path, *lines: str, name: str = "mine.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def respond(
    conn: duckdb.DuckDBPyConnection,
    model: str | None,
    tokens: tuple[int | None, int | None, int | None] = (1000, 0, 100),
    *,
    at: str | None = NOV,
    host: str | None = "api.openai.com",
    tier: str | None = "default",
    reasoning: int | None = 0,
    cache_write: int | None = None,
) -> str:
    """Store one response the way the writer would (exchange + response row); its id."""
    (n,) = conn.execute("SELECT count(*) FROM exchanges").fetchone() or (0,)
    e = ids.exchange_id(CAPTURE, n)
    conn.execute(
        "INSERT INTO exchanges (exchange_id, capture_id, seq, position, started_at, endpoint, "
        "method, host, path, streamed, aborted, partial, model) VALUES (?, ?, ?, ?, ?, "
        "'responses.create', 'POST', ?, '/v1/responses', false, false, false, ?)",
        [e, CAPTURE, n, n, at, host, model],
    )
    conn.execute(
        "INSERT INTO responses (exchange_id, response_id, object, status, service_tier, model, "
        "input_tokens, cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens) "
        "VALUES (?, ?, 'response', 'completed', ?, ?, ?, ?, ?, ?, ?)",
        [e, f"resp_{n}", tier, model, tokens[0], tokens[1], cache_write, tokens[2], reasoning],
    )
    return e


def usage_row(conn: duckdb.DuckDBPyConnection, exchange_id: str) -> dict[str, object]:
    cur = conn.execute("SELECT * FROM usage WHERE exchange_id = ?", [exchange_id])
    rows = cur.fetchall()
    assert len(rows) == 1
    return dict(zip([d[0] for d in cur.description or []], rows[0], strict=True))


def cost(conn: duckdb.DuckDBPyConnection, exchange_id: str) -> float | None:
    """The usage view's cost, after checking it is what the library itself says."""
    row = usage_row(conn, exchange_id)
    if row["price_origin"] != "user":
        assert close(row["cost_usd"], library_cost(Billed.of(row))), row  # type: ignore[arg-type]
    return row["cost_usd"]  # type: ignore[return-value]


def priced(conn: duckdb.DuckDBPyConnection, user_file: Path | None = None) -> None:
    """What an open for writing does: the user's file, and the library for every model seen."""
    load_prices(conn, user_file)


# -- the library's prices, through the usage view --------------------------------------------


def test_cached_input_is_billed_once_at_the_cached_rate(conn: duckdb.DuckDBPyConnection) -> None:
    e = respond(conn, "gpt-4.1-mini-2025-04-14", (1318, 1152, 87), at="2026-02-24 13:08:20+00")
    priced(conn)
    assert cost(conn, e) == pytest.approx((166 * 0.40 + 1152 * 0.10 + 87 * 1.60) / 1e6)


def test_reasoning_tokens_are_part_of_output(conn: duckdb.DuckDBPyConnection) -> None:
    e = respond(conn, "gpt-5-mini-2025-08-07", (1000, 0, 1000), reasoning=800)
    priced(conn)
    assert cost(conn, e) == pytest.approx((1000 * 0.25 + 1000 * 2.00) / 1e6)


def test_cache_write_tokens_at_their_own_rate(conn: duckdb.DuckDBPyConnection) -> None:
    e = respond(conn, "gpt-5.6-sol", (10_000, 2_000, 100), cache_write=3_000)
    priced(conn)
    assert cost(conn, e) == pytest.approx((5_000 * 4 + 2_000 * 0.4 + 3_000 * 5 + 100 * 20) / 1e6)


def test_service_tiers(conn: duckdb.DuckDBPyConnection) -> None:
    tokens = (10_000, 8_000, 1_000)
    flex = respond(conn, "gpt-5-2025-08-07", tokens, tier="flex")
    priority = respond(conn, "gpt-5-2025-08-07", tokens, tier="priority")
    default = respond(conn, "gpt-5-2025-08-07", tokens, tier="default")
    auto = respond(conn, "gpt-5-2025-08-07", tokens, tier="auto")  # a request setting
    untold = respond(conn, "gpt-5-2025-08-07", tokens, tier=None)
    early_flex = respond(conn, "gpt-5-2025-08-07", tokens, tier="flex", at="2026-09-01 00:00:00+00")
    scale = respond(conn, "gpt-5-2025-08-07", tokens, tier="scale")
    azure_flex = respond(conn, "gpt-5", tokens, tier="flex", host="r.openai.azure.com")
    priced(conn)
    standard = (2_000 * 1.25 + 8_000 * 0.125 + 1_000 * 10) / 1e6
    assert cost(conn, flex) == pytest.approx(standard / 2)
    assert cost(conn, priority) == pytest.approx(standard * 2)
    assert cost(conn, default) == cost(conn, auto) == cost(conn, untold) == pytest.approx(standard)
    # no rate of the library's own for that tier then: unpriced, not billed as default
    assert cost(conn, early_flex) is None
    assert cost(conn, scale) is None
    assert cost(conn, azure_flex) is None


def test_long_context_tier_applies_to_every_token(conn: duckdb.DuckDBPyConnection) -> None:
    below = respond(conn, "gpt-5.4-2026-03-05", (272_000, 0, 1_000))
    above = respond(conn, "gpt-5.4-2026-03-05", (272_001, 1, 1_000))
    priced(conn)
    assert cost(conn, below) == pytest.approx((272_000 * 2.5 + 1_000 * 15) / 1e6)
    assert cost(conn, above) == pytest.approx((272_000 * 5 + 1 * 0.5 + 1_000 * 22.5) / 1e6)


def test_price_in_force_on_the_day_and_hour(conn: duckdb.DuckDBPyConnection) -> None:
    tokens = (1_000_000, 0, 1_000_000)
    v4 = "deepseek-v4-flash"
    launch = respond(conn, v4, tokens, at="2026-08-16 23:59:59+00", host="api.deepseek.com")
    raised = respond(conn, v4, tokens, at="2026-08-17 12:00:00+00", host="api.deepseek.com")
    cut = respond(conn, v4, tokens, at="2026-09-10 12:00:00+00", host="api.deepseek.com")
    peak = respond(conn, v4, tokens, at="2026-09-10 02:30:00+00", host="api.deepseek.com")
    priced(conn)
    assert cost(conn, launch) == pytest.approx(0.14 + 0.28)
    assert cost(conn, raised) == pytest.approx(0.22 + 0.66)
    assert cost(conn, cut) == pytest.approx(0.15 + 0.60)
    assert cost(conn, peak) == pytest.approx(0.30 + 1.20)  # 01:00-04:00 UTC


def test_provider_follows_the_host(conn: duckdb.DuckDBPyConnection) -> None:
    xai = respond(conn, "grok-4.3", host="api.x.ai")
    local = respond(conn, "grok-4.3", host="127.0.0.1:9000")  # no provider's host: by name
    misnamed = respond(conn, "grok-4.3", host="api.openai.com")  # OpenAI has no grok
    priced(conn)
    assert cost(conn, xai) == cost(conn, local) == pytest.approx((1000 * 1.25 + 100 * 2.5) / 1e6)
    assert usage_row(conn, xai)["provider"] == "x-ai"
    assert cost(conn, misnamed) is None


def test_unknown_model_and_missing_counts_are_null(conn: duckdb.DuckDBPyConnection) -> None:
    unknown = respond(conn, "gpt-99-imaginary")
    nameless = respond(conn, None)
    no_usage = respond(conn, "gpt-5", (None, None, None))
    contradictory = respond(conn, "gpt-5", (100, 200, 10))  # more cached than input
    priced(conn)
    for e in (unknown, nameless, no_usage, contradictory):
        assert cost(conn, e) is None
    matches = conn.execute("SELECT model, library_model FROM price_matches ORDER BY 1").fetchall()
    assert matches == [("gpt-5", "gpt-5"), ("gpt-99-imaginary", None)]


def test_no_response_meets_two_price_rows(conn: duckdb.DuckDBPyConnection) -> None:
    for tier in ("default", "flex", "priority", None):
        for at in ("2026-01-01 00:00:00+00", NOV, None):
            respond(conn, "gpt-5.4-2026-03-05", (300_000, 0, 10), tier=tier, at=at)
            respond(conn, "deepseek-v4-flash", host="api.deepseek.com", tier=tier, at=at)
    priced(conn)
    assert conn.execute("SELECT count(*) FROM usage").fetchone() == (24,)
    # default and untold tiers always (12); flex and priority for gpt-5.4 from 2026-10-12 (4)
    assert conn.execute("SELECT count(cost_usd) FROM usage").fetchone() == (16,)


# -- keeping the library's rows up to date ---------------------------------------------------


def test_rows_carry_the_library_version_and_a_new_version_refreshes(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    e = respond(conn, "gpt-5-2025-08-07")
    priced(conn)
    versions = conn.execute("SELECT DISTINCT library_version FROM prices").fetchall()
    assert versions == [(library_version(),)]
    right = cost(conn, e)
    # rows made by another version, and since changed there: the next open replaces them
    conn.execute("UPDATE prices SET input_usd_per_1m = 99, library_version = '0.0.1'")
    conn.execute("UPDATE price_matches SET library_version = '0.0.1'")
    assert cost_unchecked(conn, e) != right
    priced(conn)
    assert cost(conn, e) == right
    assert conn.execute("SELECT DISTINCT library_version FROM price_matches").fetchall() == [
        (library_version(),)
    ]


def cost_unchecked(conn: duckdb.DuckDBPyConnection, exchange_id: str) -> float | None:
    return usage_row(conn, exchange_id)["cost_usd"]  # type: ignore[return-value]


def test_the_same_version_is_not_asked_again_but_reindex_asks_again(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    e = respond(conn, "gpt-5-2025-08-07")
    priced(conn)
    right = cost(conn, e)
    conn.execute("UPDATE prices SET input_usd_per_1m = 99")
    priced(conn)
    assert cost_unchecked(conn, e) != right  # nothing new to ask: rows kept as they are
    rows = refresh_library(conn)
    assert cost(conn, e) == right
    assert rows == conn.execute("SELECT count(*) FROM prices").fetchone()[0]  # type: ignore[index]


def test_each_model_and_host_is_asked_once(conn: duckdb.DuckDBPyConnection) -> None:
    nowhere = respond(conn, "gpt-5-2025-08-07", host=None)  # a bare Response file: no host
    respond(conn, "gpt-5-2025-08-07")
    respond(conn, "gpt-99-imaginary", host=None)
    for _ in range(3):  # each open for writing
        priced(conn)
    assert conn.execute("SELECT count(*) FROM price_matches").fetchone() == (3,)
    assert conn.execute("SELECT count(*) FROM usage").fetchone() == (3,)
    assert cost(conn, nowhere) == pytest.approx((1000 * 1.25 + 100 * 10) / 1e6)


def test_reindex_asks_the_library_again(tmp_path: Path) -> None:
    conn = open_for_write(tmp_path / "r.duckdb")
    import_paths(conn, [RECORDINGS / "stream_text.har"])
    (right,) = conn.execute("SELECT sum(cost_usd) FROM usage").fetchone() or (None,)
    assert right
    conn.execute("UPDATE prices SET input_usd_per_1m = 99, output_usd_per_1m = 99")
    assert conn.execute("SELECT sum(cost_usd) FROM usage").fetchone() != (right,)
    reindex(conn)
    assert conn.execute("SELECT sum(cost_usd) FROM usage").fetchone() == (right,)


# -- the user's price file -------------------------------------------------------------------


def test_user_rows_override_the_library(conn: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    library = respond(conn, "gpt-5-2025-08-07", (1_000_000, 0, 0))
    before = respond(conn, "gpt-5-2025-08-07", (1_000_000, 0, 0), at="2025-06-01 00:00:00+00")
    mine = respond(conn, "my-finetune", (1_000_000, 0, 1_000_000))
    flex = respond(conn, "gpt-5-2025-08-07", (1_000_000, 0, 0), tier="flex")
    user = write(
        tmp_path,
        f"{HEADER},service_tier",
        f"gpt-5*,2025-08-07,9,0.9,90,{SRC},2026-11-01,",
        "my-finetune,2025-01-01,1,,2,,,",
    )
    priced(conn, user)
    assert cost(conn, library) == pytest.approx(9.0)
    assert usage_row(conn, library)["price_origin"] == "user"
    assert cost(conn, before) == pytest.approx(1.25)  # the user's row is not in force yet
    assert cost(conn, mine) == pytest.approx(3.0)  # a model the library does not know
    assert cost(conn, flex) == pytest.approx(0.625)  # the user priced the default tier only
    # a tier of its own, and back to the library once the file is gone
    priced(conn, write(tmp_path, f"{HEADER},service_tier", "gpt-5*,2025-08-07,7,,70,,,flex"))
    assert cost(conn, flex) == pytest.approx(7.0)
    priced(conn)
    assert cost(conn, library) == pytest.approx(1.25)
    assert cost(conn, mine) is None
    assert conn.execute("SELECT count(*) FROM prices WHERE origin = 'user'").fetchone() == (0,)


def test_user_cache_write_rate(conn: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    e = respond(conn, "mine", (1000, 100, 10), cache_write=200)
    priced(conn, write(tmp_path, f"{HEADER},cache_write_usd_per_1m", "mine,2025-01-01,1,0.5,4,,,3"))
    assert cost(conn, e) == pytest.approx((700 * 1 + 100 * 0.5 + 200 * 3 + 10 * 4) / 1e6)


class Picked(NamedTuple):
    origin: str | None
    model: str | None
    input_usd_per_1m: float | None


def pick(conn: duckdb.DuckDBPyConnection, model: str | None, at: str | None) -> Picked:
    """The price row a detail shows (price_sql) for a response to ``model`` at ``at``, stored
    and its model priced as the writer does; all None when there is none."""
    e = respond(conn, model, at=at)
    add_models(conn, [("api.openai.com", model)])
    rows = conn.execute(price_sql(e)).fetchall()
    assert len(rows) == 1  # the exchange's one response, priced or not
    _, _, _, origin, price_model, rate, *_ = rows[0]
    return Picked(origin, price_model, rate)


def test_exact_beats_prefix_and_longest_prefix_wins(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    priced(
        conn,
        write(
            tmp_path,
            HEADER,
            f"gpt-4o*,2024-01-01,1,,1,{SRC},",
            f"gpt-4o-mini*,2024-01-01,2,,2,{SRC},",
            f"gpt-4o-mini-2024-07-18,2024-01-01,3,,3,{SRC},",
            f"gpt-4o-mini-2024-07-18*,2024-01-01,4,,4,{SRC},",
        ),
    )
    at = "2025-01-01 00:00:00+00"
    assert pick(conn, "gpt-4o-2024-08-06", at) == ("user", "gpt-4o*", 1.0)
    assert pick(conn, "gpt-4o", at) == ("user", "gpt-4o*", 1.0)
    assert pick(conn, "gpt-4o-mini-tts", at) == ("user", "gpt-4o-mini*", 2.0)
    assert pick(conn, "gpt-4o-mini-2024-07-18", at) == ("user", "gpt-4o-mini-2024-07-18", 3.0)
    assert pick(conn, "gpt-4", at).origin != "user"  # no prefix of the user's: the library's
    assert pick(conn, None, at) == (None, None, None)


def test_prefix_star_is_not_a_wildcard_elsewhere(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    priced(conn, write(tmp_path, HEADER, f"o3,2025-01-01,1,,1,{SRC},", "o_*,2025-01-01,2,,2,,"))
    at = "2025-07-01 00:00:00+00"
    assert pick(conn, "o3-mini", at).origin != "user"  # exact o3 is not a prefix
    assert pick(conn, "oax", at).model is None  # _ is literal
    assert pick(conn, "o_x", at) == ("user", "o_*", 2.0)


def test_effective_dates(conn: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    priced(
        conn,
        write(
            tmp_path,
            HEADER,
            f"m1,2025-01-01,10,,10,{SRC},",
            f"m1,2025-06-10,2,,2,{SRC},",
            f"m*,2025-03-01,7,,7,{SRC},",
        ),
    )
    assert pick(conn, "m1", "2024-12-31 23:59:59+00").model is None
    # the exact id beats the later prefix m*; each row by its rate (2025-01-01's, 2025-06-10's)
    assert pick(conn, "m1", "2025-06-09 23:59:59+00") == ("user", "m1", 10.0)
    assert pick(conn, "m1", "2025-06-10 00:00:00+00") == ("user", "m1", 2.0)
    # The UTC day decides, not the session's zone (already 2025-06-10 in Kiritimati).
    assert pick(conn, "m1", "2025-06-09 20:00:00+00").input_usd_per_1m == 10.0
    assert pick(conn, "m1", None).input_usd_per_1m == 2.0  # no time: now
    assert pick(conn, "m2", "2025-02-01 00:00:00+00").model is None  # prefix not yet in effect
    assert pick(conn, "m2", "2025-03-01 00:00:00+00") == ("user", "m*", 7.0)


def test_detail_price_finds_library_rows(conn: duckdb.DuckDBPyConnection) -> None:
    priced(conn)
    # the default tier's first band (the response's), whatever other tiers and bands it has
    assert pick(conn, "gpt-5.4-2026-03-05", NOV) == ("library", "gpt-5.4-2026-03-05", 2.5)
    assert pick(conn, "o3-2025-04-16", "2025-05-01 00:00:00+00").input_usd_per_1m == 10.0
    assert pick(conn, "o3-2025-04-16", "2025-06-10 00:00:00+00").input_usd_per_1m == 2.0
    assert pick(conn, "o3-2025-04-16", None).input_usd_per_1m == 2.0


def test_user_file_with_bom_and_extra_columns(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(f"\ufeff{HEADER},note\r\nx,2025-01-01,1,,2,,,hi\r\n", encoding="utf-8")
    assert load_prices(conn, path) == 1


@pytest.mark.parametrize(
    ("lines", "line", "problem"),
    [
        (["model,effective_date,input_usd_per_1m"], 1, "no column cached_input_usd_per_1m"),
        ([], 1, "no column model"),
        ([HEADER, "a,2025-01-01,1,,2,,", "b,2025-01-01,one,,2,,"], 3, "'one' is not a number"),
        ([HEADER, "a,2025-01-01,nan,,2,,"], 2, "not a finite number"),
        ([HEADER, "a,2025-01-01,-1,,2,,"], 2, "not a finite number"),
        ([HEADER, "a,2025-01-01,1,,,,"], 2, "output_usd_per_1m is empty"),
        ([HEADER, "a,2025-13-01,1,,2,,"], 2, "effective_date '2025-13-01' is not a date"),
        ([HEADER, "a,20250101,1,,2,,"], 2, "is not a date"),
        ([HEADER, "a,2025-01-01,1,,2,,yesterday"], 2, "source_date 'yesterday'"),
        ([HEADER, "a,,1,,2,,"], 2, "effective_date is empty"),
        ([HEADER, ",2025-01-01,1,,2,,"], 2, "model is empty"),
        ([HEADER, "a*b,2025-01-01,1,,2,,"], 2, "* may only end a prefix"),
        ([HEADER, "a,2025-01-01,1,,2"], 2, "fewer fields"),
        ([HEADER, "a,2025-01-01,1,,2,,,extra"], 2, "more fields"),
        ([HEADER, "a,2025-01-01,1,,2,,", "a,2025-01-01,3,,4,,"], 3, "already priced on line 2"),
        ([HEADER, 'a,2025-01-01,1,,2,"multi\nline",', "b,x,1,,2,,"], 4, "'x' is not a date"),
        ([f"{HEADER},service_tier", "a,2025-01-01,1,,2,,,auto"], 2, "auto is what a request"),
        (
            [f"{HEADER},service_tier", "a,2025-01-01,1,,2,,,flex", "a,2025-01-01,1,,2,,,flex"],
            3,
            "a 2025-01-01 (flex) is already priced on line 2",
        ),
        ([f"{HEADER},cache_write_usd_per_1m", "a,2025-01-01,1,,2,,,x"], 2, "'x' is not a number"),
    ],
)
def test_malformed_user_file(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path, lines: list[str], line: int, problem: str
) -> None:
    load_prices(conn, write(tmp_path, HEADER, "kept,2025-01-01,1,,2,,", name="good.csv"))
    path = write(tmp_path, *lines)
    with pytest.raises(PriceFileError) as info:
        load_prices(conn, path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: "), message
    assert problem in message
    # Checked before writing: the table is as it was.
    assert conn.execute("SELECT model FROM prices").fetchall() == [("kept",)]


def test_a_tier_column_and_the_same_day_in_two_tiers(tmp_path: Path) -> None:
    rows = read_price_file(
        write(
            tmp_path, f"{HEADER},service_tier", "a,2025-01-01,1,,2,,,", "a,2025-01-01,1,,2,,,flex"
        )
    )
    assert [r.service_tier for r in rows] == ["default", "flex"]


def test_unreadable_user_file(conn: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(PriceFileError, match=r"nope\.csv: ") as info:
        load_prices(conn, missing)
    assert "\n" not in str(info.value)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00bad\n")
    with pytest.raises(PriceFileError, match=r"bin\.csv: "):
        load_prices(conn, binary)


def test_failed_write_rolls_back(conn: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    respond(conn, "gpt-5")
    user = write(tmp_path, HEADER, "kept,2025-01-01,1,,2,,")
    before = load_prices(conn, user)
    conn.execute("ALTER TABLE prices DROP COLUMN source")  # now the INSERT cannot fit
    with pytest.raises(duckdb.Error):
        load_prices(conn, user)
    assert conn.execute("SELECT count(*) FROM prices").fetchone() == (before,)
