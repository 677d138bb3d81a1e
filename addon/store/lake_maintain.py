"""`respdeck maintain`: keep a team store small and quick to read, and say what was done.

Recorders commit a batch at least every second or so, each a DuckLake snapshot: small batches
are inlined into the catalog, larger ones become small Parquet files, and every snapshot is
kept for time travel. In order: inlined rows are flushed to Parquet, adjacent small files
merged, snapshots older than `keep` expired (time travel reaches back that far), files no
snapshot needs removed, and the prices refreshed (the library's version, RESPDECK_PRICES).
Each step runs while recorders keep committing: one that meets a commit is tried again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from .batch_write import take_lock
from .lake import ALIAS, is_conflict
from .prices import load_prices

# Files no snapshot refers to are removed only once this old: a commit in progress writes its
# files before it commits, and a reader may still scan a file a merge replaced.
FILE_GRACE = timedelta(hours=1)
ATTEMPTS = 5


@dataclass
class Report:
    flushed: dict[str, int] = field(default_factory=dict)  # table -> rows moved to Parquet
    merged: dict[str, tuple[int, int]] = field(default_factory=dict)  # table -> (in, out)
    expired: int = 0  # snapshots
    snapshots_left: int = 0
    removed: int = 0  # files of expired snapshots and merges
    orphans: int = 0  # files no snapshot ever committed
    prices: int = 0  # price rows after the refresh
    files_before: int = 0
    files_after: int = 0

    def lines(self) -> list[str]:
        """What was done, one line per step."""
        merged_in = sum(a for a, _ in self.merged.values())
        merged_out = sum(b for _, b in self.merged.values())
        tables = ", ".join(sorted(self.flushed)) or "none"
        return [
            f"flushed {sum(self.flushed.values()):,} inlined row(s) to Parquet ({tables})",
            f"merged {merged_in:,} small file(s) into {merged_out:,} ({len(self.merged)} table(s))",
            f"expired {self.expired:,} snapshot(s); {self.snapshots_left:,} kept for time travel",
            f"removed {self.removed:,} file(s) no snapshot needs and {self.orphans:,} orphaned",
            f"data files: {self.files_before:,} before, {self.files_after:,} now; "
            f"{self.prices:,} price row(s)",
        ]


def maintain(
    conn: duckdb.DuckDBPyConnection, keep: timedelta, user_prices: Path | None = None
) -> Report:
    """Run every step on the team store `conn` is attached to (as `team`)."""
    report = Report(files_before=_data_files(conn))
    now = datetime.now(UTC)
    for row in _call(conn, f"CALL ducklake_flush_inlined_data('{ALIAS}')"):
        if int(row["rows_flushed"] or 0):
            report.flushed[str(row["table_name"])] = int(row["rows_flushed"])
    for row in _call(conn, f"CALL ducklake_merge_adjacent_files('{ALIAS}')"):
        done = report.merged.get(str(row["table_name"]), (0, 0))
        report.merged[str(row["table_name"])] = (
            done[0] + int(row["files_processed"] or 0),
            done[1] + int(row["files_created"] or 0),
        )
    expired = _call(
        conn, f"CALL ducklake_expire_snapshots('{ALIAS}', older_than => ?)", [now - keep]
    )
    report.expired = len(expired)
    removed_before = now - min(keep, FILE_GRACE)
    report.removed = len(
        _call(
            conn, f"CALL ducklake_cleanup_old_files('{ALIAS}', older_than => ?)", [removed_before]
        )
    )
    report.orphans = len(
        _call(
            conn,
            f"CALL ducklake_delete_orphaned_files('{ALIAS}', older_than => ?)",
            [now - FILE_GRACE],
        )
    )
    report.prices = _retried(
        lambda: load_prices(conn, user_prices, first=lambda: take_lock(conn, "prices"))
    )
    left = conn.execute(f"SELECT count(*) FROM ducklake_snapshots('{ALIAS}')").fetchone()
    report.snapshots_left = int(left[0]) if left else 0
    report.files_after = _data_files(conn)
    return report


def _data_files(conn: duckdb.DuckDBPyConnection) -> int:
    row = conn.execute(f"SELECT sum(file_count) FROM ducklake_table_info('{ALIAS}')").fetchone()
    return int(row[0] or 0) if row else 0


def _call(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> list[dict[str, Any]]:
    """A maintenance CALL's rows as dicts, tried again when it met a recorder's commit."""

    def run() -> list[dict[str, Any]]:
        result = conn.execute(sql, params or [])
        names = [d[0] for d in result.description or []]
        return [dict(zip(names, values, strict=True)) for values in result.fetchall()]

    return _retried(run)


def _retried[T](work: Callable[[], T]) -> T:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return work()
        except duckdb.Error as exc:
            if not is_conflict(exc) or attempt == ATTEMPTS:
                raise
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


def parse_keep(text: str) -> timedelta:
    """`7d`, `12h`, `30m`, `45s` or `0`: how long snapshots are kept for time travel."""
    units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    text = text.strip().lower()
    if text == "0":
        return timedelta(0)
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.replace(".", "", 1).isdigit():
        raise ValueError(f"{text!r}: give a duration like 7d, 12h, 30m, 45s or 0")
    return timedelta(**{units[unit]: float(number)})


def user_prices_file() -> Path | None:
    value = os.environ.get("RESPDECK_PRICES")
    return Path(value) if value else None
