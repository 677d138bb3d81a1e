"""The `respdeck` command: one group, one module per subcommand."""

from __future__ import annotations

import sys

import click

from .check_cmd import check
from .import_cmd import import_
from .parse_cmd import parse
from .reindex_cmd import reindex
from .serve_cmd import serve
from .sql_cmd import sql
from .usage_cmd import usage


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="respdeck")
def cli() -> None:
    """respdeck: record, inspect and query OpenAI Responses API traffic."""


cli.add_command(parse)
cli.add_command(import_)
cli.add_command(sql)
cli.add_command(check)
cli.add_command(reindex)
cli.add_command(usage)
cli.add_command(serve)


def main() -> None:
    """Console entry point: bad input gives a one-line error and exit 2, never a traceback."""
    try:
        # Without standalone mode click returns an Exit's code instead of exiting.
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"respdeck: {exc.format_message()}", err=True)
        sys.exit(2 if exc.exit_code == 1 else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.stderr.close()  # `respdeck parse ... | head` is fine
        sys.exit(0)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: still one line, and a hint where to look
        click.echo(f"respdeck: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
