"""The respdeck browser (Textual). `run_browse(path)` opens it; Textual loads only then."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def run_browse(db: Path, store: Any = None) -> None:
    """Browse the database at `db` until the user quits."""
    from .launch import run_browse as run

    run(db, store)
