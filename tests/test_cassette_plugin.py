"""The respdeck pytest plugin in real inner pytest runs (issue 13 §3).

A suite of openai-using tests (`API`) is recorded once, in a subprocess
(`-p respdeck` with plugin autoloading off), against a local upstream that plays the API: the
replay server over `recordings/`. The upstream is then stopped and every other test replays
those cassettes with pytester (in process, so each run costs well under a second), against an
upstream address where nothing listens. The Node `openai` package replays two of them too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openai  # noqa: F401  (see below)
import pytest

# An in-process inner run forgets the modules it imported: what every run needs (the SDK, the
# replay server, the diff that explains a miss) is loaded here once, not again for each run.
import inspector.diff.render
import inspector.replay.upstream  # noqa: F401
from addon.importers import load_file
from inspector.cassettes.cassette import secret_findings
from inspector.replay import ReplayUpstream

ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = ROOT / "recordings"
UPSTREAM_FILES = [
    RECORDINGS / f for f in ("stream_text.har", "function_call_roundtrip.har", "background.har")
]
PLANTED = "sk-proj-Zt7Qm2Planted9LkeyX4vB8nR1cW6yH3jP5dS0aE"  # the client's key while recording
PARIS = '{"temperature":18,"unit":"celsius","condition":"light rain","humidity":82}'
DEAD = "http://127.0.0.1:9/v1"  # nothing listens: a replay that reached it would fail

# The tool of recordings/function_call_roundtrip.har, as the clients send it.
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name, e.g. Paris"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city", "unit"],
        "additionalProperties": False,
    },
    "strict": True,
}
COMMON = '''
import json
import os

import openai
import pytest

STREAM = dict(
    model="gpt-4.1-mini",
    input="Any cosy cafés near the Marais for a rainy afternoon? Keep it short.",
    previous_response_id="resp_9bc09cdce1817365006aa7ba040db6814750a0f953451aab25",
)
WEATHER = json.loads(WEATHER_JSON)
QUESTION = [{"role": "user", "content": "What's the weather like in Paris right now?"}]
PARIS = {"temperature": 18, "unit": "celsius", "condition": "light rain", "humidity": 82}


def streamed(client):
    """Event types and the text of the streamed create."""
    events = list(client.responses.create(stream=True, **STREAM))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    return events, text
'''.replace("WEATHER_JSON", repr(json.dumps(WEATHER)))

# Recorded once against the local upstream, then replayed by most tests.
API = (
    COMMON
    + """

@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.respdeck
def test_stream_create(respdeck_openai):
    events, text = streamed(respdeck_openai)
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert sum(e.type == "response.output_text.delta" for e in events) > 3 and text


@pytest.mark.respdeck
def test_stream_helper(respdeck_openai):
    with respdeck_openai.responses.stream(**STREAM) as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text and final.output_text == text


@pytest.mark.respdeck
def test_tool_round_trip(respdeck_openai):
    first = list(respdeck_openai.responses.create(
        model="gpt-4.1-mini", input=QUESTION, tools=[WEATHER], stream=True))
    response = first[-1].response
    (call,) = [item for item in response.output if item.type == "function_call"]
    assert call.name == "get_weather" and json.loads(call.arguments)["city"] == "Paris"
    answer = respdeck_openai.responses.create(
        model="gpt-4.1-mini", previous_response_id=response.id, tools=[WEATHER],
        input=[{"type": "function_call_output", "call_id": call.call_id,
                "output": json.dumps(PARIS, separators=(",", ":"))}],
    )
    assert "18" in answer.output_text


@pytest.mark.anyio
@pytest.mark.respdeck
async def test_async_stream(respdeck_async_openai):
    stream = await respdeck_async_openai.responses.create(stream=True, **STREAM)
    types = [event.type async for event in stream]
    assert types[0] == "response.created" and types[-1] == "response.completed"


@pytest.mark.respdeck
def test_background_polling(respdeck_openai):
    response = respdeck_openai.responses.create(
        model="gpt-4.1-mini", background=True,
        input="Write a short packing list for a three-day hike in the Alps.")
    for _ in range(20):
        if response.status not in ("queued", "in_progress"):
            break
        response = respdeck_openai.responses.retrieve(response.id)
    assert response.status == "completed" and response.output_text


def test_fixture_sets_the_environment(respdeck_cassette):
    assert os.environ["OPENAI_BASE_URL"] == respdeck_cassette.base_url
    client = openai.OpenAI(max_retries=0)  # built in the test: reads OPENAI_BASE_URL
    events, text = streamed(client)
    assert text and respdeck_cassette.path.name == "test_fixture_sets_the_environment.yaml"
    assert respdeck_cassette.mode in ("replay", "record")
