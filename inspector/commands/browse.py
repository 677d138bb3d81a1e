"""`respdeck browse`: the terminal UI over recorded traffic (live when a recorder serves it)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from addon.store.db import StoreError
from addon.store.location import db_path

from ._common import db_option, one_line


@click.command()
@db_option
def browse(db: Path | None) -> None:
    """Browse recorded traffic in a terminal UI: list, filter, detail, threads, usage.

    On a database a recorder is writing, new exchanges appear as they complete.
    """
    path = db_path(db)
    from addon.store.reader import Reader

    try:
        store = Reader.open(path)
    except StoreError as exc:
        raise one_line(exc) from exc
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        store.close()
        raise click.ClickException(
            "browse needs a terminal; without one use `respdeck sql`, `usage` or `check`"
        )
    from inspector.tui.launch import run_browse

    run_browse(path, store)
