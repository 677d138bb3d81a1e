"""`respdeck browse`: the terminal UI over recorded traffic (live when a recorder serves it)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from addon.store.db import StoreError, db_path


@click.command()
@click.option("--db", "db", type=click.Path(path_type=Path), help="Database file.")
def browse(db: Path | None) -> None:
    """Browse recorded traffic in a terminal UI: list, filter, detail, threads, usage.

    On a database a recorder is writing, new exchanges appear as they complete.
    """
    path = db_path(db)
    from inspector.tui.store import Store

    try:
        store = Store.open(path)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        store.close()
        raise click.ClickException(
            "browse needs a terminal; without one use `respdeck sql`, `usage` or `check`"
        )
    from inspector.tui.launch import run_browse

    run_browse(path, store)
