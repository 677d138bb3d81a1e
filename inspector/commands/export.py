"""`respdeck export`: recorded exchanges out, in a format other tools read (the registry in
`addon.exporters`). Written to a temporary file beside the output and renamed: a failed
export leaves nothing, and never half a file."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from addon.exporters import MODULES

from ._common import db_option, one_line, reading

if TYPE_CHECKING:
    from addon.store.load import StoredExchange
    from addon.store.reader import Reader

PAGE = 200  # exchanges loaded at a time: memory stays bounded on a large export


@click.command()
@click.argument("ids", nargs=-1)
@click.option(
    "--format", "fmt", required=True, type=click.Choice(list(MODULES)), help="What to write."
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
    """Export exchanges: IDS (id prefixes or response ids) or those --where / --capture
    select; all of them when none is given, in recorded order."""
    import duckdb

    from addon.exporters import get
    from addon.store.db import StoreError

    chosen = get(fmt)
    with reading(db) as reader:
        try:
            selected = _select(reader, ids, where, capture)
        except (StoreError, duckdb.Error) as exc:
            raise one_line(exc) from exc
        if not selected:
            raise click.ClickException("no exchange matches: nothing written")
        shown = output is not None and sys.stderr.isatty()  # stdout may be the terminal
        with click.progressbar(
            length=len(selected), label=f"exporting {fmt}", file=sys.stderr, hidden=not shown
        ) as bar:
            pieces = chosen.chunks(_exchanges(reader, selected, bar.update))
            if output is None:
                for piece in pieces:
                    sys.stdout.buffer.write(piece)
                sys.stdout.buffer.flush()
                return
            from addon.atomic import replace_file

            try:
                replace_file(output.expanduser(), pieces)
            except OSError as exc:
                raise click.ClickException(f"{output}: {exc.strerror or exc}") from exc
    click.echo(f"respdeck: exported {len(selected)} exchange(s) as {fmt} to {output}", err=True)


def _select(
    reader: Reader, ids: Sequence[str], where: str | None, capture: str | None
) -> list[str]:
    from addon.store.queries import resolve_capture, resolve_exchange
    from addon.store.queries.selection import selection_sql

    named = [resolve_exchange(reader, i) for i in ids] if ids else None
    capture_id = resolve_capture(reader, capture) if capture else None
    rows = reader.fetchall(selection_sql(where, capture_id, named))
    found = [str(r[0]) for r in rows]
    if named is not None:  # in the order they were named
        order = {i: n for n, i in enumerate(named)}
        found.sort(key=lambda i: order.get(i, len(order)))
    return found


def _exchanges(
    reader: Reader, ids: Sequence[str], advance: Callable[[int], None]
) -> Iterator[StoredExchange]:
    """The exchanges, loaded a page at a time as the exporter asks for them."""
    from addon.store.load import load_ids

    for start in range(0, len(ids), PAGE):
        page = load_ids(reader, ids[start : start + PAGE])
        yield from page
        advance(len(page))
