"""`respdeck usage`: tokens and cost, by model, day, key or thread, with totals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
import duckdb

from addon.store.db import StoreError, db_path, open_for_read
from addon.store.live import read_query

from .sql_cmd import format_table

GROUPS = {
    "model": "coalesce(u.model, '(unknown)')",
    "day": "coalesce(CAST(CAST(timezone('UTC', u.started_at) AS DATE) AS VARCHAR), '(no time)')",
    "key": "coalesce(u.key_fingerprint, '(no key)')",
    "thread": "coalesce(t.thread_id, u.response_id, '(none)')",
}


def usage_sql(by: str, since: date | None) -> str:
    """The usage query, grouped by `by`, with a TOTAL row last."""
    join = "LEFT JOIN threads t USING (response_id)" if by == "thread" else ""
    # a literal, not a parameter: over a live server the query is sent whole, as text
    where = f"WHERE timezone('UTC', u.started_at) >= DATE '{since.isoformat()}'" if since else ""
    order = "1" if by == "day" else "cost_usd DESC NULLS LAST, 1"
    query = f"""
        SELECT {GROUPS[by]} AS {by}, count(*) AS responses,
               sum(u.input_tokens) AS input, sum(u.cached_tokens) AS cached,
               sum(u.output_tokens) AS output, sum(u.reasoning_tokens) AS reasoning,
               round(sum(u.cost_usd), 6) AS cost_usd,
               count(*) FILTER (WHERE u.cost_usd IS NULL AND u.input_tokens IS NOT NULL)
                   AS unpriced
        FROM usage u {join} {where}
        GROUP BY ROLLUP ({GROUPS[by]})
        ORDER BY GROUPING({GROUPS[by]}), {order}
    """
    return query


@click.command()
@click.option("--by", "by", type=click.Choice(sorted(GROUPS)), default="model", show_default=True)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only usage on or after this day (UTC), YYYY-MM-DD.",
)
@click.option("--db", "db", type=click.Path(path_type=Path), help="Database file.")
def usage(by: str, since: object, db: Path | None) -> None:
    """Tokens and cost (USD) by model, day, key or thread, with a total.

    Cost is NULL ("unpriced") for a model without a price, never a guess.
    """
    try:
        conn = open_for_read(db_path(db))
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    query = usage_sql(by, since.date() if since else None)  # type: ignore[attr-defined]
    try:
        result = read_query(conn, query)
        names = [d[0] for d in result.description or []]
        rows = [list(r) for r in result.fetchall()]
    except duckdb.Error as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from exc
    finally:
        conn.close()
    if rows:
        rows[-1][0] = "TOTAL"
    click.echo(format_table(names, [tuple(r) for r in rows]))
