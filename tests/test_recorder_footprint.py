"""What the recorder's processes hold: the proxy and `respdeck record`'s own process load no
DuckDB, Arrow or openai's models (only the ingester needs them), and the ingester's DuckDB is
bounded. Sizes themselves are measured by tests/bench/bench_proxy.py."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from tests.recorder_harness import ROOT, Recorder, run

HEAVY = ("duckdb", "pyarrow", "openai")  # about 50, 35 and 45 MB resident


def test_the_proxy_and_the_record_command_load_no_store_or_parser() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        import addon.recorder.hooks, inspector.commands.record, addon.recorder.ingest_process
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
        """
    )
    result = run([sys.executable, "-c", script], timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_ingester_bounds_duckdb(tmp_path: Path) -> None:
    rec = Recorder("http://127.0.0.1:9", tmp_path / "bounded.duckdb").start()
    try:
        sql = (
            "SELECT current_setting('threads'), "
            "current_setting('memory_limit') FROM schema_version LIMIT 1"
        )
        ((threads, memory),) = rec.wait_for(sql, lambda rows: len(rows) == 1, timeout=90)
    finally:
        assert rec.stop() == 0, rec.output()
    assert int(threads) <= 2
    number, unit = memory.split()
    assert unit == "MiB" and float(number) <= 256, memory
