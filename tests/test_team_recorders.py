"""Recorders writing into one team store at once, with a real PostgreSQL: every exchange stored
exactly once and usage summing to the traffic's, a reader seeing every recorder's exchanges as
they land, a recorder killed mid-batch losing and doubling nothing, PostgreSQL stopped for a
while with the recorders proxying on and everything landing once it is back.

Each recorder is a real `respdeck record` (mitmdump and its ingester inside) with its own
journal, in front of its own replay upstream serving the shipped recordings.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from addon.recorder.journal import count_records
from addon.store.reader import Reader
from addon.wire.exchange import Exchange
from addon.wire.parse import parse_exchange
from inspector.replay.upstream import ReplayUpstream, load_exchanges
from tests.conftest import RECORDINGS
from tests.postgres_cluster import postgres, running_cluster, team_db
from tests.recorder_harness import Recorder, descendants
from tests.test_team_store import initialised
from tests.waiting import wait_until

__all__ = ["postgres", "team_db"]  # fixtures


@dataclass(frozen=True)
class Call:
    """One recorded create the replay upstream answers, and the usage it reports."""

    body: bytes
    response_id: str
    input_tokens: int
    output_tokens: int


def replayable() -> list[Call]:
    """The shipped recordings' plain creates (no state: previous response, background,
    conversation) that report usage."""
    calls: dict[str, Call] = {}
    for exchange in load_exchanges([RECORDINGS]):
        if not _plain_create(exchange):
            continue
        parsed = parse_exchange(exchange)
        if parsed.response_id and parsed.usages:
            usage = parsed.usages[-1]
            calls[parsed.response_id] = Call(
                exchange.request.body,
                parsed.response_id,
                usage.input_tokens or 0,
                usage.output_tokens or 0,
            )
    return list(calls.values())


def _plain_create(exchange: Exchange) -> bool:
    request, response = exchange.request, exchange.response
    if request.method != "POST" or not request.url.endswith("/v1/responses"):
        return False
    if response is None or response.status != 200 or exchange.websocket is not None:
        return False
    body = json.loads(request.body)
    return not any(k in body for k in ("previous_response_id", "background", "conversation"))


CALLS = replayable()


def send(base_url: str, call: Call) -> int:
    """POST one recorded request through a recorder; the status, with the body read whole."""
    where = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=60)
    try:
        conn.request(
            "POST",
            f"{where.path}/responses",
            body=call.body,
            headers={"content-type": "application/json", "authorization": "Bearer sk-team"},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class TeamRecorder(Recorder):
    """`respdeck record --db ducklake:... --journal DIR`: a team recorder's journal is local."""

    def __init__(self, upstream: str, db: Path, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(upstream, db, "--journal", str(folder / "journal"))
        self.log = folder / "record.log"
        self.journal = folder / "journal"

    def journaled(self) -> int:
        """Complete records in its journal files (what the store must end up holding)."""
        return sum(count_records(p) for p in self.journal.glob("*.rdj*") if _journal(p))

    def kill_all(self) -> None:
        """kill -9 of the recorder and every process under it (mitmdump, the ingester)."""
        assert self.process is not None
        for pid in [self.process.pid, *descendants(self.process.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()


def _journal(path: Path) -> bool:
    return path.name.endswith((".rdj", ".rdj.done"))


@contextlib.contextmanager
def recorders(db: Path, root: Path, count: int) -> Iterator[list[TeamRecorder]]:
    """`count` recorders started at once, each before its own replay upstream."""
    with contextlib.ExitStack() as stack:
        upstreams = [
            stack.enter_context(ReplayUpstream.from_paths([RECORDINGS], pace=0))
            for _ in range(count)
        ]
        started = [
            TeamRecorder(up.url, db, root / f"recorder{n}") for n, up in enumerate(upstreams)
        ]
        threads = [threading.Thread(target=r.start) for r in started]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        try:
            for recorder in started:
                assert recorder.process is not None and recorder.process.poll() is None
            yield started
        finally:
            for recorder in started:
                if recorder.process is not None and recorder.process.poll() is None:
                    recorder.stop()


def drive(recorder: TeamRecorder, rounds: int, offset: int = 0) -> int:
    """Every replayable call `rounds` times through `recorder`; how many were answered."""
    order = CALLS[offset:] + CALLS[:offset]
    return sum(send(recorder.base_url, call) == 200 for _ in range(rounds) for call in order)


def stored(db: Path) -> dict[str, tuple[int, int]]:
    """capture source -> (exchanges, distinct exchange ids) in the team store."""
    with Reader.open(db) as reader:
        rows = reader.fetchall(
            "SELECT c.source, count(*), count(DISTINCT e.exchange_id) FROM exchanges e "
            "JOIN captures c USING (capture_id) GROUP BY ALL"
        )
    return {str(source): (int(n), int(distinct)) for source, n, distinct in rows}


def test_four_recorders_at_once_store_every_exchange_once(
    team_db: tuple[Path, Path], tmp_path: Path
) -> None:
    db = initialised(team_db)
    rounds = 3
    reader = Reader.open(db)  # opened before anything is recorded: it must see what lands
    try:
        # a password in the address (the cluster trusts local users and never asks for it)
        with recorders(Path(f"{db} password=hunter2"), tmp_path, 4) as running:
            answered: list[int] = [0] * len(running)

            def traffic(n: int) -> None:
                answered[n] = drive(running[n], rounds, offset=n)

            threads = [threading.Thread(target=traffic, args=(n,)) for n in range(len(running))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            total = rounds * len(CALLS) * len(running)
            assert sum(answered) == total
            # every recorder's exchanges reach the reader while the recorders still run
            seen = wait_until(
                lambda: reader.fetchall(
                    "SELECT count(DISTINCT capture_id), count(*) FROM exchanges"
                )[0],
                lambda row: row == (len(running), total),
                timeout=90,
                progress=lambda: tuple(r.progress() for r in running),
                what="the reader to see every recorder's exchanges",
            )
            assert seen == (len(running), total)
            assert reader.live  # a team store is read where it is, each query up to date
        usage = reader.fetchall(
            "SELECT capture_id, sum(input_tokens), sum(output_tokens), count(*) FROM usage "
            "GROUP BY ALL"
        )
        machines = reader.fetchall("SELECT DISTINCT machine, user_name FROM captures")
        ended = reader.fetchall("SELECT count(*) FROM captures WHERE ended_at IS NULL")
    finally:
        reader.close()
    counts = stored(db)
    assert len(counts) == 4 and all(c == (rounds * len(CALLS),) * 2 for c in counts.values())
    said = [r.log.read_text(errors="replace") for r in running]
    assert all("password=***" in log and "hunter2" not in log for log in said), said[0]
    expected = (
        sum(c.input_tokens for c in CALLS),
        sum(c.output_tokens for c in CALLS),
        len(CALLS),
    )  # per capture, one row per response (its latest state)
    assert len(usage) == 4 and all(tuple(row[1:]) == expected for row in usage), usage
    assert machines == [(os.uname().nodename, machines[0][1])] and machines[0][1]
    assert ended == [(0,)]


def test_a_recorder_killed_mid_batch_loses_and_doubles_nothing(
    team_db: tuple[Path, Path], tmp_path: Path
) -> None:
    db = initialised(team_db)
    with ReplayUpstream.from_paths([RECORDINGS], pace=0) as upstream:
        recorder = TeamRecorder(upstream.url, db, tmp_path / "killed").start()
        stop = threading.Event()

        def traffic() -> None:  # paced: what the restart catches up on stays small
            while not stop.is_set():
                for call in CALLS:
                    with contextlib.suppress(OSError, http.client.HTTPException):
                        send(recorder.base_url, call)
                    if stop.wait(0.05):
                        return

        thread = threading.Thread(target=traffic)
        thread.start()
        try:

            def between_commits() -> tuple[int, int]:
                stats = recorder.stats()
                return (stats.committed, stats.exchanges) if stats else (0, 0)

            # some batches committed, and exchanges stored since that are not committed yet
            wait_until(
                between_commits,
                lambda s: s[0] >= len(CALLS) and s[1] > s[0],
                timeout=90,
                progress=recorder.progress,
                interval=0.01,
                what="a batch in progress",
            )
            recorder.kill_all()
        finally:
            stop.set()
            thread.join()
        killed = recorder.journaled()
        restarted = TeamRecorder(upstream.url, db, tmp_path / "killed").start()
        assert send(restarted.base_url, CALLS[0]) == 200
        assert restarted.stop() == 0, restarted.output()
    counts = stored(db)
    assert sorted(n for n, _ in counts.values()) == [1, killed]  # nothing lost
    assert all(n == distinct for n, distinct in counts.values())  # nothing twice
    assert restarted.journaled() == killed + 1
    stats = restarted.stats()
    assert stats is not None and stats.caught_up >= 1  # the batch the kill cut short


def test_postgres_stopped_for_a_while_then_everything_lands(tmp_path: Path) -> None:
    with running_cluster() as cluster:
        cluster.create_database("outage")
        db = initialised((Path(cluster.catalog("outage")), tmp_path / "lake"))
        with recorders(db, tmp_path, 2) as running:
            assert all(drive(r, 1) == len(CALLS) for r in running)
            wait_until(
                lambda: sum(n for n, _ in stored(db).values()),
                lambda n: n == 2 * len(CALLS),
                timeout=90,
                progress=lambda: tuple(r.progress() for r in running),
            )
            cluster.stop()
            # the proxies go on: every call answered, journaled, and not stored
            assert all(drive(r, 2) == 2 * len(CALLS) for r in running)
            for recorder in running:
                wait_until(
                    lambda r=recorder: (r.journaled(), r.stats()),
                    lambda seen: (
                        seen[0] == 3 * len(CALLS)
                        and seen[1] is not None
                        and seen[1].db_error is not None
                    ),
                    timeout=90,
                    progress=recorder.progress,
                    what="the journal to grow while the store is away",
                )
            down = [r.stats() for r in running]
            assert all(s is not None and s.exchanges < 3 * len(CALLS) for s in down), down
            cluster.start()
            wait_until(
                lambda: sum(n for n, _ in stored(db).values()),
                lambda n: n == 2 * 3 * len(CALLS),
                timeout=120,
                progress=lambda: tuple(r.progress() for r in running),
                retry_on=(Exception,),
                what="everything journaled to land once PostgreSQL is back",
            )
        counts = stored(db)
        assert sorted(counts.values()) == [(3 * len(CALLS), 3 * len(CALLS))] * 2
        final = [r.stats() for r in running]
        assert all(s is not None and s.retries >= 1 and s.db_error is None for s in final)


@pytest.fixture(autouse=True)
def _replayable() -> None:
    assert len(CALLS) >= 5, "the shipped recordings hold the plain creates these tests send"
