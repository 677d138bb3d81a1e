"""`respdeck replay PATH... | --db FILE [--capture ID] [--where SQL] [--port] [--pace]
[--ignore PATH]...`: serve recordings as a local Responses API until Ctrl-C.

A client pointed at it (`OPENAI_BASE_URL`) gets the recorded answers with their recorded
timing scaled by `--pace`; stored responses and conversations answer from the recording's
state; a request nothing answers gets an error explaining the closest recording, also logged.
From a database, exchanges load losslessly (`load_ids`), the ones `--capture` (an id prefix)
and `--where` (SQL over the exchanges columns) select, in recorded order.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from addon.importers import ImportFailure

from ._common import one_line, reading, stop_on_signals

if TYPE_CHECKING:
    from addon.wire.exchange import Exchange

PAGE = 500  # exchanges loaded from a database at a time


def _from_db(db: Path, capture: str | None, where: str | None) -> list[Exchange]:
    """The selected exchanges of a database, in recorded order; one-line errors."""
    import duckdb

    from addon.store.db import StoreError
    from addon.store.load import NotStored, load_ids
    from addon.store.queries import resolve_capture
    from addon.store.queries.selection import selection_sql

    with reading(db) as reader:  # a missing file is its one-line error (a team store is no file)
        try:
            capture_id = resolve_capture(reader, capture) if capture else None
            ids = [str(r[0]) for r in reader.fetchall(selection_sql(where, capture_id))]
            out: list[Exchange] = []
            for start in range(0, len(ids), PAGE):
                out.extend(load_ids(reader, ids[start : start + PAGE]))
        except (StoreError, duckdb.Error, NotStored) as exc:
            raise one_line(exc) from exc
    if not out:
        raise click.ClickException(f"no exchange in {db} matches: nothing to serve")
    return out


def _exchanges(
    paths: tuple[Path, ...], db: Path | None, capture: str | None, where: str | None
) -> list[Exchange]:
    if paths and db is not None:
        raise click.ClickException("give recordings (PATH...) or --db FILE, not both")
    if db is not None:
        return _from_db(db, capture, where)
    if capture or where:
        raise click.ClickException("--capture and --where select from a database: give --db FILE")
    if not paths:
        raise click.ClickException("give recordings to serve (PATH...) or --db FILE")
    from inspector.replay.upstream import load_exchanges

    try:
        return load_exchanges(str(p) for p in paths)
    except ImportFailure as exc:
        raise click.ClickException(str(exc)) from exc


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--db", type=click.Path(path_type=Path), help="Serve a respdeck database.")
@click.option("--capture", metavar="ID", help="With --db: only this capture (an id prefix).")
@click.option("--where", metavar="SQL", help="With --db: a WHERE over the exchanges columns.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=0, help="Port to listen on (default: a free one).")
@click.option(
    "--pace",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Scale of the recorded delays; 0 answers without waiting.",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="PATH",
    help="A request field matching leaves out (as diff --ignore: metadata.run_id, "
    "tools.NAME.description, an item field such as content); repeatable.",
)
def replay(
    paths: tuple[Path, ...],
    db: Path | None,
    capture: str | None,
    where: str | None,
    host: str,
    port: int,
    pace: float,
    ignore: tuple[str, ...],
) -> None:
    """Serve recorded exchanges (files, folders, or a database) as a local Responses API:
    the URL goes to stdout, one line per request to stderr, misses explained."""
    from inspector.replay.upstream import ReplayUpstream

    exchanges = _exchanges(paths, db, capture, where)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        upstream = ReplayUpstream(exchanges, pace=pace, host=host, port=port, ignore=ignore)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if not upstream.http and not upstream.websockets:
        where_from = str(db) if db is not None else " ".join(map(str, paths))
        raise click.ClickException(f"no exchanges to serve in {where_from}")
    try:
        upstream.start()
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from exc
    click.echo(upstream.url)
    click.echo(
        f"serving {len(upstream.http)} exchange(s) and {len(upstream.websockets)} WebSocket "
        f"session(s), pace {pace}; Ctrl-C to stop",
        err=True,
    )
    with stop_on_signals() as stop:
        try:
            while not stop.wait(0.5):
                pass
        finally:
            upstream.stop()
    if upstream.misses:
        click.echo(f"{len(upstream.misses)} request(s) had no recording", err=True)
