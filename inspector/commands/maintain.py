"""`respdeck maintain --db ducklake:...`: compact a team store and say what was done."""

from __future__ import annotations

from pathlib import Path

import click

from addon.store.location import db_path, describe, is_team

from ._common import db_option, one_line


@click.command()
@db_option
@click.option(
    "--keep",
    default="7d",
    show_default=True,
    metavar="DURATION",
    help="Keep snapshots this long for time travel (sql --as-of): 7d, 12h, 30m, 0.",
)
def maintain(db: Path | None, keep: str) -> None:
    """Flush inlined rows to Parquet, merge small files, expire snapshots older than --keep,
    remove files no snapshot needs, refresh the prices. Safe while recorders run."""
    import duckdb

    from addon.store.db import StoreError, open_for_write
    from addon.store.lake_maintain import maintain as run
    from addon.store.lake_maintain import parse_keep, user_prices_file

    path = db_path(db)
    if not is_team(path):
        raise click.ClickException(
            f"{path}: maintain is for a team store (--db ducklake:postgres:...); a DuckDB file "
            "compacts itself"
        )
    try:
        kept = parse_keep(keep)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--keep") from exc
    try:
        conn = open_for_write(path)
    except StoreError as exc:
        raise one_line(exc) from exc
    try:
        report = run(conn, kept, user_prices_file())
    except duckdb.Error as exc:
        raise one_line(exc) from exc
    finally:
        conn.close()
    click.echo(f"{describe(path)}:")
    for line in report.lines():
        click.echo(f"  {line}")
