"""The ingester's counters, as it reports them to `respdeck record` in a small JSON file.

Apart from `ingest` so that the process showing them loads neither DuckDB nor the parser.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from addon.atomic import replace_file


@dataclass(slots=True)
class IngestStats:
    exchanges: int = 0
    events: int = 0
    tokens: int = 0
    errors: int = 0  # HTTP errors, API errors and aborted exchanges
    journaled_seen: int = 0  # records of the current run read from the journal
    caught_up: int = 0  # records of earlier runs stored at start
    committed: int = 0  # of `exchanges`, those the store has committed
    conflicts: int = 0  # team store: commits tried again after meeting another writer's
    retries: int = 0  # team store: times the store was lost and the journal stored again
    db_error: str | None = None
    live_url: str | None = None
    state: str = "opening"  # opening, storing, failed, done


def write_stats(path: Path, stats: IngestStats) -> None:
    with contextlib.suppress(OSError):
        replace_file(path, json.dumps(asdict(stats)))


def read_stats(path: Path) -> IngestStats | None:
    try:
        return IngestStats(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
