"""Every command against a team store (a DuckLake on a real PostgreSQL), run in process: import,
sql, usage, check, diff, export, replay --db and browse read and write it as they do a DuckDB
file, and say the same; RESPDECK_DB and RESPDECK_DATA_PATH name it as --db and --data-path do.
(record: tests/test_team_recorders.py; init, maintain, sql --as-of: tests/test_team_store.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest

from addon.importers import load_file
from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.reader import Reader
from addon.wire.parse import parse_exchange
from inspector.tui.app import BrowseApp
from tests.conftest import RECORDINGS
from tests.helpers import respdeck as run_respdeck
from tests.postgres_cluster import Cluster, postgres
from tests.test_replay_cli import body_of, replay
from tests.test_tui_support import SIZE, ready, run, wait_for

__all__ = ["postgres"]  # fixture
ROOT = Path(__file__).resolve().parents[1]
LATER = RECORDINGS / "stream_text.har"  # imported while the browser watches
FIRST = sorted(p for p in RECORDINGS.iterdir() if p.suffix in (".har", ".yaml") and p != LATER)


@dataclass
class Stores:
    team: Path  # ducklake:postgres:...
    local: Path  # a DuckDB file holding the same imports
    data: Path


def respdeck(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    """`respdeck ARGS` in process, through the console entry point: (exit code, stdout,
    stderr)."""
    done = run_respdeck(*args, env=env)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def stores(postgres: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    """The same recordings imported with `respdeck import` into a new team store (named by
    RESPDECK_DB and RESPDECK_DATA_PATH) and into a DuckDB file."""
    folder = tmp_path_factory.mktemp("team-commands")
    postgres.create_database("commands")
    found = Stores(Path(postgres.catalog("commands")), folder / "local.duckdb", folder / "lake")
    env = {"RESPDECK_DB": str(found.team), "RESPDECK_DATA_PATH": str(found.data)}
    code, out, err = respdeck("init", env=env)
    assert code == 0, out + err
    code, out, err = respdeck("import", *map(str, FIRST), env=env)
    assert code == 0 and f"imported {len(FIRST)} file(s)" in out, out + err
    code, out, err = respdeck("import", "--db", str(found.local), *map(str, FIRST))
    assert code == 0, out + err
    assert any(found.data.rglob("*.parquet")), "the team store's rows are in its data path"
    yield found


def test_import_again_adds_nothing(stores: Stores) -> None:
    code, out, _ = respdeck("import", "--db", str(stores.team), str(FIRST[0]))
    assert code == 0 and "imported 0 file(s)" in out and "1 already imported" in out


@pytest.mark.parametrize(
    "args",
    [
        ["usage", "--by", "model"],
        ["usage", "--by", "day"],
        ["usage", "--by", "thread"],
        ["sql", "SELECT endpoint, count(*) AS n FROM exchanges GROUP BY ALL ORDER BY ALL"],
        ["sql", "--format", "csv", "SELECT model, round(sum(cost_usd::DECIMAL(38, 12)), 9) AS usd "
         "FROM usage GROUP BY ALL ORDER BY ALL"],
        ["sql", "SELECT count(*) AS turns, count(DISTINCT thread_id) AS threads FROM threads"],
        ["sql", "SELECT name, count(*) AS calls FROM tool_calls GROUP BY ALL ORDER BY ALL"],
    ],
)  # fmt: skip
def test_reads_say_what_they_say_of_a_duckdb_file(stores: Stores, args: list[str]) -> None:
    team = respdeck(*args, "--db", str(stores.team))
    local = respdeck(*args, "--db", str(stores.local))
    assert team[0] == local[0] == 0, team[2] + local[2]
    assert team[1] == local[1]


def test_check_lists_the_same_findings(stores: Stores) -> None:
    query = "SELECT code, count(*) AS n FROM findings GROUP BY ALL ORDER BY ALL"
    team = respdeck("sql", "--db", str(stores.team), query)
    assert team[0] == 0 and team[1] == respdeck("sql", "--db", str(stores.local), query)[1]
    code, out, err = respdeck("check", "--db", str(stores.team))
    assert code in (0, 1), err
    codes = [line.split()[0] for line in team[1].splitlines()[2:-1]]
    assert codes and all(c in out for c in codes)


def test_parquet_out_of_a_team_store(stores: Stores, tmp_path: Path) -> None:
    out = tmp_path / "usage.parquet"
    code, _, err = respdeck(
        "sql", "--db", str(stores.team), "--format", "parquet", "--output", str(out),
        "SELECT * FROM usage",
    )  # fmt: skip
    assert code == 0 and out.exists(), err
    import duckdb

    (rows,) = duckdb.sql(f"SELECT count(*) FROM '{out}'").fetchone() or (0,)
    with Reader.open(stores.local) as reader:
        assert reader.fetchone("SELECT count(*) FROM usage") == (rows,)


def test_diff_two_exchanges_of_a_team_store(stores: Stores) -> None:
    with Reader.open(stores.team) as reader:
        ids = [
            str(r[0])[:8]
            for r in reader.fetchall(
                "SELECT e.exchange_id FROM exchanges e JOIN captures c USING (capture_id) "
                "WHERE e.endpoint = 'responses.create' AND e.status = 200 "
                "ORDER BY c.source, e.seq LIMIT 2"
            )
        ]
    code, out, err = respdeck("diff", "--db", str(stores.team), "--json", *ids)
    assert code in (0, 1), err
    doc = json.loads(out)
    assert doc["same"] is False and str(doc["a"]["exchange_id"]).startswith(ids[0])


def test_export_every_exchange_as_har(stores: Stores, tmp_path: Path) -> None:
    out = tmp_path / "team.har"
    code, _, err = respdeck("export", "--format", "har", "--db", str(stores.team), "-o", str(out))
    assert code == 0, err
    with Reader.open(stores.team) as reader:
        (count,) = reader.fetchone("SELECT count(*) FROM exchanges") or (0,)
    assert f"exported {count} exchange(s) as har" in err
    assert len(load_file(out)) == count


def test_replay_serves_a_team_store(stores: Stores) -> None:
    def use(client: openai.OpenAI) -> str:
        return client.responses.create(**body_of("vcr_cassette.yaml")).output_text

    code, text = replay(["--db", str(stores.team)], use)
    assert code == 0
    assert text == parse_exchange(load_file(RECORDINGS / "vcr_cassette.yaml")[0]).output_text


def test_the_browser_shows_new_exchanges_of_a_team_store(stores: Stores) -> None:
    with Reader.open(stores.team) as reader:
        (before,) = reader.fetchone("SELECT count(*) FROM exchanges") or (0,)
    added = len(load_file(LATER))

    async def scenario() -> None:
        app = BrowseApp(stores.team)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, before)
            assert screen.store.live and "(team)" in screen.sub_title
            conn = open_for_write(stores.team)  # another writer, as a recorder elsewhere is
            try:
                import_paths(conn, [LATER])
            finally:
                conn.close()
            await wait_for(pilot, lambda: screen.table.total == before + added, "new rows")

    run(scenario)


def test_the_console_command_on_a_team_store(stores: Stores) -> None:
    """The real entry point, in a process of its own, as a user types it."""
    env = {**os.environ, "RESPDECK_DB": str(stores.team)}
    done = subprocess.run(
        [sys.executable, "-m", "inspector", "sql", "SELECT count(*) AS n FROM captures"],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Reader.open(stores.team) as reader:
        assert reader.fetchone("SELECT count(*) FROM captures") == (int(done.stdout.split()[2]),)
    written = subprocess.run(
        [sys.executable, "-m", "inspector", "sql", "--db", str(stores.team),
         "DELETE FROM captures"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert written.returncode == 2, written.stderr  # readers attach the team store read-only
    assert written.stderr.startswith("respdeck: ") and len(written.stderr.splitlines()) == 1


def test_reindex_parses_a_team_store_again_and_it_says_the_same(stores: Stores) -> None:
    """reindex writes every derived table of the store again (a team store is no file that
    must exist first); what the reads say does not change."""
    query = "SELECT endpoint, count(*), sum(output_tokens) FROM usage GROUP BY ALL ORDER BY ALL"
    before = respdeck("sql", "--db", str(stores.team), query)
    with Reader.open(stores.team) as reader:  # other tests here add to it
        (exchanges,) = reader.fetchone("SELECT count(*) FROM exchanges")
    code, out, err = respdeck("reindex", "--db", f"{stores.team} password=hunter2")
    assert code == 0, err
    assert "re-parsed" in out and "hunter2" not in out and "password=***" in out
    assert f"re-parsed {exchanges} exchange(s)" in out
    assert respdeck("sql", "--db", str(stores.team), query) == before
