"""`respdeck check`: findings across the database, by code, with example exchanges."""

from __future__ import annotations

from pathlib import Path

import click
import duckdb

from addon.store.db import StoreError, db_path, open_for_read
from addon.store.live import read_query
from addon.wire.findings import CODES

from .sql_cmd import format_table

CHECK_SQL = """
    SELECT code, any_value(severity) AS severity, count(*) AS findings,
           count(DISTINCT exchange_id) AS exchanges,
           array_to_string(list_slice(list(DISTINCT exchange_id ORDER BY exchange_id), 1, 3),
                           ' ') AS examples
    FROM findings GROUP BY code ORDER BY findings DESC, code
"""


@click.command()
@click.option("--db", "db", type=click.Path(path_type=Path), help="Database file.")
def check(db: Path | None) -> None:
    """Findings across the database, by code, with example exchange ids."""
    try:
        conn = open_for_read(db_path(db))
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        rows = read_query(conn, CHECK_SQL).fetchall()
        (total,) = read_query(conn, "SELECT count(*) FROM exchanges").fetchone() or (0,)
    except duckdb.Error as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from exc
    finally:
        conn.close()
    if not rows:
        click.echo(f"{total} exchange(s), no findings")
        return
    table = [
        (code, sev, n, ex, examples, CODES.get(code, "")) for code, sev, n, ex, examples in rows
    ]
    click.echo(
        format_table(
            ["code", "severity", "findings", "exchanges", "e.g. exchange_id", "meaning"], table
        )
    )
    click.echo(
        f'{total} exchange(s); see one with: respdeck sql "SELECT * FROM findings '
        'WHERE exchange_id = N"'
    )
