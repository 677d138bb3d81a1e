"""Every response of the shipped recordings and of the corpus costs, in the usage view, what
genai-prices' calc_price says for the same usage, model, provider, date and tier, to 1e-9
relative, and is NULL exactly where the library has no price.

The databases are made the way users make them: ``open_for_write`` and ``import_paths`` (the
writer asks the library about each new model as it stores it).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from addon.store.db import open_for_write
from addon.store.importer import import_paths

from .conftest import CORPUS, RECORDINGS, REPORT
from .price_oracle import Billed, close, library_cost


def imported(folder: Path, db: Path) -> duckdb.DuckDBPyConnection:
    conn = open_for_write(db)
    report = import_paths(conn, [folder])
    assert report.exchanges > 0
    return conn


def usage_rows(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cur = conn.execute("SELECT * FROM usage ORDER BY exchange_id, response_id")
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def check_against_library(conn: duckdb.DuckDBPyConnection) -> tuple[int, int, Counter[str]]:
    """(responses with usage, priced, unpriced models); fails on any difference."""
    rows = usage_rows(conn)
    # one usage row per response state kept: no price join doubled a row
    (states,) = conn.execute(
        "SELECT count(DISTINCT (capture_id, coalesce(response_id, 'x' || exchange_id))) FROM usage"
    ).fetchone() or (0,)
    assert len(rows) == states
    wrong = []
    for row in rows:
        expected = library_cost(Billed.of(row))
        if not close(row["cost_usd"], expected):
            wrong.append(
                (row["model"], row["host"], row["service_tier"], row["cost_usd"], expected)
            )
    assert not wrong, f"{len(wrong)} of {len(rows)} differ from calc_price, e.g. {wrong[:5]}"
    with_usage = [r for r in rows if r["input_tokens"] is not None]
    unpriced = Counter(str(r["model"]) for r in with_usage if r["cost_usd"] is None)
    return len(with_usage), len(with_usage) - sum(unpriced.values()), unpriced


def test_shipped_recordings_cost_what_the_library_says(tmp_path: Path) -> None:
    conn = imported(RECORDINGS, tmp_path / "recordings.duckdb")
    responses, priced, unpriced = check_against_library(conn)
    assert responses >= 18 and priced == responses, unpriced  # every model of ours is known


@pytest.mark.corpus
def test_corpus_costs_what_the_library_says(tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus not present: corpus tests skipped")
    conn = imported(CORPUS, tmp_path / "corpus.duckdb")
    responses, priced, unpriced = check_against_library(conn)
    REPORT["priced responses"] = (
        f"{priced} of {responses} with usage ({priced / responses:.1%}); unpriced: "
        + ", ".join(f"{m} {n}" for m, n in unpriced.most_common())
    )
    assert priced >= 0.95 * responses
