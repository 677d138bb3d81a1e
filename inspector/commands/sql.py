"""`respdeck sql "SELECT ..."`: query the database; table, csv, json or parquet out."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from addon.store.location import db_path
from addon.store.sql_text import sql_string

from ._common import db_option, format_table, one_line, reading

if TYPE_CHECKING:
    from addon.store.reader import Reader


@contextmanager
def _reading_as_of(db: Path | None, as_of: str) -> Iterator[Reader]:
    """A team store as it was at `as_of` (its snapshot then); errors become one line."""
    import duckdb

    from addon.store.db import StoreError
    from addon.store.reader import Reader

    try:
        reader = Reader.open(db_path(db), as_of=as_of)
    except StoreError as exc:
        raise one_line(exc) from exc
    try:
        yield reader
    except duckdb.Error as exc:
        raise one_line(exc) from exc
    finally:
        reader.close()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


@click.command()
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "parquet"]),
    default="table",
    show_default=True,
)
@click.option("--output", type=click.Path(path_type=Path), help="Write to this file.")
@click.option(
    "--as-of",
    "as_of",
    metavar="TIMESTAMP",
    help="Read a team store as it was then (e.g. '2026-09-01 12:00:00+00'; time travel).",
)
@db_option
def sql(query: str, fmt: str, output: Path | None, as_of: str | None, db: Path | None) -> None:
    """Run a SQL query over recorded traffic (tables: exchanges, responses, items, events,
    findings, captures)."""
    if fmt == "parquet" and output is None:
        raise click.UsageError("--format parquet needs --output FILE")
    opened = reading(db) if as_of is None else _reading_as_of(db, as_of)
    with opened as reader, reader.cursor("main") as cur:
        if fmt == "parquet":
            assert output is not None
            statement = cur.statement(query)  # joins run on the live server
            cur.cur.execute(f"COPY ({statement}) TO '{sql_string(str(output))}' (FORMAT parquet)")
            click.echo(f"wrote {output}")
            return
        result = cur.execute(query)
        names = [d[0] for d in result.description or []]
        rows = result.fetchall()
    out = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        if fmt == "table":
            out.write(format_table(names, rows) + "\n")
        elif fmt == "csv":
            writer = csv.writer(out)
            writer.writerow(names)
            writer.writerows([[_json_value(v) for v in row] for row in rows])
        else:
            for row in rows:
                record = {n: _json_value(v) for n, v in zip(names, row, strict=True)}
                out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    finally:
        if output:
            out.close()
