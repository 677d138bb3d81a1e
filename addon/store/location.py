"""Where the database is, without loading DuckDB: the proxy process and `respdeck record`'s
own process need the path, never a connection."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = Path("recordings") / "respdeck.duckdb"


def db_path(option: str | os.PathLike[str] | None = None) -> Path:
    """--db, else RESPDECK_DB, else recordings/respdeck.duckdb under the current directory."""
    return Path(option or os.environ.get("RESPDECK_DB") or DEFAULT_DB)
