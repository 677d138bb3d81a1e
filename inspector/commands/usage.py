"""`respdeck usage`: tokens and cost, by model, day, key or thread, with totals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import click

from addon.store.queries.usage import USAGE_GROUPS, report_sql, split_report

from ._common import db_option, format_table, reading


def unpriced_line(rows: Sequence[tuple[str | None, int, int]]) -> str:
    """``(unpriced: 3 of 40 responses: gpt-x 2, gpt-y (flex) 1)``, the models worst first; in
    parentheses, like the row count above it, so that readers of the table skip it. The last
    row is the total (its model NULL); none at all, for an empty database, is 0 of 0."""
    *models, (_, unpriced, responses) = rows or [(None, 0, 0)]
    named = ", ".join(f"{model} {n}" for model, n, _ in models if n)
    return f"(unpriced: {unpriced} of {responses} responses{': ' + named if named else ''})"


@click.command()
@click.option(
    "--by", "by", type=click.Choice(sorted(USAGE_GROUPS)), default="model", show_default=True
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only usage on or after this day (UTC), YYYY-MM-DD.",
)
@db_option
def usage(by: str, since: datetime | None, db: Path | None) -> None:
    """Tokens and cost (USD) by model, day, key or thread, with a total.

    Cost comes from genai-prices' bundled price list, or your $RESPDECK_PRICES file. It is
    NULL ("unpriced") for a model neither prices, or a service tier without a rate of its
    own then, never a guess; the last line counts those responses and names their models.
    """
    day = since.date() if since else None
    with reading(db) as reader:  # one pass over the usage view for both
        result = reader.execute(report_sql(by, day))
        names, usage_rows, unpriced = split_report(
            by, [d[0] for d in result.description or []], result.fetchall()
        )
    rows = [list(r) for r in usage_rows]
    if rows:
        rows[-1][0] = "TOTAL"
    click.echo(format_table(names, [tuple(r) for r in rows]))
    click.echo(unpriced_line(unpriced))
