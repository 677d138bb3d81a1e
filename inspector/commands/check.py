"""`respdeck check`: findings across the database, by code, with example exchanges."""

from __future__ import annotations

from pathlib import Path

import click

from addon.wire.findings import CODES

from ._common import db_option, format_table, reading

CHECK_SQL = """
    SELECT code, severity, count(*) AS findings, count(DISTINCT exchange_id) AS exchanges,
           array_to_string(list_slice(list(DISTINCT exchange_id ORDER BY exchange_id), 1, 3),
                           ' ') AS examples
    FROM findings GROUP BY code, severity
    ORDER BY list_position(['error', 'warning', 'info'], severity), findings DESC, code
"""
SEVERITIES = ("error", "warning", "info")


@click.command()
@db_option
def check(db: Path | None) -> None:
    """Findings across the database, by code and severity, with example exchange ids."""
    with reading(db) as reader:
        rows = reader.fetchall(CHECK_SQL)
        (total,) = reader.fetchone("SELECT count(*) FROM exchanges") or (0,)
    if rows:
        table = [
            (code, sev, n, ex, examples, CODES.get(code, "")) for code, sev, n, ex, examples in rows
        ]
        click.echo(
            format_table(
                ["code", "severity", "findings", "exchanges", "e.g. exchange_id", "meaning"], table
            )
        )
    click.echo(summary(total, rows))
    if rows:
        click.echo('see one with: respdeck sql "SELECT * FROM findings WHERE exchange_id = N"')


def summary(total: int, rows: list[tuple[str, str, int, int, str]]) -> str:
    """`28 exchange(s): 0 errors, 0 warnings, 3 info`: the line that says whether it is clean."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for _, severity, n, _, _ in rows:
        counts[severity] = counts.get(severity, 0) + n
    plural = {"error": "errors", "warning": "warnings", "info": "info"}
    parts = [f"{n} {plural.get(sev, sev) if n != 1 else sev}" for sev, n in counts.items()]
    return f"{total} exchange(s): {', '.join(parts)}"