"""
)


def inner_env(**extra: str) -> dict[str, str]:
    """The environment of an inner run: never CI's default, never a base URL of ours."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "OPENAI_BASE_URL")}
    env.update(extra)
    return env


def run_subprocess(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """An inner pytest as a user runs it, the plugin loaded by its entry point name only."""
    command = [sys.executable, "-m", "pytest", "-p", "respdeck", "-p", "anyio", "-q",
               "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning", *args]  # fmt: skip
    environment = inner_env(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", **env)
    return subprocess.run(
        command, cwd=folder, env=environment, capture_output=True, text=True, timeout=600
    )


def inner(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """An inner pytest in this process. pytest-textual-snapshot keeps session state in its
    module (shared with this outer session), so the inner run goes without it."""
    return pytester.runpytest("-p", "no:textual-snapshot", "-p", "no:cacheprovider", *args)


def cassettes_of(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted((folder / "cassettes").rglob("*.yaml"))}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`API` recorded once (record mode `once`, no cassette yet), the upstream then stopped."""
    folder = tmp_path_factory.mktemp("recorded")
    (folder / "test_api.py").write_text(API)
    with ReplayUpstream.from_paths(UPSTREAM_FILES, pace=0) as upstream:
        result = run_subprocess(
            folder, "--respdeck-upstream", upstream.url + "/v1", OPENAI_API_KEY=PLANTED
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout
    assert result.stdout.count("recorded ") == 6, result.stdout
    return folder


@pytest.fixture
def replay_dir(recorded: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pytester's folder with the recorded suite and its cassettes, CI unset."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    shutil.copytree(recorded, pytester.path, dirs_exist_ok=True)
    return pytester.path


def test_cassettes_land_where_the_convention_says(recorded: Path) -> None:
    found = cassettes_of(recorded)
    assert set(found) == {
        "test_stream_create", "test_stream_helper", "test_tool_round_trip", "test_async_stream",
        "test_background_polling", "test_fixture_sets_the_environment",
    }  # fmt: skip
    assert all(p.parent == recorded / "cassettes" / "test_api" for p in found.values())
    tool = load_file(found["test_tool_round_trip"])
    assert [(e.request.method, e.request.path) for e in tool] == [("POST", "/v1/responses")] * 2
    background = load_file(found["test_background_polling"])
    assert background[0].request.method == "POST" and len(background) >= 2
    stream = load_file(found["test_stream_create"])
    assert stream[0].response is not None and stream[0].response.chunks  # chunk timing kept
    assert len(stream[0].response.chunks) > 1


def test_a_planted_key_never_reaches_a_cassette(recorded: Path) -> None:
    for path in cassettes_of(recorded).values():
        text = path.read_text()
        assert PLANTED not in text and "Planted9Lkey" not in text
        assert "Bearer fp:" in text  # the recorder's fingerprint instead
        assert secret_findings(load_file(path), path.read_bytes()) == []


@pytest.mark.parametrize("mode", ["none", "once"])
def test_replays_offline_with_the_upstream_gone(
    replay_dir: Path, pytester: pytest.Pytester, mode: str
) -> None:
    before = {n: p.read_bytes() for n, p in cassettes_of(replay_dir).items()}
    result = inner(pytester, "--respdeck-record-mode", mode, "--respdeck-upstream", DEAD)
    result.assert_outcomes(passed=6)
    assert "recorded " not in result.stdout.str()
    assert {n: p.read_bytes() for n, p in cassettes_of(replay_dir).items()} == before


def test_ci_replays_by_default(
    replay_dir: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With CI set and no option, the mode is none: a missing cassette fails, records nothing."""
    pytester.makepyfile(
        test_ci="""
        import pytest

        @pytest.mark.respdeck
        def test_new(respdeck_cassette, respdeck_openai):
            assert respdeck_cassette.record_mode == "none"
            respdeck_openai.responses.create(model="gpt-4.1-mini", input="hello")
        """
    )
    monkeypatch.setenv("CI", "1")
    result = inner(pytester, "test_ci.py", "--respdeck-upstream", DEAD)
    result.assert_outcomes(failed=1)
    assert "no cassette: nothing to replay" in result.stdout.str()
    assert not (replay_dir / "cassettes" / "test_ci").exists()


MISS = """
import openai
import pytest

@pytest.mark.respdeck(cassette="cassettes/test_api/test_stream_create.yaml")
def test_other_words(respdeck_openai):
    try:
        respdeck_openai.responses.create(
            model="gpt-4.1-mini", stream=True,
            input="Any cosy bars near the Marais for a rainy evening? Keep it short.",
            previous_response_id="resp_9bc09cdce1817365006aa7ba040db6814750a0f953451aab25",
        )
    except openai.NotFoundError:
        pass  # swallowed: the plugin fails the test anyway
"""


def test_a_miss_fails_the_test_with_its_explanation(
    replay_dir: Path, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(test_miss=MISS)
    result = inner(pytester, "test_miss.py", "--respdeck-record-mode", "none")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "1 request(s) with no match in cassettes/test_api/test_stream_create.yaml" in out
    assert "Captured respdeck call" in out  # the report section
    assert "POST /v1/responses" in out and "closest recording" in out
    assert "cafés" in out and "bars" in out  # which words differ


UNPLAYED = """
import pytest
from test_api import QUESTION, WEATHER

@pytest.mark.respdeck(cassette="cassettes/test_api/test_tool_round_trip.yaml")
def test_first_turn_only(respdeck_openai, respdeck_cassette):
    events = list(respdeck_openai.responses.create(
        model="gpt-4.1-mini", input=QUESTION, tools=[WEATHER], stream=True))
    assert events[-1].type == "response.completed"
    assert len(respdeck_cassette.played) == 1 and len(respdeck_cassette.recorded) == 2
"""


def test_unplayed_recordings_are_reported_and_fail_when_strict(
    replay_dir: Path, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(test_unplayed=UNPLAYED)
    result = inner(pytester, "test_unplayed.py", "--respdeck-record-mode", "none")
    result.assert_outcomes(passed=1)
    summary = result.stdout.str().split("respdeck ===", 1)[-1]
    assert "1 recording(s) never played in cassettes/test_api/test_tool_round_trip.yaml" in summary
    strict = inner(pytester, "test_unplayed.py", "--respdeck-record-mode", "none",
                                "--respdeck-strict")  # fmt: skip
    strict.assert_outcomes(failed=1)
    assert "never played" in strict.stdout.str() and "--respdeck-strict" in strict.stdout.str()


STATE = """
import pytest
from test_api import streamed

@pytest.mark.respdeck(cassette="cassettes/test_api/test_stream_create.yaml")
def test_retrieve_from_state(respdeck_openai):
    events, text = streamed(respdeck_openai)
    again = respdeck_openai.responses.retrieve(events[-1].response.id)  # never recorded
    assert again.status == "completed" and again.output_text == text
"""


def test_get_a_response_from_the_recorded_create(
    replay_dir: Path, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(test_state=STATE)
    result = inner(pytester, "test_state.py", "--respdeck-record-mode", "none")
    result.assert_outcomes(passed=1)


GUARD = """
import openai
import pytest

@pytest.mark.respdeck(cassette="cassettes/test_api/test_stream_create.yaml")
def test_client_built_with_the_real_url(respdeck_cassette):
    for url in ("http://192.0.2.1/v1", "https://api.openai.com/v1"):
        client = openai.OpenAI(base_url=url, api_key="x", max_retries=0, timeout=5)
        try:
            client.responses.create(model="gpt-4.1-mini", input="hello")
        except Exception:
            pass  # swallowed: the guard fails the test anyway
"""


def test_none_mode_refuses_the_network(replay_dir: Path, pytester: pytest.Pytester) -> None:
    import socket

    connect = socket.socket.connect
    pytester.makepyfile(test_guard=GUARD)
    result = inner(pytester, "test_guard.py", "--respdeck-record-mode", "none")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "refused a connection to 192.0.2.1:80" in out
    assert "refused a connection to api.openai.com:443" in out
    assert socket.socket.connect is connect  # the guard is gone after the test


def test_xdist_workers_record_and_replay(recorded: Path, tmp_path: Path) -> None:
    """Two workers, each with its own ports and temporary folders: what is missing is recorded
    by the worker that runs it, the rest replays."""
    shutil.copytree(recorded, tmp_path, dirs_exist_ok=True)
    found = cassettes_of(tmp_path)
    found["test_async_stream"].unlink()
    with ReplayUpstream.from_paths(UPSTREAM_FILES, pace=0) as upstream:
        result = run_subprocess(
            tmp_path, "-p", "xdist", "-n", "2", "--respdeck-upstream", upstream.url + "/v1",
            OPENAI_API_KEY=PLANTED,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert len(upstream.served) == 1  # only the missing cassette was recorded
    assert "6 passed" in result.stdout and result.stdout.count("recorded ") == 1
    assert set(cassettes_of(tmp_path)) == set(found)


OPTIONS = """
import pytest
from test_api import STREAM, streamed

CASSETTE = "cassettes/test_api/test_stream_create.yaml"


@pytest.mark.respdeck(cassette=CASSETTE, ignore=["temperature"], pace=0.25)
def test_ignored_path(respdeck_openai, respdeck_cassette):
    list(respdeck_openai.responses.create(stream=True, temperature=0.3, **STREAM))
    assert respdeck_cassette.server.pace == 0.25


@pytest.mark.respdeck(cassette=CASSETTE)
def test_not_ignored(respdeck_openai, respdeck_cassette):
    assert respdeck_cassette.server.pace == 0.5  # --respdeck-pace
    try:
        list(respdeck_openai.responses.create(stream=True, temperature=0.3, **STREAM))
    except Exception:
        pass


@pytest.mark.respdeck(record_mode="sometimes")
def test_bad_mode():
    pass
"""


def test_marker_arguments_and_pace(replay_dir: Path, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_options=OPTIONS)
    result = inner(pytester, "test_options.py", "--respdeck-record-mode", "none",
                   "--respdeck-pace", "0.5")  # fmt: skip
    result.assert_outcomes(passed=1, failed=1, errors=1)
    out = result.stdout.str()
    assert "respdeck: bad record mode 'sometimes': one of none, once, new_episodes, all" in out
    assert "FAILED test_options.py::test_not_ignored - Failed: respdeck: 1 request(s)" in out


NODE = """
import OpenAI from "openai";
const [streamUrl, toolUrl] = process.argv.slice(2);
const out = {};
const streaming = new OpenAI({ baseURL: streamUrl, apiKey: "respdeck-node", maxRetries: 0 });
const stream = await streaming.responses.create({
  model: "gpt-4.1-mini", stream: true,
  input: "Any cosy cafés near the Marais for a rainy afternoon? Keep it short.",
  previous_response_id: "resp_9bc09cdce1817365006aa7ba040db6814750a0f953451aab25",
});
out.text = "";
out.types = [];
for await (const event of stream) {
  out.types.push(event.type);
  if (event.type === "response.output_text.delta") out.text += event.delta;
}
const tools = JSON.parse(process.env.RESPDECK_WEATHER_TOOL);
const client = new OpenAI({ baseURL: toolUrl, apiKey: "respdeck-node", maxRetries: 0 });
let first;
for await (const event of await client.responses.create({
  model: "gpt-4.1-mini", stream: true, tools,
  input: [{ role: "user", content: "What's the weather like in Paris right now?" }],
})) if (event.type === "response.completed") first = event.response;
const call = first.output.find((item) => item.type === "function_call");
const answer = await client.responses.create({
  model: "gpt-4.1-mini", previous_response_id: first.id, tools,
  input: [{ type: "function_call_output", call_id: call.call_id,
            output: process.env.RESPDECK_PARIS }],
});
out.call = call.name;
out.answer = answer.output_text;
console.log(JSON.stringify(out));
"""


def node_openai() -> Path | None:
    """The Node `openai` package's folder (.ci/run installs it; RESPDECK_TEST_NODE_OPENAI)."""
    found = os.environ.get("RESPDECK_TEST_NODE_OPENAI")
    return Path(found) if found and shutil.which("node") else None


def test_the_node_client_replays_cassettes_recorded_by_the_plugin(
    recorded: Path, tmp_path: Path
) -> None:
    package = node_openai()
    if package is None:
        if os.environ.get("CI"):
            pytest.fail("RESPDECK_TEST_NODE_OPENAI or node is missing on CI (see .ci/run)")
        pytest.skip("the Node openai package is not installed (RESPDECK_TEST_NODE_OPENAI)")
    script = tmp_path / "node_modules_link" / "replay.mjs"
    script.parent.mkdir()
    (script.parent / "node_modules").symlink_to(package.parent)
    script.write_text(NODE)
    found = cassettes_of(recorded)
    cassettes = {"stream": [found["test_stream_create"]], "tool": [found["test_tool_round_trip"]]}
    with ReplayUpstream.from_cassettes(cassettes, pace=0) as server:  # one server, two prefixes
        urls = [server.cassette_url("stream"), server.cassette_url("tool")]
        assert urls[0].endswith("/cassettes/stream/v1")
        result = subprocess.run(
            ["node", str(script), *urls],
            env=inner_env(RESPDECK_WEATHER_TOOL=json.dumps([WEATHER]), RESPDECK_PARIS=PARIS),
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert not server.misses and not server.unplayed()
    out = json.loads(result.stdout)
    assert out["types"][0] == "response.created" and out["types"][-1] == "response.completed"
    assert out["text"] and out["call"] == "get_weather" and "18" in out["answer"]
