"""`respdeck resend ID...`: send recorded requests again, record the answers, diff them.

Exit status: 0 when everything was sent and recorded (whatever the answers say: the diff
tells); 2 when nothing was sent (refused, declined, bad input) or a send failed.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from ._common import db_option, writing

if TYPE_CHECKING:
    import duckdb

    from inspector.resend.run import Options, Report

EPILOG = (
    "ID: an exchange id or a unique prefix of it, or a response id (resp_...). PATH: dotted "
    "keys and list indexes of the JSON body (reasoning.effort, tools.2); VALUE is JSON when "
    "it parses as JSON, else a string. The key is read from $OPENAI_API_KEY (or "
    "--api-key-env) and never stored."
)


@click.command(epilog=EPILOG)
@click.argument("ids", nargs=-1)
@db_option
@click.option("--capture", metavar="ID", help="Re-run a whole capture in order, chains re-linked.")
@click.option("--upstream", metavar="URL", help="Send there (default: where it was sent).")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Set a body field.")
@click.option("--unset", "unsets", multiple=True, metavar="PATH", help="Remove a body field.")
@click.option("--edit", is_flag=True, help="Edit the body in $EDITOR before sending.")
@click.option("--times", type=click.IntRange(1, 1000), default=1, help="Send N times; spread.")
@click.option("--yes", "-y", is_flag=True, help="Send without asking.")
@click.option("--json", "as_json", is_flag=True, help="Print the diff document(s) as JSON.")
@click.option(
    "--api-key-env", default="OPENAI_API_KEY", metavar="NAME", help="Read the key from $NAME."
)
def resend(
    ids: tuple[str, ...],
    db: Path | None,
    capture: str | None,
    upstream: str | None,
    sets: tuple[str, ...],
    unsets: tuple[str, ...],
    edit: bool,
    times: int,
    yes: bool,
    as_json: bool,
    api_key_env: str,
) -> None:
    """Send recorded requests again (exactly, or edited) and diff the answers."""
    from inspector.resend.edit import EditError, make_edits
    from inspector.resend.run import Options

    if bool(ids) == bool(capture):
        raise click.UsageError("give exchange IDs or --capture ID (one of them)")
    if capture and (edit or times != 1):
        raise click.UsageError("--capture re-runs each exchange once, with no --edit")
    if upstream is not None:
        _check_upstream(upstream)
    try:
        edits = make_edits(sets, unsets)
    except EditError as exc:
        raise click.ClickException(str(exc)) from exc
    options = Options(upstream, edits, times, os.environ.get(api_key_env) or None, api_key_env)
    with writing(db, must_exist=True) as conn:
        report = _resend(conn, ids, capture, edit, yes, options)
    if as_json:
        click.echo(json.dumps(report.document, indent=2, ensure_ascii=False, default=str))
    else:
        _print(report.renderables)
    for line in report.trouble:
        click.echo(f"respdeck: {line}", err=True)
    sys.exit(2 if report.trouble else 0)


def _check_upstream(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(
            f"{url!r} is not an http(s) URL with a host", param_hint="--upstream"
        )


def _resend(
    conn: duckdb.DuckDBPyConnection,
    ids: tuple[str, ...],
    capture: str | None,
    edit: bool,
    yes: bool,
    options: Options,
) -> Report:
    from addon.store.db import StoreError
    from inspector.resend.edit import EditError, parse_edited, pretty
    from inspector.resend.run import (
        Refused,
        editable_body,
        plan_lines,
        prepare,
        prepare_capture,
        run,
        run_capture,
    )

    try:
        capture_id = None
        if capture:
            capture_id, jobs = prepare_capture(conn, capture, options)
        else:
            jobs = prepare(conn, list(ids), options)
        for job in jobs if edit else []:
            text = click.edit(pretty(editable_body(job)), extension=".json", require_save=False)
            if text is not None:
                job.edits = replace(job.edits, replacement=parse_edited(text))
    except Refused as exc:
        for reason in exc.reasons:
            click.echo(f"respdeck: not sent: {reason}", err=True)
        sys.exit(2)
    except (StoreError, EditError) as exc:
        raise click.ClickException(str(exc)) from exc
    for line in plan_lines(conn, jobs, options):
        click.echo(line, err=True)
    if not yes:
        if not sys.stdin.isatty():
            raise click.ClickException("not sent: stdin is not a terminal; give --yes to send")
        count = len(jobs) * options.times
        if not click.confirm(f"Send {count} request{'s' * (count != 1)}?", err=True):
            click.echo("respdeck: nothing sent", err=True)
            sys.exit(2)
    if capture_id is not None:
        return run_capture(conn, capture_id, jobs, options)
    return run(conn, jobs, options, "resend of " + " ".join(ids))


def _print(renderables: list[Any]) -> None:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    for renderable in renderables:
        console.print(renderable)
