"""`respdeck demo`: the whole pipeline offline, on the bundled recordings.

A local upstream replays recordings from `recordings/` (original chunking and pacing), a real
`respdeck record` sits in front of it, and the `openai` SDK sends a small session through it:
streamed text, a function call round trip, reasoning, web search, an error. Then the browser
opens on what was recorded; without a terminal, a summary is printed instead.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from addon.ports import free_port
from addon.recorder.proxy_process import wait_listening

# Installed, the recordings travel inside the package (pyproject maps recordings/ there);
# in a checkout they are the repository's own.
_INSPECTOR = Path(__file__).resolve().parents[1]
_PACKAGED = _INSPECTOR / "recordings"
RECORDINGS = _PACKAGED if _PACKAGED.is_dir() else _INSPECTOR.parent / "recordings"


def _requests(name: str) -> list[dict[str, Any]]:
    """The JSON request bodies recorded in one bundled file, in order."""
    from addon.importers import load_file

    return [json.loads(e.request.body) for e in load_file(RECORDINGS / name) if e.request.body]


def _streamed_text(client: Any) -> str:
    (body,) = _requests("stream_text.har")
    text = ""
    for event in client.responses.create(**body):
        if event.type == "response.output_text.delta":
            text += event.delta
    return f"streamed {len(text)} characters: {text[:60]!r}..."


def _function_calls(client: Any) -> str:
    first, second = _requests("function_call_roundtrip.har")
    calls = [i for i in client.responses.create(**first) if i.type == "response.completed"]
    called = [o.name for o in calls[0].response.output if o.type == "function_call"]
    answer = client.responses.create(**second)
    return f"called {', '.join(called)}, then answered: {answer.output_text[:50]!r}..."


def _reasoning(client: Any) -> str:
    (body,) = _requests("reasoning.har")
    events = client.responses.create(**body)  # the recording is a stream
    usage = next(e for e in events if e.type == "response.completed").response.usage
    return (
        f"{usage.output_tokens_details.reasoning_tokens} reasoning tokens of {usage.output_tokens}"
    )


def _web_search(client: Any) -> str:
    (body,) = _requests("web_search.har")
    events = list(client.responses.create(**body))
    return f"{len(events)} stream events, with web search and citations"


def _error(client: Any) -> str:
    import openai

    body = _requests("stream_error.har")[-1]
    try:
        list(client.responses.create(**body))  # the first recorded answer: an error event
        list(client.responses.create(**body))  # the second: HTTP 429
    except openai.APIStatusError as exc:
        return f"HTTP {exc.status_code}: {exc.message[:60]}"
    except openai.APIError as exc:
        return f"error event in the stream: {exc.message[:60]}"
    return "no error (unexpected)"


STEPS: list[tuple[str, Callable[[Any], str]]] = [
    ("streamed text", _streamed_text),
    ("function call round trip", _function_calls),
    ("reasoning", _reasoning),
    ("web search", _web_search),
    ("an error", _error),
]


@click.command()
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    help="Where to record (default: a fresh temporary database).",
)
@click.option(
    "--pace", default=1.0, show_default=True, help="Replay speed: 1 as recorded, 0 no waiting."
)
@click.option("--no-browse", is_flag=True, help="Print the summary even on a terminal.")
def demo(db: Path | None, pace: float, no_browse: bool) -> None:
    """Record a small session offline through a real proxy, then browse it."""
    if not RECORDINGS.is_dir():
        raise click.ClickException(f"the bundled recordings are missing ({RECORDINGS})")
    if db is None:
        folder = Path(tempfile.gettempdir()) / "respdeck-demo"
        shutil.rmtree(folder, ignore_errors=True)
        db = folder / "demo.duckdb"
    elif db.exists():
        raise click.ClickException(f"{db} exists: the demo records into a new database")
    from inspector.replay.upstream import ReplayUpstream

    with ReplayUpstream.from_paths([RECORDINGS], pace=pace) as upstream:
        click.echo(f"respdeck demo: a local upstream replays {RECORDINGS} on {upstream.url}")
        _record_session(upstream.url, db)
    if sys.stdin.isatty() and sys.stdout.isatty() and not no_browse:
        from inspector.tui.launch import run_browse

        run_browse(db)
    else:
        _summary(db)
    run = "" if _PACKAGED.is_dir() else "uv run "  # an installed tool needs no uv
    click.echo(f"\nThe database stays at {db}; try:\n  {run}respdeck usage --db {db}\n"
               f"  {run}respdeck browse --db {db}")  # fmt: skip


def _record_session(upstream: str, db: Path) -> None:
    import openai

    port = free_port()
    args = [sys.executable, "-m", "inspector", "record", "--port", str(port),
            "--upstream", upstream, "--db", str(db)]  # fmt: skip
    recorder = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    try:
        if not wait_listening("127.0.0.1", port, lambda: recorder.poll() is None, 90):
            detail = recorder.communicate()[1].strip() if recorder.poll() is not None else ""
            raise click.ClickException(f"respdeck record did not start {detail}".strip())
        click.echo(f"respdeck demo: `respdeck record` listens on 127.0.0.1:{port}")
        client = openai.OpenAI(
            base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-demo-not-a-real-key", max_retries=0
        )
        for label, step in STEPS:
            started = time.monotonic()
            outcome = step(client)
            click.echo(f"  {label:<26} {time.monotonic() - started:5.2f}s  {outcome}")
    finally:
        recorder.send_signal(signal.SIGINT)
        _, err = recorder.communicate(timeout=120)
    last = [line for line in err.splitlines() if "recorded" in line]
    click.echo(last[-1] if last else err.strip().splitlines()[-1] if err.strip() else "")
    if recorder.returncode != 0:
        raise click.ClickException(f"respdeck record failed: {err.strip().splitlines()[-1:]}")


def _summary(db: Path) -> None:
    from addon.store.queries import summary_sql

    from ._common import format_table, reading

    with reading(db) as reader:
        cur = reader.execute(summary_sql())
        names = [d[0] for d in cur.description or []]
        click.echo("\n" + format_table(names, cur.fetchall()))
