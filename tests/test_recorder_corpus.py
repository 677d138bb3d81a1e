"""Real recorded traffic from the shared corpus, replayed through a real recorder.

Every chosen exchange is requested twice, straight from a replay upstream and through
`respdeck record` before its twin: the bytes must be the same both ways and the database must
hold each one exactly as the client received it. Skipped when ../shared/corpus is absent.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

import httpx2 as httpx
import pytest

from addon.importers import ImportFailure, load_file
from addon.wire.endpoints import classify
from addon.wire.exchange import Exchange
from inspector.replay.upstream import ReplayUpstream
from tests.conftest import CORPUS
from tests.recorder_harness import Recorder
from tests.waiting import scaled

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
FILES = 40  # spread over the manifest: streamed and not, every dialect with a wire format


def chosen() -> list[Exchange]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as f:
        rows = [
            r
            for r in csv.DictReader(f, delimiter="\t")
            if r["format"] in ("vcr-yaml", "vcr-json", "har")
        ]
    step = max(1, len(rows) // FILES)
    out: list[Exchange] = []
    for row in rows[::step][:FILES]:
        try:
            exchanges = load_file(CORPUS / row["local_file"])
        except (ImportFailure, OSError):
            continue
        for e in exchanges:
            request = e.request
            if (
                e.websocket is None and e.response is not None and e.response.status >= 200
                and classify(request.method, request.path) != "other"
            ):  # fmt: skip
                out.append(e)
    return out


@pytest.fixture(scope="module")
def exchanges() -> list[Exchange]:
    found = chosen()
    assert len(found) >= 20
    return found


@pytest.fixture(scope="module")
def servers(
    exchanges: list[Exchange], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Recorder]]:
    with ReplayUpstream(exchanges, pace=0) as direct, ReplayUpstream(exchanges, pace=0) as behind:
        rec = Recorder(behind.url, tmp_path_factory.mktemp("corpus") / "c.duckdb").start()
        yield direct.url, rec
        assert rec.stop() == 0, rec.output()


def fetch(client: httpx.Client, base: str, exchange: Exchange) -> tuple[int, bytes]:
    request = exchange.request
    target = request.path + (f"?{request.query}" if request.query else "")
    with client.stream(
        request.method, base + target, content=request.body or None,
        headers={"content-type": "application/json", "accept-encoding": "gzip, br, zstd"},
    ) as response:  # fmt: skip
        return response.status_code, b"".join(response.iter_raw())


def test_corpus_traffic_passes_through_unchanged_and_is_stored(
    exchanges: list[Exchange], servers: tuple[str, Recorder]
) -> None:
    direct, rec = servers
    proxied_base = f"http://127.0.0.1:{rec.port}"
    got = []
    with httpx.Client(timeout=scaled(60)) as client:
        for exchange in exchanges:
            plain = fetch(client, direct, exchange)
            through = fetch(client, proxied_base, exchange)
            assert through == plain, exchange.source
            got.append(through)
    rows = rec.wait_for(
        "SELECT status, response_body, endpoint, streamed FROM exchanges "
        "WHERE position >= 0 ORDER BY position",
        lambda rows: len(rows) >= len(exchanges),
        timeout=120,
    )
    assert [(r[0], r[1]) for r in rows] == got
    streamed = [r for r in rows if r[3]]
    assert streamed, "the sample should hold streams"
    events = rec.query("SELECT count(*) FROM events")[0][0]
    assert events > len(streamed)
