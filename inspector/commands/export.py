"""`respdeck export`: recorded exchanges out, in a format other tools read (the registry in
`addon.exporters`). Written to a temporary file beside the output and renamed: a failed
export leaves nothing, and never half a file."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import db_option


@click.command()
@click.argument("ids", nargs=-1)
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(["har", "vcr", "jsonl", "batch", "curl", "raw"]),
    help="What to write.",
)
@db_option
@click.option("--where", default=None, metavar="SQL", help="A WHERE over the exchanges columns.")
@click.option("--capture", default=None, metavar="ID", help="Only this capture (an id prefix).")
@click.option(
    "--output", "-o", type=click.Path(path_type=Path), default=None, help="File (default: stdout)."
)
def export(
    ids: tuple[str, ...],
    fmt: str,
    db: Path | None,
    where: str | None,
    capture: str | None,
    output: Path | None,
) -> None:
    """Export exchanges (IDS: id prefixes or response ids; default: all, in recorded order)."""
    from inspector.exporting import run_export

    run_export(fmt, db, ids, where, capture, output)
