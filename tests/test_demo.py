"""`respdeck demo` from a terminal-less shell: the whole pipeline, then a summary."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import respdeck
from tests.recorder_harness import read_db


def test_demo_records_a_session_and_prints_a_summary(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    result = respdeck("demo", "--pace", "0", "--db", str(db))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for label in (
        "streamed text",
        "function call round trip",
        "reasoning",
        "web search",
        "an error",
    ):
        assert label in out
    assert "called get_weather" in out and "HTTP 429" in out
    assert "recorded 7 exchanges" in out
    rows = read_db(db, "SELECT status, count(*) FROM exchanges GROUP BY 1 ORDER BY 1")
    assert rows == [(200, 6), (429, 1)]
    (reasoning,) = read_db(db, "SELECT sum(reasoning_tokens) FROM usage")[0]
    assert reasoning > 0
    calls = read_db(
        db, "SELECT name FROM items WHERE type = 'function_call' AND direction = 'output'"
    )
    assert calls == [("get_weather",)]
    assert "1318" in out  # the summary table shows the stored usage


def test_demo_refuses_an_existing_database(tmp_path: Path) -> None:
    db = tmp_path / "there.duckdb"
    db.write_bytes(b"")
    result = respdeck("demo", "--db", str(db))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "exists" in result.stderr
