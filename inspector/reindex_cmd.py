"""`respdeck reindex`: rebuild the derived tables from the stored raw bytes."""

from __future__ import annotations

from pathlib import Path

import click

from addon.store.db import StoreError, db_path, open_for_write
from addon.store.reindex import reindex as reindex_all


@click.command()
@click.option("--db", "db", type=click.Path(path_type=Path), help="Database file.")
def reindex(db: Path | None) -> None:
    """Parse the recorded raw bytes again with this version of respdeck (after an upgrade)."""
    path = db_path(db)
    if not path.exists():
        raise click.ClickException(f"no database at {path}")
    try:
        conn = open_for_write(path)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        count = reindex_all(conn)
    finally:
        conn.close()
    click.echo(f"{path}: re-parsed {count} exchange(s)")
