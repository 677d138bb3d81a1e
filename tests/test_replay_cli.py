"""`respdeck replay` in process: from a real DuckDB database (`--db`, `--capture`, `--where`),
with `--ignore`, served to the real openai SDK until SIGINT; bad input is one line, exit 2."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from addon.importers import load_file
from addon.ports import free_port
from addon.store.db import open_for_write
from addon.store.importer import import_paths
from inspector.cli import main

from .conftest import RECORDINGS
from .waiting import wait_until

FILES = ("vcr_cassette.yaml", "stream_text.har", "background.har")


def body_of(name: str, index: int = 0) -> dict[str, Any]:
    return json.loads(load_file(RECORDINGS / name)[index].request.body)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three recordings imported: one capture each."""
    path = tmp_path_factory.mktemp("replay") / "store.duckdb"
    conn = open_for_write(path)
    try:
        import_paths(conn, [RECORDINGS / name for name in FILES])
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    return path


def captures(db: Path) -> dict[str, str]:
    """Capture id by the file it imported."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute("SELECT capture_id::VARCHAR, source FROM captures").fetchall()
    return {Path(source).name: str(capture) for capture, source in rows}


def replay(args: list[str], use: Callable[[openai.OpenAI], Any]) -> tuple[int, Any]:
    """Run `respdeck replay ARGS` here (signals need the main thread), `use` an SDK client of
    it from a thread, then stop it as Ctrl-C does; (exit code, what `use` returned)."""
    port = free_port()
    original = signal.getsignal(signal.SIGINT)
    done, out = threading.Event(), {}

    def client() -> None:
        try:
            wait_until(
                lambda: done.is_set() or signal.getsignal(signal.SIGINT) is not original,
                timeout=120,
            )
            if done.is_set():  # it exited before serving: nothing to interrupt
                return
            sdk = openai.OpenAI(
                base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-test", max_retries=0
            )
            out["value"] = use(sdk)
        except BaseException as exc:  # reported by the test, in its own thread
            out["error"] = exc
        finally:
            if not done.is_set():
                os.kill(os.getpid(), signal.SIGINT)

    worker = threading.Thread(target=client)
    worker.start()
    try:
        with pytest.raises(SystemExit) as exited:
            main(["replay", *args, "--port", str(port), "--pace", "0"])
    finally:
        done.set()
        worker.join()
    if "error" in out:
        raise out["error"]
    return int(exited.value.code or 0), out.get("value")


def test_a_whole_database_with_an_ignore_path(db: Path) -> None:
    def use(client: openai.OpenAI) -> list[str]:
        haiku = client.responses.create(**body_of("vcr_cassette.yaml"), metadata={"run": "2"})
        with client.responses.create(**body_of("stream_text.har")) as stream:
            final = [e for e in stream][-1].response
        again = client.responses.retrieve(final.id)
        return [haiku.output_text.split("\n")[0], again.status]

    code, seen = replay(["--db", str(db), "--ignore", "metadata.run"], use)
    assert code == 0
    assert seen == [load_haiku_first_line(), "completed"]


def load_haiku_first_line() -> str:
    from addon.wire.parse import parse_exchange

    text = parse_exchange(load_file(RECORDINGS / "vcr_cassette.yaml")[0]).output_text
    assert text
    return text.split("\n")[0]


def test_capture_selects_one_recording(db: Path) -> None:
    def use(client: openai.OpenAI) -> tuple[str, str]:
        haiku = client.responses.create(**body_of("vcr_cassette.yaml")).output_text
        with pytest.raises(openai.NotFoundError) as info:
            client.responses.create(**body_of("stream_text.har"))
        return haiku, info.value.message

    capture = captures(db)["vcr_cassette.yaml"]
    code, (haiku, missed) = replay(["--db", str(db), "--capture", capture[:8]], use)
    assert code == 0 and haiku.split("\n")[0] == load_haiku_first_line()
    assert "no recorded exchange for POST /v1/responses" in missed


def test_where_selects_by_sql_and_the_state_fills_in(db: Path) -> None:
    def use(client: openai.OpenAI) -> list[str]:
        created = client.responses.create(**body_of("background.har"))
        return [created.status, client.responses.retrieve(created.id).status]

    code, statuses = replay(["--db", str(db), "--where", "method = 'POST'"], use)
    assert code == 0
    assert statuses == ["queued", "queued"]  # the polls were left out: the create's state


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "give recordings to serve (PATH...) or --db FILE"),
        (["recordings/vcr_cassette.yaml", "--db", "x.duckdb"], "not both"),
        (["--capture", "abcd"], "--capture and --where select from a database: give --db FILE"),
        (["--db", "no/such.duckdb"], "no database at no/such.duckdb"),
        (["no/such/dir"], "no/such/dir: no such file or directory"),
        (["--db", "{db}", "--capture", "ffffffff"], "no capture has an id starting 'ffffffff'"),
        (["--db", "{db}", "--where", "no_such_column = 1"], "no_such_column"),
        (["--db", "{db}", "--where", "false"], "matches: nothing to serve"),
        (["--db", "{db}", "--pace", "-1"], "-1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    db: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["replay", *(a.replace("{db}", str(db)) for a in args)])
    err = capsys.readouterr().err
    assert exited.value.code == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("respdeck: "), err
    assert says in err
