"""`respdeck replay PATH... [--host] [--port] [--pace]`: serve recordings as a local Responses
API until Ctrl-C. A client pointed at it (`OPENAI_BASE_URL`) gets the recorded answers, with
their recorded timing scaled by `--pace`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from addon.importers import ImportFailure

from ._common import stop_on_signals


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=0, help="Port to listen on (default: a free one).")
@click.option(
    "--pace",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Scale of the recorded delays; 0 answers without waiting.",
)
def replay(paths: tuple[Path, ...], host: str, port: int, pace: float) -> None:
    """Serve recorded exchanges as a local upstream: the URL goes to stdout, one line per
    request to stderr."""
    from inspector.replay.upstream import ReplayUpstream

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        upstream = ReplayUpstream.from_paths(
            [str(p) for p in paths], pace=pace, host=host, port=port
        )
    except (ImportFailure, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if not upstream.http and not upstream.websockets:
        raise click.ClickException(f"no exchanges to serve in {' '.join(map(str, paths))}")
    try:
        upstream.start()
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from exc
    click.echo(upstream.url)
    click.echo(
        f"serving {len(upstream.http)} exchange(s) and {len(upstream.websockets)} WebSocket "
        f"session(s), pace {pace}; Ctrl-C to stop",
        err=True,
    )
    with stop_on_signals() as stop:
        try:
            while not stop.wait(0.5):
                pass
        finally:
            upstream.stop()
