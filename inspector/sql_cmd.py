"""`respdeck sql "SELECT ..."`: query the database; table, csv, json or parquet out."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
import duckdb

from addon.store.db import StoreError, db_path, open_for_read
from addon.store.live import remote_statement, remote_uri, sql_string


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_table(names: list[str], rows: list[tuple[Any, ...]]) -> str:
    """A plain text table; numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    numeric = [
        bool(rows) and all(isinstance(r[i], int | float) or r[i] is None for r in rows)
        for i in range(len(names))
    ]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    lines = [line(list(names)), "  ".join("-" * w for w in widths)]
    lines += [line(r) for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


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
@click.option("--db", "db", type=click.Path(path_type=Path), help="Database file.")
def sql(query: str, fmt: str, output: Path | None, db: Path | None) -> None:
    """Run a SQL query over recorded traffic (tables: exchanges, responses, items, events,
    findings, captures)."""
    if fmt == "parquet" and output is None:
        raise click.UsageError("--format parquet needs --output FILE")
    try:
        conn = open_for_read(db_path(db))
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        uri = remote_uri(conn)
        if uri is not None:
            query = remote_statement(conn, uri, query)  # joins run on the live server
        if fmt == "parquet":
            assert output is not None
            conn.execute(f"COPY ({query}) TO '{sql_string(str(output))}' (FORMAT parquet)")
            click.echo(f"wrote {output}")
            return
        result = conn.execute(query)
        names = [d[0] for d in result.description or []]
        rows = result.fetchall()
    except duckdb.Error as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from exc
    finally:
        conn.close()
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
