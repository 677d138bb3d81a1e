"""The database and its WAL hold the same prompts as the journal (0600): they are as private,
and an existing database keeps the mode its owner gave it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from addon.store.db import open_for_write
from inspector.replay.upstream import ReplayUpstream
from tests.recorder_harness import ROOT, Recorder


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common 022 for the test, whatever an earlier test left; restored afterwards."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_database_and_its_wal_are_private(tmp_path: Path, usual_umask: None) -> None:
    db = tmp_path / "new.duckdb"
    conn = open_for_write(db)
    try:
        conn.execute("CREATE TABLE scratch AS SELECT range AS n FROM range(1000)")
        wal = db.with_name(db.name + ".wal")
        assert wal.exists()  # written, not checkpointed yet
        assert (mode(db), mode(wal)) == (0o600, 0o600)
    finally:
        conn.close()
    assert mode(db) == 0o600


def test_an_existing_database_keeps_its_mode(tmp_path: Path, usual_umask: None) -> None:
    db = tmp_path / "shared.duckdb"
    open_for_write(db).close()
    db.chmod(0o640)
    os.umask(0o022)  # as in the next process that opens it
    conn = open_for_write(db)
    try:
        conn.execute("CREATE TABLE scratch AS SELECT range AS n FROM range(1000)")
        wal = db.with_name(db.name + ".wal")
        assert (mode(db), mode(wal)) == (0o640, 0o640)  # the WAL follows the file, no further
    finally:
        conn.close()
    assert mode(db) == 0o640


def test_the_recorder_database_is_private(tmp_path: Path, usual_umask: None) -> None:
    db = tmp_path / "rec.duckdb"
    with ReplayUpstream.from_paths([ROOT / "recordings" / "vcr_cassette.yaml"], pace=0) as up:
        rec = Recorder(up.url, db).start()
        try:
            client = openai.OpenAI(base_url=rec.base_url, api_key="sk-modes", max_retries=0)
            client.responses.create(
                model="gpt-4.1-mini", input="Write a haiku about the sea.", temperature=0.7
            )
            rec.wait_for("SELECT count(*) FROM exchanges", lambda rows: rows[0][0] == 1, timeout=90)
            wal = db.with_name(db.name + ".wal")
            assert mode(db) == 0o600
            assert not wal.exists() or mode(wal) == 0o600
        finally:
            assert rec.stop() == 0, rec.output()
    assert mode(db) == 0o600
