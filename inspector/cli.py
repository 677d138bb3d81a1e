"""The `respdeck` command: one group, one module per subcommand."""

from __future__ import annotations

import importlib
import sys

import click

# name -> (module, attribute, one-line help). Subcommands are imported only when run: the
# wire core pulls in openai's models (~2 s), which `sql` or `usage` never need.
COMMANDS = {
    "parse": ("parse", "parse", "Parse recordings (cassettes, HAR, SSE, JSON) and report."),
    "import": ("import_", "import_", "Import recordings into the database."),
    "sql": ("sql", "sql", "Run a SQL query over recorded traffic."),
    "usage": ("usage", "usage", "Tokens and cost by model, day, key or thread."),
    "check": ("check", "check", "Findings across the database, by code."),
    "diff": ("diff", "diff", "What changed between two exchanges, threads or captures."),
    "resend": ("resend", "resend", "Send recorded requests again, or edited; diff the answers."),
    "export": ("export", "export", "Export recorded exchanges: HAR, VCR, JSONL, Batch, curl, raw."),
    "scan": ("scan", "scan", "Find secrets (keys, tokens, cookies) in recordings or a database."),
    "init": ("init", "init", "Create or upgrade a store's schema (a team store: only here)."),
    "maintain": ("maintain", "maintain", "Compact a team store: flush, merge, expire, clean up."),
    "reindex": ("reindex", "reindex", "Re-parse the stored raw bytes (after an upgrade)."),
    "serve": ("serve", "serve", "Hold a database and serve it to live readers."),
    "record": ("record", "record", "Record Responses API traffic through a local proxy."),
    "browse": ("browse", "browse", "Browse recorded traffic in a terminal UI."),
    "replay": ("replay", "replay", "Serve recordings as a local Responses API, offline."),
    "demo": ("demo", "demo", "Record a bundled session offline and browse it."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(f"{__package__}.commands.{module}"), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, about) for name, (_, _, about) in COMMANDS.items()])


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="respdeck")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """respdeck: record, inspect and query OpenAI Responses API traffic."""
    if ctx.invoked_subcommand is None:
        # Plain `respdeck` on a terminal browses; otherwise it prints this help, as before.
        if sys.stdin.isatty() and sys.stdout.isatty():
            assert isinstance(ctx.command, LazyGroup)
            browse = ctx.command.get_command(ctx, "browse")
            assert browse is not None
            ctx.invoke(browse)
        else:
            raise click.exceptions.NoArgsIsHelpError(ctx)


def main(args: list[str] | None = None) -> None:
    """Console entry point: bad input gives a one-line error and exit 2, never a traceback."""
    try:
        # Without standalone mode click returns an Exit's code instead of exiting.
        code = cli.main(args=args, prog_name="respdeck", standalone_mode=False)
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
