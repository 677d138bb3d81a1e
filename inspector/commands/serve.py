"""`respdeck serve`: hold a database and serve it live, so other respdeck commands can read it.

DuckDB lets only one process open a database file; while this runs, `respdeck sql` and friends
reach the database through it (Quack on 127.0.0.1) instead of opening the file.
"""

from __future__ import annotations

from pathlib import Path

import click

from addon.store.live import LiveError, LiveServer
from addon.store.location import db_path

from ._common import db_option, stop_on_signals, writing


@click.command()
@db_option
def serve(db: Path | None) -> None:
    """Serve the database to other respdeck processes until Ctrl-C."""
    path = db_path(db)
    with writing(db) as conn, stop_on_signals() as stop:
        try:
            server = LiveServer.start(conn, path)
        except LiveError as exc:
            raise click.ClickException(str(exc)) from exc
        try:
            click.echo(
                f"serving {path} on {server.uri} (discovery file {server.discovery}); "
                "Ctrl-C to stop"
            )
            while not stop.wait(0.5):  # a timed wait keeps signal handling prompt
                pass
        finally:
            server.stop()
        conn.execute("CHECKPOINT")
