"""`respdeck check`: findings across the database, by code, with example exchanges."""

from __future__ import annotations

from pathlib import Path

import click

from addon.store.queries import check_sql, short_id
from addon.wire.findings import CODES

from ._common import db_option, format_table, reading

SEVERITIES = ("error", "warning", "info")


@click.command()
@db_option
def check(db: Path | None) -> None:
    """Findings across the database, by code and severity, with example exchange ids."""
    with reading(db) as reader:
        rows = [
            (code, sev, n, ex, " ".join(short_id(i) for i in examples))
            for code, sev, n, ex, examples in reader.fetchall(check_sql())
        ]
        (total,) = reader.fetchone("SELECT count(*) FROM exchanges") or (0,)
    if rows:
        table = [(*row, CODES.get(row[0], "")) for row in rows]
        click.echo(
            format_table(
                ["code", "severity", "findings", "exchanges", "e.g. exchange_id", "meaning"], table
            )
        )
    click.echo(summary(total, rows))
    if rows:
        click.echo(hint(rows[0][4].split()[0]))


def hint(example: str) -> str:
    """How to look up an exchange by the short id the table shows."""
    return (
        f"see one: respdeck browse, then / id:{example}; or respdeck sql "
        f"\"SELECT * FROM findings WHERE starts_with(exchange_id::VARCHAR, '{example}')\""
    )


def summary(total: int, rows: list[tuple[str, str, int, int, str]]) -> str:
    """`28 exchange(s): 0 errors, 0 warnings, 3 info`: the line that says whether it is clean."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for _, severity, n, _, _ in rows:
        counts[severity] = counts.get(severity, 0) + n
    plural = {"error": "errors", "warning": "warnings", "info": "info"}
    parts = [f"{n} {plural.get(sev, sev) if n != 1 else sev}" for sev, n in counts.items()]
    return f"{total} exchange(s): {', '.join(parts)}"
