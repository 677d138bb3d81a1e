"""Where the database is, without loading DuckDB: the proxy process and `respdeck record`'s
own process need the path, never a connection.

A `--db` is a DuckDB file, or a team store: `ducklake:postgres:dbname=... host=... user=...`,
a DuckLake whose catalog is in PostgreSQL and whose Parquet files are under a shared folder
(`--data-path DIR`, or RESPDECK_DATA_PATH; the catalog remembers it once created). Commands
carry either as a `Path`; `team_catalog` tells them apart.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

DEFAULT_DB = Path("recordings") / "respdeck.duckdb"
TEAM_PREFIX = "ducklake:"
DATA_PATH_ENV = "RESPDECK_DATA_PATH"


def db_path(option: str | os.PathLike[str] | None = None) -> Path:
    """--db, else RESPDECK_DB, else recordings/respdeck.duckdb under the current directory."""
    return Path(option or os.environ.get("RESPDECK_DB") or DEFAULT_DB)


def team_catalog(db: str | os.PathLike[str]) -> str | None:
    """The DuckLake catalog (`postgres:dbname=...`) when `db` names a team store, else None."""
    text = os.fspath(db)
    if not text.startswith(TEAM_PREFIX):
        return None
    return text[len(TEAM_PREFIX) :].strip()


def is_team(db: str | os.PathLike[str]) -> bool:
    return team_catalog(db) is not None


def data_path(option: str | None = None) -> str | None:
    """--data-path, else RESPDECK_DATA_PATH, else None (the catalog's own)."""
    return option or os.environ.get(DATA_PATH_ENV) or None


_SECRET = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def describe(db: str | os.PathLike[str]) -> str:
    """`db` as messages show it: a connection string's password masked."""
    return _SECRET.sub(r"\1***", os.fspath(db))


def team_journal_dir(db: str | os.PathLike[str]) -> Path:
    """A team store's default journal folder: local, under recordings/ of the current
    directory, one per store (a recorder's buffer never goes to the shared folder)."""
    digest = hashlib.sha256(os.fspath(db).encode()).hexdigest()[:12]
    return DEFAULT_DB.parent / f"team-{digest}.journal"
