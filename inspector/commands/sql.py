"""`respdeck sql "SELECT ..."`: query the database; table, csv, json or parquet out."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from addon.store.sql_text import sql_string

from ._common import db_option, format_table, reading


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
@db_option
def sql(query: str, fmt: str, output: Path | None, db: Path | None) -> None:
    """Run a SQL query over recorded traffic (tables: exchanges, responses, items, events,
    findings, captures)."""
    if fmt == "parquet" and output is None:
        raise click.UsageError("--format parquet needs --output FILE")
    with reading(db) as reader, reader.cursor("main") as cur:
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
