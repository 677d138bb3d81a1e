"""`respdeck reindex`: rebuild the derived tables from the stored raw bytes."""

from __future__ import annotations

from pathlib import Path

import click

from addon.store.location import db_path, describe
from addon.store.reindex import reindex as reindex_all

from ._common import db_option, writing


@click.command()
@db_option
def reindex(db: Path | None) -> None:
    """Parse the recorded raw bytes again with this version of respdeck (after an upgrade)."""
    with writing(db, must_exist=True) as conn:
        count = reindex_all(conn)
    click.echo(f"{describe(db_path(db))}: re-parsed {count} exchange(s)")
