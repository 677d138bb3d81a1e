"""`respdeck init --db ducklake:postgres:... --data-path DIR`: create a team store's schema.

The one place a team store's schema is created or upgraded: recorders and importers writing
into it refuse a schema that is not theirs, because DDL from two writers at once conflicts.
"""

from __future__ import annotations

from pathlib import Path

import click

from addon.store.location import data_path, db_path, describe, is_team

from ._common import db_option, one_line

DATA_PATH_HELP = (
    "The shared folder (or s3://... through httpfs) for a new team store's Parquet files "
    "(default: $RESPDECK_DATA_PATH); the store remembers it."
)


@click.command()
@db_option
@click.option("--data-path", "data", metavar="DIR", help=DATA_PATH_HELP)
def init(db: Path | None, data: str | None) -> None:
    """Create a team store (--db ducklake:postgres:dbname=... host=... user=...), or bring
    its schema up to date; RESPDECK_PRICES' rows and the library's prices are loaded."""
    from addon.store.db import StoreError, open_team_for_init
    from addon.store.migrations import LATEST

    path = db_path(db)
    if not is_team(path):
        raise click.ClickException(
            f"{path}: init is for a team store (--db ducklake:postgres:dbname=... host=... "
            "user=...); a DuckDB file is created by the first command that writes to it"
        )
    folder = data_path(data)
    if folder and "://" not in folder:
        folder = str(Path(folder).expanduser().resolve())
        Path(folder).mkdir(parents=True, exist_ok=True)
    try:
        conn, before, after = open_team_for_init(path, folder)
    except StoreError as exc:
        raise one_line(exc) from exc
    try:
        row = conn.execute(
            "SELECT value FROM ducklake_options('team') WHERE option_name = 'data_path'"
        ).fetchone()
    finally:
        conn.close()
    where = describe(path)
    stored = row[0] if row else folder
    if before == 0:
        click.echo(f"{where}: created the team store, schema version {after}; files under {stored}")
    elif before < after:
        click.echo(f"{where}: upgraded the schema from version {before} to {after}")
    else:
        click.echo(f"{where}: schema version {LATEST} already; files under {stored}")
