"""`respdeck browse` and plain `respdeck` from the command line: one-line errors, no TUI
without a terminal."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.helpers import respdeck, respdeck_process
from tests.test_tui_support import seeded_db

__all__ = ["seeded_db"]


def test_browse_errors_are_one_line(tmp_path: Path) -> None:
    missing = respdeck("browse", "--db", str(tmp_path / "none.duckdb"))
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "no database at" in missing.stderr
    newer = tmp_path / "newer.duckdb"
    conn = duckdb.connect(str(newer))
    conn.execute(
        "CREATE TABLE schema_version (version INTEGER, name VARCHAR, applied_at TIMESTAMPTZ)"
    )
    conn.execute("INSERT INTO schema_version VALUES (999, 'future', now())")
    conn.close()
    done = respdeck("browse", "--db", str(newer))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "schema version 999" in done.stderr and "upgrade respdeck" in done.stderr
    assert "Traceback" not in done.stderr


def test_browse_without_a_terminal_says_so(seeded_db: Path) -> None:
    done = respdeck_process("browse", "--db", str(seeded_db))  # a real process, no terminal
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "needs a terminal" in done.stderr


def test_plain_respdeck_without_a_terminal_prints_the_help() -> None:
    done = respdeck()
    assert done.returncode == 2
    assert "Usage:" in done.stderr and "Browse recorded traffic" in done.stderr
