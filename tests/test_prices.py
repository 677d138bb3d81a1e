"""The price list and the SQL that picks a price and computes cost, run through real DuckDB."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from addon.store.prices import (
    COLUMNS,
    PRICE_MATCH_SQL,
    PRICES_CSV,
    PriceFileError,
    cost_usd_sql,
    load_prices,
    price_join_sql,
    read_price_file,
)

DDL = """CREATE TABLE prices (model VARCHAR NOT NULL, effective_date DATE NOT NULL,
    input_usd_per_1m DOUBLE, cached_input_usd_per_1m DOUBLE, output_usd_per_1m DOUBLE,
    source VARCHAR, source_date DATE, origin VARCHAR NOT NULL)"""
HEADER = ",".join(COLUMNS)
SRC = "https://example.test/pricing"


@pytest.fixture
def conn() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(":memory:")
    c.execute(DDL)
    # Dates are taken in UTC whatever the session zone; a far-off zone proves it.
    c.execute("SET TimeZone = 'Pacific/Kiritimati'")
    return c


def write(tmp_path: Path, *lines: str, name: str = "mine.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def only_user(conn: duckdb.DuckDBPyConnection, tmp_path: Path, *rows: str) -> None:
    """Load a user file, then drop the shipped rows so matching sees just the test's rows."""
    load_prices(conn, write(tmp_path, HEADER, *rows))
    conn.execute("DELETE FROM prices WHERE origin = 'shipped'")


def pick(conn: duckdb.DuckDBPyConnection, model: str | None, at: str | None) -> tuple:
    """(price_model, price_effective_date, input_usd_per_1m) chosen for one row, NULLs if none."""
    sql = f"""
        WITH u AS (SELECT ?::VARCHAR AS model, ?::TIMESTAMPTZ AS started_at)
        SELECT pr.price_model, pr.price_effective_date, pr.input_usd_per_1m
        FROM u LEFT JOIN LATERAL ({PRICE_MATCH_SQL}) pr ON true
    """
    row = conn.execute(sql, [model, at]).fetchone()
    assert row is not None  # a LEFT JOIN always yields the row
    return row


def cost(
    conn: duckdb.DuckDBPyConnection,
    model: str,
    tokens: tuple[int | None, int | None, int | None],
    at: str | None = "2025-09-01 12:00:00+00",
) -> float | None:
    sql = f"""
        WITH u AS (SELECT ?::VARCHAR AS model, ?::TIMESTAMPTZ AS started_at,
                          ?::BIGINT AS input_tokens, ?::BIGINT AS cached_tokens,
                          ?::BIGINT AS output_tokens)
        SELECT {cost_usd_sql("u.input_tokens", "u.cached_tokens", "u.output_tokens", "pr")}
        FROM u LEFT JOIN LATERAL ({price_join_sql("u.model", "u.started_at")}) pr ON true
    """
    (value,) = conn.execute(sql, [model, at, *tokens]).fetchone() or (None,)
    return value


def test_shipped_csv_parses_with_sources_and_dates() -> None:
    with PRICES_CSV.open(newline="", encoding="utf-8") as f:
        assert next(csv.reader(f)) == list(COLUMNS)
    rows = read_price_file(PRICES_CSV)
    assert len(rows) >= 40
    for row in rows:
        assert row.source and row.source.startswith("https://"), row
        assert row.source_date is not None and row.source_date <= date.today(), row
        assert row.effective_date <= row.source_date, row
        assert row.input_usd_per_1m > 0 and row.output_usd_per_1m > 0, row
        if row.cached_input_usd_per_1m is not None:
            assert row.cached_input_usd_per_1m < row.input_usd_per_1m, row
    models = {r.model for r in rows}
    for family in ("gpt-4o", "gpt-4.1-mini", "o3", "o4-mini", "gpt-5", "gpt-5.1-codex"):
        assert family in models


def test_load_shipped_marks_origin(conn: duckdb.DuckDBPyConnection) -> None:
    n = load_prices(conn)
    assert n == len(read_price_file(PRICES_CSV))
    assert conn.execute("SELECT DISTINCT origin FROM prices").fetchall() == [("shipped",)]
    assert load_prices(conn) == n  # a reload replaces, it does not append


