"""`respdeck import PATH...`: parse recordings into the database, one capture per file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from addon.importers import ImportFailure
from addon.store.importer import import_paths
from addon.store.location import db_path

from ._common import db_option, writing


@click.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="processes that parse (default: one per core for a large import; 1: no workers)",
)
def import_(paths: tuple[Path, ...], db: Path | None, jobs: int | None) -> None:
    """Import recordings (every format `respdeck parse` reads) into the database.

    Importing the same file again adds nothing; each file becomes one capture.
    """
    path = db_path(db)
    with writing(db) as conn:
        try:
            if sys.stderr.isatty():
                with click.progressbar(length=1, label="importing", file=sys.stderr) as bar:

                    def progress(done: int, total: int) -> None:
                        bar.length = max(total, 1)
                        bar.update(done - bar.pos)

                    report = import_paths(conn, paths, progress, jobs=jobs)
            else:
                report = import_paths(conn, paths, jobs=jobs)
        except ImportFailure as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{path}: imported {report.files} file(s), {report.exchanges} exchange(s), "
        f"{report.events} event(s); {len(report.already)} already imported"
    )
    for reason in report.failed:
        click.echo(f"respdeck: {reason}", err=True)
    if report.failed:
        raise click.exceptions.Exit(2)
