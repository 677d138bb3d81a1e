"""Record modes in real inner pytest runs: new_episodes appends, all re-records, a secret in a
request body is refused, a failed test writes nothing, WebSocket mode records and replays.

Each inner run records through the session's real recorder (mitmdump) against a local
upstream that plays the API (the replay server over `recordings/`); replays go to an address
where nothing listens, so a replay that reached the upstream would fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.dataset  # noqa: F401  (see below)
import pytest

# An in-process inner run forgets the modules it imported, and DuckDB's and pyarrow's extension
# modules cannot be imported twice: the recorder's store (and the pyarrow.dataset DuckDB loads
# on its first Arrow insert) are loaded here, once, for every inner run.
import addon.recorder.ingest
import addon.store.load  # noqa: F401
from addon.importers import load_file
from inspector.replay import ReplayUpstream
from tests.test_cassette_plugin import COMMON, DEAD, PLANTED, RECORDINGS, inner

GROWING = (
    COMMON
    + """

@pytest.mark.respdeck(cassette="shared")
def test_grows(respdeck_openai, respdeck_cassette):
    events, text = streamed(respdeck_openai)
    assert text
    if os.environ.get("RESPDECK_TEST_SECOND_CALL"):
        first = list(respdeck_openai.responses.create(
            model="gpt-4.1-mini", input=QUESTION, tools=[WEATHER], stream=True))
        assert first[-1].type == "response.completed"
"""
)


@pytest.fixture
def upstream() -> Iterator[ReplayUpstream]:
    files = [RECORDINGS / "stream_text.har", RECORDINGS / "function_call_roundtrip.har"]
    with ReplayUpstream.from_paths(files, pace=0) as server:
        yield server


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    return pytester


def interactions(path: Path) -> list[str]:
    return [f"{e.request.method} {e.request.path}" for e in load_file(path)]


def test_new_episodes_appends_and_all_rerecords(
    suite: pytest.Pytester, upstream: ReplayUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.makepyfile(test_grow=GROWING)
    cassette = suite.path / "cassettes" / "test_grow" / "shared.yaml"
    live = upstream.url + "/v1"
    inner(suite, "--respdeck-upstream", live).assert_outcomes(passed=1)  # once: records
    assert interactions(cassette) == ["POST /v1/responses"]
    served = len(upstream.served)

    monkeypatch.setenv("RESPDECK_TEST_SECOND_CALL", "1")
    grown = inner(suite, "--respdeck-record-mode", "new_episodes", "--respdeck-upstream", live)
    grown.assert_outcomes(passed=1)
    assert "recorded 1 exchange(s) into cassettes/test_grow/shared.yaml" in grown.stdout.str()
    assert interactions(cassette) == ["POST /v1/responses"] * 2
    assert len(upstream.served) == served + 1  # the first call replayed, the new one recorded
    inner(suite, "--respdeck-record-mode", "none", "--respdeck-upstream", DEAD).assert_outcomes(
        passed=1
    )

    monkeypatch.delenv("RESPDECK_TEST_SECOND_CALL")
    again = inner(suite, "--respdeck-record-mode", "all", "--respdeck-upstream", live)
    again.assert_outcomes(passed=1)
    assert interactions(cassette) == ["POST /v1/responses"]  # rewritten: only what ran
    assert len(upstream.served) == served + 2


REFUSED = (
    COMMON
    + """
SECRET = "sk-proj-" + "q8Fw2LmZ9xR4tBodyW7nB1cV6yH3kJ5pD0sE"  # a real key's shape


@pytest.mark.respdeck
def test_key_in_the_body(respdeck_openai):
    try:
        respdeck_openai.responses.create(model="gpt-4.1-mini", input=f"my key is {SECRET}")
    except openai.APIError:
        pass  # whatever the upstream answers, the request was recorded


@pytest.mark.respdeck
def test_fails_after_a_call(respdeck_openai):
    events, text = streamed(respdeck_openai)
    assert not text, "this test fails on purpose"
"""
)


def test_a_secret_in_a_request_body_is_refused_and_a_failed_test_writes_nothing(
    suite: pytest.Pytester, upstream: ReplayUpstream
) -> None:
    suite.makepyfile(test_refused=REFUSED)
    result = inner(suite, "--respdeck-upstream", upstream.url + "/v1")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert (
        "respdeck: cassettes/test_refused/test_key_in_the_body.yaml not written: a secret is in "
        "the recording: openai-project-key in the request body of exchange 1 "
        "(POST /v1/responses)"
    ) in out
    reasons = [line for line in out.splitlines() if "not written" in line]
    assert reasons and not any("q8Fw2LmZ9xR4t" in line for line in reasons)  # kind, not key
    assert "test_fails_after_a_call.yaml not written: the test did not pass" in out
    assert not (suite.path / "cassettes").exists()


WEBSOCKET = """
import json
from urllib.parse import urlsplit

import pytest

from tests.ws_client import websocket_session

TURNS = [
    {"type": "response.create", "model": "gpt-4.1-mini", "store": True,
     "input": "Tell me a fun fact about octopuses in one sentence."},
]


@pytest.mark.respdeck
def test_websocket_turn(respdeck_cassette):
    port = urlsplit(respdeck_cassette.base_url).port
    received = websocket_session(port, [json.dumps(t).encode() for t in TURNS])
    types = [json.loads(m)["type"] for m in received]
    assert types[0] == "response.created" and types[-1] == "response.completed"
"""


def test_websocket_mode_records_and_replays(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_ws=WEBSOCKET)
    with ReplayUpstream.from_paths([RECORDINGS / "websocket.har"], pace=0) as upstream:
        inner(suite, "--respdeck-upstream", upstream.url + "/v1").assert_outcomes(passed=1)
    (recorded,) = load_file(suite.path / "cassettes" / "test_ws" / "test_websocket_turn.yaml")
    assert recorded.websocket and recorded.websocket[0].from_client
    replayed = inner(suite, "--respdeck-record-mode", "none", "--respdeck-upstream", DEAD)
    replayed.assert_outcomes(passed=1)