def test_shipped_o3_price_cut(conn: duckdb.DuckDBPyConnection) -> None:
    load_prices(conn)
    assert pick(conn, "o3-2025-04-16", "2025-05-01 00:00:00+00")[2] == 10.0
    assert pick(conn, "o3-2025-04-16", "2025-06-10 00:00:00+00")[2] == 2.0
    assert pick(conn, "o3", None)[2] == 2.0
    assert pick(conn, "o3-2025-04-16", "2025-04-15 23:59:59+00")[0] is None  # before launch


def test_exact_beats_prefix_and_longest_prefix_wins(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    only_user(
        conn,
        tmp_path,
        f"gpt-4o*,2024-01-01,1,,1,{SRC},",
        f"gpt-4o-mini*,2024-01-01,2,,2,{SRC},",
        f"gpt-4o-mini-2024-07-18,2024-01-01,3,,3,{SRC},",
        f"gpt-4o-mini-2024-07-18*,2024-01-01,4,,4,{SRC},",
    )
    at = "2025-01-01 00:00:00+00"
    assert pick(conn, "gpt-4o-2024-08-06", at)[0] == "gpt-4o*"
    assert pick(conn, "gpt-4o", at)[0] == "gpt-4o*"
    assert pick(conn, "gpt-4o-mini-tts", at)[0] == "gpt-4o-mini*"
    assert pick(conn, "gpt-4o-mini-2024-07-18", at)[0] == "gpt-4o-mini-2024-07-18"
    assert pick(conn, "gpt-4", at)[0] is None
    assert pick(conn, None, at)[0] is None


def test_prefix_star_is_not_a_wildcard_elsewhere(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    only_user(conn, tmp_path, f"o3,2025-01-01,1,,1,{SRC},", f"o_*,2025-01-01,2,,2,{SRC},")
    at = "2025-07-01 00:00:00+00"
    assert pick(conn, "o3-mini", at)[0] is None  # exact o3 is not a prefix; _ is literal
    assert pick(conn, "o_x", at)[0] == "o_*"


def test_effective_dates(conn: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    only_user(
        conn,
        tmp_path,
        f"m1,2025-01-01,10,,10,{SRC},",
        f"m1,2025-06-10,2,,2,{SRC},",
        f"m*,2025-03-01,7,,7,{SRC},",
    )
    assert pick(conn, "m1", "2024-12-31 23:59:59+00")[0] is None
    assert pick(conn, "m1", "2025-06-09 23:59:59+00")[1:] == (date(2025, 1, 1), 10.0)
    assert pick(conn, "m1", "2025-06-10 00:00:00+00")[1:] == (date(2025, 6, 10), 2.0)
    # The UTC day decides, not the session's zone (already 2025-06-10 in Kiritimati).
    assert pick(conn, "m1", "2025-06-09 20:00:00+00")[2] == 10.0
    assert pick(conn, "m1", None)[2] == 2.0
    assert pick(conn, "m2", "2025-02-01 00:00:00+00")[0] is None  # prefix not yet in effect
    assert pick(conn, "m2", "2025-03-01 00:00:00+00")[0] == "m*"


def test_user_row_overrides_shipped(conn: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    shipped = len(read_price_file(PRICES_CSV))
    user = write(
        tmp_path,
        HEADER,
        f"gpt-5,2025-08-07,9,0.9,90,{SRC},2025-12-01",  # same key as a shipped row
        "my-model,2025-01-01,1,,2,,",  # a new model, no source
    )
    assert load_prices(conn, user) == shipped + 1
    rows = conn.execute(
        "SELECT origin, input_usd_per_1m FROM prices "
        "WHERE model = 'gpt-5' AND effective_date = '2025-08-07'"
    ).fetchall()
    assert rows == [("user", 9.0)]
    assert pick(conn, "gpt-5", "2025-09-01 00:00:00+00")[2] == 9.0
    assert pick(conn, "gpt-5-2025-08-07", "2025-09-01 00:00:00+00")[2] == 1.25
    assert pick(conn, "my-model", None)[2] == 1.0


def test_user_file_with_bom_and_extra_columns(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(f"\ufeff{HEADER},note\r\nx,2025-01-01,1,,2,,,hi\r\n", encoding="utf-8")
    assert load_prices(conn, path) == len(read_price_file(PRICES_CSV)) + 1


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
    ],
)
def test_malformed_user_file(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path, lines: list[str], line: int, problem: str
) -> None:
    load_prices(conn)
    before = conn.execute("SELECT count(*) FROM prices").fetchone()
    path = write(tmp_path, *lines)
    with pytest.raises(PriceFileError) as info:
        load_prices(conn, path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: "), message
    assert problem in message
    # Checked before writing: the table is as it was.
    assert conn.execute("SELECT count(*) FROM prices").fetchone() == before


def test_unreadable_user_file(conn: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(PriceFileError, match=r"nope\.csv: ") as info:
        load_prices(conn, missing)
    assert "\n" not in str(info.value)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00bad\n")
    with pytest.raises(PriceFileError, match=r"bin\.csv: "):
        load_prices(conn, binary)


def test_failed_write_rolls_back(conn: duckdb.DuckDBPyConnection) -> None:
    load_prices(conn)
    conn.execute("ALTER TABLE prices DROP COLUMN source")  # now the INSERT cannot fit
    with pytest.raises(duckdb.Error):
        load_prices(conn)
    assert conn.execute("SELECT count(*) FROM prices").fetchone() == (
        len(read_price_file(PRICES_CSV)),
    )


def test_cost_arithmetic(conn: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    only_user(
        conn,
        tmp_path,
        f"cached-model,2025-01-01,2.00,0.50,8.00,{SRC},",
        f"no-cache-model,2025-01-01,3.00,,12.00,{SRC},",
    )
    # 1000 input of which 400 cached, 500 output of which (say) 300 reasoning.
    expected = (600 * 2.00 + 400 * 0.50 + 500 * 8.00) / 1e6
    assert cost(conn, "cached-model", (1000, 400, 500)) == pytest.approx(expected)
    # No cached price: cached tokens are billed at the input rate, once.
    assert cost(conn, "no-cache-model", (1000, 400, 500)) == pytest.approx(
        (1000 * 3.00 + 500 * 12.00) / 1e6
    )
    # Unknown cached count means none were cached.
    assert cost(conn, "cached-model", (1000, None, 0)) == pytest.approx(1000 * 2.00 / 1e6)
    assert cost(conn, "cached-model", (0, 0, 0)) == 0.0
    # No price, or no token counts: NULL, never 0.
    assert cost(conn, "unknown-model", (1000, 0, 500)) is None
    assert cost(conn, "cached-model", (1000, 0, 500), at="2024-06-01 00:00:00+00") is None
    assert cost(conn, "cached-model", (None, None, None)) is None
    assert cost(conn, "cached-model", (1000, 0, None)) is None


def test_cost_with_shipped_prices(conn: duckdb.DuckDBPyConnection) -> None:
    load_prices(conn)
    assert cost(conn, "gpt-5-2025-08-07", (10_000, 8_000, 1_000)) == pytest.approx(
        (2_000 * 1.25 + 8_000 * 0.125 + 1_000 * 10.00) / 1e6
    )
    assert cost(conn, "o3-pro", (1_000_000, 0, 1_000_000)) == pytest.approx(20.0 + 80.0)


def test_fragments_in_a_view(conn: duckdb.DuckDBPyConnection) -> None:
    """How the store uses them: a view over responses, joined on a LATERAL price row."""
    load_prices(conn)
    conn.execute("""CREATE TABLE responses (model VARCHAR, started_at TIMESTAMPTZ,
        input_tokens BIGINT, cached_tokens BIGINT, output_tokens BIGINT, source VARCHAR)""")
    conn.execute("""INSERT INTO responses VALUES
        ('o4-mini-2025-04-16', '2025-05-01 00:00:00+00', 1000000, 0, 0, 'rec'),
        ('gpt-9', '2030-01-01 00:00:00+00', 5, 0, 5, 'rec')""")
    conn.execute(f"""CREATE VIEW costs AS
        SELECT u.*, pr.*, {cost_usd_sql("u.input_tokens", "u.cached_tokens", "u.output_tokens")}
            AS cost_usd
        FROM responses u LEFT JOIN LATERAL ({PRICE_MATCH_SQL}) pr ON true""")
    got = conn.execute("SELECT model, price_model, cost_usd FROM costs ORDER BY model").fetchall()
    assert got == [("gpt-9", None, None), ("o4-mini-2025-04-16", "o4-mini-2025-04-16", 1.1)]
