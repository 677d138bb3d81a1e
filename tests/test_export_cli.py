"""`respdeck export` end to end: what it selects, in which order, where it writes, and that a
failure writes nothing (the formats themselves are tested in tests/test_export_*.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from addon.importers import load_file

from .helpers import ROOT, respdeck

RECORDINGS = ROOT / "recordings"
PLANTED = "sk-proj-" + "Q" * 40  # a key the importer must fingerprint before anything sees it


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database of every shipped recording plus a HAR sent with a planted key."""
    folder = tmp_path_factory.mktemp("export")
    har = json.loads((RECORDINGS / "stream_text.har").read_text(encoding="utf-8"))
    for entry in har["log"]["entries"]:
        entry["request"]["headers"].append({"name": "Authorization", "value": f"Bearer {PLANTED}"})
    keyed = folder / "keyed.har"
    keyed.write_text(json.dumps(har), encoding="utf-8")
    db = folder / "store.duckdb"
    done = respdeck("import", "--db", str(db), str(RECORDINGS), str(keyed))
    assert done.returncode == 0, done.stderr
    return db


def rows(db: Path, sql: str) -> list[dict[str, Any]]:
    done = respdeck("sql", "--db", str(db), "--format", "json", sql)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_everything_as_har_reads_back(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.har"
    done = respdeck("export", "--format", "har", "--db", str(store), "-o", str(out))
    assert done.returncode == 0, done.stderr
    (count,) = rows(store, "SELECT count(*) AS n FROM exchanges")[0].values()
    assert f"exported {count} exchange(s) as har" in done.stderr
    assert len(load_file(out)) == count
    text = out.read_text(encoding="utf-8")
    assert PLANTED not in text and "Bearer fp:" in text
    assert out.stat().st_mode & 0o077 == 0, "an export holds prompts: private like the database"


def test_ids_in_the_order_named_and_where_and_capture(store: Path, tmp_path: Path) -> None:
    listed = rows(
        store,
        "SELECT exchange_id::VARCHAR AS id, capture_id::VARCHAR AS capture, endpoint "
        "FROM exchanges ORDER BY started_at",
    )
    first, last = listed[0], listed[-1]
    done = respdeck(
        "export", "--format", "jsonl", "--db", str(store), last["id"][:8], first["id"][:8]
    )
    assert done.returncode == 0, done.stderr
    exported = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(exported) == 2
    urls = [e["request"]["url"] for e in exported]
    assert urls == [_url(store, last["id"]), _url(store, first["id"])]

    done = respdeck(
        "export",
        "--format",
        "jsonl",
        "--db",
        str(store),
        "--where",
        "endpoint = 'responses.create'",
    )
    creates = [r for r in listed if r["endpoint"] == "responses.create"]
    assert done.returncode == 0 and len(done.stdout.splitlines()) == len(creates)

    capture = first["capture"]
    done = respdeck("export", "--format", "jsonl", "--db", str(store), "--capture", capture[:8])
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == sum(1 for r in listed if r["capture"] == capture)


def _url(db: Path, exchange_id: str) -> str:
    return rows(db, f"SELECT url FROM exchanges WHERE exchange_id = '{exchange_id}'")[0]["url"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--where", "no_such_column = 1"], "no_such_column"),
        (["--where", "false"], "no exchange matches"),
        (["--capture", "ffff0000"], "no capture"),
        (["abcd1234"], "no exchange"),
    ],
)
def test_a_failure_writes_nothing(store: Path, tmp_path: Path, args: list[str], says: str) -> None:
    out = tmp_path / "kept.har"
    out.write_text("what was there before", encoding="utf-8")
    done = respdeck("export", "--format", "har", "--db", str(store), "-o", str(out), *args)
    assert done.returncode == 2
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert out.read_text(encoding="utf-8") == "what was there before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.har"], "no temporary file left"


def test_an_unwritable_output_is_one_line(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "folder" / "x.har"
    done = respdeck("export", "--format", "har", "--db", str(store), "-o", str(out))
    assert done.returncode == 2 and "x.har" in done.stderr
    assert "Traceback" not in done.stderr and not out.parent.exists()


def test_a_progress_bar_on_a_terminal(store: Path, tmp_path: Path) -> None:
    """On a terminal the export to a file shows its progress on stderr (a pseudo-terminal
    here, as a user's shell would give it)."""
    import os
    import pty
    import subprocess

    out = tmp_path / "all.vcr.yaml"
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "inspector",
                "export",
                "--format",
                "vcr",
                "--db",
                str(store),
                "-o",
                str(out),
            ],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
            check=False,
        )
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                piece = os.read(leader, 65536)
            except OSError:  # the terminal closed: everything was read
                break
            if not piece:
                break
            shown += piece
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert done.returncode == 0
    text = shown.decode("utf-8", "replace")
    assert "exporting vcr" in text and "100%" in text, text
    assert "exported" in text and out.is_file()


def test_where_sees_the_browsers_columns(store: Path) -> None:
    """--where is the browser's filter: computed columns (cost, tokens, time to first token)
    and names the captures table shares (`started_at`) work unqualified."""
    priced = rows(
        store,
        "SELECT count(*) AS n FROM usage WHERE cost_usd > 0.0001",
    )[0]["n"]
    assert priced > 0
    done = respdeck(
        "export", "--format", "jsonl", "--db", str(store), "--where", "cost_usd > 0.0001"
    )
    assert done.returncode == 0, done.stderr
    assert 0 < len(done.stdout.splitlines()) <= priced
    timed = rows(store, "SELECT count(*) AS n FROM exchanges WHERE started_at IS NOT NULL")
    done = respdeck(
        "export", "--format", "jsonl", "--db", str(store), "--where", "started_at IS NOT NULL"
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == timed[0]["n"]


@pytest.mark.parametrize("fmt", ["har", "vcr", "jsonl", "batch", "curl", "raw"])
def test_every_export_scans_clean_and_a_planted_key_is_found(
    store: Path, tmp_path: Path, fmt: str
) -> None:
    """What export writes holds fingerprints only (scan finds nothing); the same file with a
    key pasted into a request body is caught at its line."""
    out = tmp_path / f"all.{fmt}"
    done = respdeck("export", "--format", fmt, "--db", str(store), "-o", str(out))
    assert done.returncode == 0, done.stderr
    clean = respdeck("scan", str(out))
    assert clean.returncode == 0, clean.stdout
    data = out.read_bytes()  # raw holds gzip bodies as received: not all of it is text
    at = data.index(b"gpt-4.1-mini")  # a model name inside a request body
    pasted = "sk-proj-" + "T3stN0tReal" * 4  # looks like a real key (PLANTED is all Qs)
    out.write_bytes(data[:at] + pasted.encode() + b" " + data[at:])
    found = respdeck("scan", str(out))
    line = data[:at].count(b"\n") + 1
    assert found.returncode == 1 and f"{out}:{line}: openai-project-key" in found.stdout
    assert pasted not in found.stdout
