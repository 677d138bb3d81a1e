"""`respdeck browse`: the terminal UI over recorded traffic (live when a recorder serves it)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from addon.store.db import StoreError
from addon.store.location import db_path

from ._common import db_option, one_line


@click.command()
@click.argument("exchange", required=False, metavar="[ID]")
@db_option
def browse(exchange: str | None, db: Path | None) -> None:
    """Browse recorded traffic in a terminal UI: list, filter, detail, threads, usage.

    ID (a short id prefix as `respdeck check` shows it, or a response id `resp_...`) opens
    the browser on that exchange. On a database a recorder is writing, new exchanges appear
    as they complete.
    """
    path = db_path(db)
    from addon.store.queries import ListSpec, by_id, resolve_exchange
    from addon.store.reader import Reader

    try:
        store = Reader.open(path)
    except StoreError as exc:
        raise one_line(exc) from exc
    spec = None
    if exchange is not None:
        try:
            spec = ListSpec(where=by_id("exchange_id", resolve_exchange(store, exchange)))
        except StoreError as exc:
            store.close()
            raise one_line(exc) from exc
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        store.close()
        raise click.ClickException(
            "browse needs a terminal; without one use `respdeck sql`, `usage` or `check`"
        )
    from inspector.tui.launch import run_browse

    run_browse(path, store, spec)
