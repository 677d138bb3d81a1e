"""`respdeck diff A B`: what changed between two exchanges, two threads or two captures.

Exit status as diff(1): 0 the same, 1 different, 2 trouble (one line on stderr).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ._common import db_option

SIDE_HELP = (
    "A and B: an exchange id or a unique prefix of it, a response id (resp_...), or FILE#N "
    "(the Nth exchange, from 0, of a recording file)."
)


@click.command(epilog=SIDE_HELP)
@click.argument("a")
@click.argument("b")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the diff as a JSON document.")
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="PATH",
    help="Leave out a field by path (metadata.run_id, temperature, tools.*.description).",
)
@click.option("--strict", is_flag=True, help="Compare everything: ids and volatile fields too.")
@click.option("--thread", "mode", flag_value="thread", help="Diff the threads of A and B.")
@click.option(
    "--capture",
    "mode",
    flag_value="capture",
    help="A and B are captures (an id prefix or a recording file): pair their exchanges.",
)
def diff(
    a: str,
    b: str,
    db: Path | None,
    as_json: bool,
    ignore: tuple[str, ...],
    strict: bool,
    mode: str | None,
) -> None:
    """What changed from A to B, by meaning: request, input items, output, usage and timing."""
    from addon.store.location import db_path
    from inspector.diff import DiffTrouble, Sources
    from inspector.diff.compare import compare

    try:
        with Sources(db_path(db)) as sources:
            doc, printable = compare(
                sources, a, b, mode or "exchange", ignore=ignore, strict=strict
            )
    except DiffTrouble as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False, default=str))
    else:
        _print(printable)
    sys.exit(0 if doc["same"] else 1)


def _print(renderables: list[Any]) -> None:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    for renderable in renderables:
        console.print(renderable)
