"""`respdeck usage` in one pass (queries.usage.report_sql): the same table and unpriced line
as usage_sql and unpriced_sql give, for every grouping, with and without --since, on an
empty store too; and migration 9's usage view, which ranks a response's states only where
there are several, gives migration 6's rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.migrations_uuid import USAGE_V6
from addon.store.queries.usage import (
    USAGE_GROUPS,
    report_sql,
    split_report,
    unpriced_sql,
    usage_sql,
)
from addon.wire.result import ParsedExchange

from .conftest import RECORDINGS
from .test_store_list_columns import written


def both(conn: duckdb.DuckDBPyConnection, by: str, since: date | None) -> tuple[object, ...]:
    result = conn.execute(usage_sql(by, since))
    names = [d[0] for d in result.description or []]
    usage = [tuple(r) for r in result.fetchall()]
    *named, total = [tuple(r) for r in conn.execute(unpriced_sql(since)).fetchall()]
    return names, usage, [r for r in named if r[1]] + [total]  # the line names those unpriced


def one_pass(conn: duckdb.DuckDBPyConnection, by: str, since: date | None) -> tuple[object, ...]:
    result = conn.execute(report_sql(by, since))
    return split_report(by, [d[0] for d in result.description or []], result.fetchall())


def old_usage(conn: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    view = USAGE_V6[USAGE_V6.index("AS\n") + 3 :]
    return sorted(conn.execute(f"SELECT * FROM ({view})").fetchall(), key=repr)


def new_usage(conn: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return sorted(conn.execute("SELECT * FROM usage").fetchall(), key=repr)


@pytest.mark.parametrize("since", [None, date(2026, 1, 1)])
def test_one_pass_gives_the_table_and_the_unpriced_line(tmp_path: Path, since: date | None) -> None:
    conn = open_for_write(tmp_path / "r.duckdb")
    empty = both(conn, "model", since)
    assert one_pass(conn, "model", since) == empty
    import_paths(conn, [RECORDINGS])
    conn.execute("UPDATE responses SET service_tier = 'flex' WHERE model LIKE 'gpt-5%'")
    for by in USAGE_GROUPS:
        expected = both(conn, by, since)
        assert one_pass(conn, by, since) == expected, by
    _, usage, unpriced = both(conn, "model", None)
    assert len(usage) > 3 and unpriced[-1][1] > 0  # priced and unpriced rows both seen


def test_the_usage_view_keeps_its_rows(tmp_path: Path) -> None:
    conn = open_for_write(tmp_path / "r.duckdb")
    import_paths(conn, [RECORDINGS])
    rows = new_usage(conn)
    assert rows == old_usage(conn)
    responses = conn.execute("SELECT count(*) FROM responses").fetchone()
    assert responses is not None and len(rows) < responses[0]  # states counted once


def test_the_usage_view_keeps_its_rows_on_the_corpus(corpus_parsed: list[ParsedExchange]) -> None:
    conn = written(corpus_parsed + corpus_parsed[:50])  # a second state of fifty responses
    rows = new_usage(conn)
    assert rows == old_usage(conn) and len(rows) > 1000
