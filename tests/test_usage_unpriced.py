"""`respdeck usage` says, under its table, how many responses have no cost and which models."""

from __future__ import annotations

from pathlib import Path

from addon.store.db import open_for_write

from .helpers import respdeck
from .test_prices import priced, respond


def test_the_unpriced_line_counts_and_names_models(tmp_path: Path) -> None:
    db = tmp_path / "u.duckdb"
    conn = open_for_write(db)
    respond(conn, "gpt-5-2025-08-07")
    respond(conn, "gpt-99-imaginary")
    respond(conn, "gpt-99-imaginary", at="2026-01-01 00:00:00+00")
    respond(conn, "gpt-5-2025-08-07", tier="flex", at="2026-09-01 00:00:00+00")  # no rate yet
    respond(conn, "gpt-5-2025-08-07", (None, None, None))  # no usage: not counted
    priced(conn)
    conn.close()
    out = respdeck("usage", "--db", str(db))
    assert out.returncode == 0, out.stderr
    last = out.stdout.splitlines()[-1]
    assert last == "(unpriced: 3 of 4 responses: gpt-99-imaginary 2, gpt-5-2025-08-07 (flex) 1)"
    since = respdeck("usage", "--db", str(db), "--since", "2026-10-01")
    assert since.stdout.splitlines()[-1] == "(unpriced: 1 of 2 responses: gpt-99-imaginary 1)"


def test_all_priced_and_empty(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    conn = open_for_write(db)
    respond(conn, "gpt-4.1-mini-2025-04-14")
    priced(conn)
    conn.close()
    assert respdeck("usage", "--db", str(db)).stdout.splitlines()[-1] == (
        "(unpriced: 0 of 1 responses)"
    )
    empty = tmp_path / "e.duckdb"
    open_for_write(empty).close()
    assert respdeck("usage", "--db", str(empty)).stdout.splitlines()[-1] == (
        "(unpriced: 0 of 0 responses)"
    )
