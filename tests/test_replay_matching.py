"""Replay matches by meaning and explains misses: the real openai SDK (OPENAI_BASE_URL) against
a real ReplayUpstream. Another run's ids and volatile fields still hit; a changed word is a
miss whose message names the item and the word; several cassettes share a server by prefix."""

from __future__ import annotations

import copy
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import httpx2
import openai
import pytest

from addon.importers import load_file
from addon.wire.exchange import Exchange
from addon.wire.parse import parse_exchange
from inspector.diff.document import make_ignore
from inspector.replay import ReplayUpstream
from inspector.replay.meaning import Rules, strip_ignored
from inspector.replay.miss import Miss

from .conftest import RECORDINGS
from .helpers import json_exchange, message, response_obj


def rec(name: str, index: int = 0) -> Exchange:
    return load_file(RECORDINGS / name)[index]


def body_of(name: str, index: int = 0) -> dict[str, Any]:
    return json.loads(rec(name, index).request.body)


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`sdk(server, base=None)`: an openai client of a started server, via OPENAI_BASE_URL."""

    def make(server: ReplayUpstream, base: str | None = None) -> openai.OpenAI:
        monkeypatch.setenv("OPENAI_BASE_URL", base or server.url + "/v1")
        return openai.OpenAI(api_key="sk-test", max_retries=0)

    yield make


# -- the key (pure) --------------------------------------------------------------------------


def test_ignore_paths_leave_the_body_as_the_diff_reads_them() -> None:
    body = {
        "model": "m",
        "metadata": {"run_id": "1", "suite": "s"},
        "tools": [{"type": "function", "name": "f", "description": "d", "parameters": {}}],
        "input": [{"role": "user", "content": "hi", "id": "msg_1"}],
    }
    rules = make_ignore(["metadata.run_id", "tools.f.description", "content"])
    assert strip_ignored(body, rules) == {
        "model": "m",
        "metadata": {"suite": "s"},
        "tools": [{"type": "function", "name": "f", "parameters": {}}],
        "input": [{"role": "user"}],  # ids are volatile: the diff leaves them out too
    }
    assert strip_ignored({"metadata": {"run_id": "1"}}, make_ignore(["metadata.run_id"])) == {}
    keyed = Rules.of(["metadata.run_id"])
    one = keyed.key("POST", "/v1/responses", b'{"input":"x","metadata":{"run_id":"1"}}')
    other = keyed.key("POST", "/v1/responses", b'{"input":"x"}')
    assert one.body == other.body


# -- hits by meaning -------------------------------------------------------------------------


def test_another_run_with_new_ids_and_volatile_fields_is_a_hit(sdk: Any) -> None:
    recorded = body_of("function_call_roundtrip.har", 1)
    rerun = copy.deepcopy(recorded)
    rerun["previous_response_id"] = "resp_another_run"
    rerun["input"][0]["call_id"] = "call_another_run"
    rerun |= {"prompt_cache_key": "k2", "safety_identifier": "u2", "user": "someone"}
    with ReplayUpstream.from_paths([RECORDINGS / "function_call_roundtrip.har"], pace=0) as server:
        answer = sdk(server).responses.create(**rerun)
        assert [s.tier for s in server.served] == ["exact"]
        assert server.played == ["function_call_roundtrip.har#1"]
        assert server.unplayed() == ["function_call_roundtrip.har#0"]
    assert answer.output_text == parse_exchange(rec("function_call_roundtrip.har", 1)).output_text


def test_ignored_paths_hit_and_the_same_change_unignored_misses(sdk: Any) -> None:
    tools = body_of("function_call_roundtrip.har", 0)
    tools["tools"][0]["description"] = "Look the weather up."
    recordings = [RECORDINGS / "function_call_roundtrip.har"]
    ignored = ["tools.get_weather.description"]
    with ReplayUpstream.from_paths(recordings, pace=0, ignore=ignored) as server:
        with sdk(server).responses.create(**tools) as stream:
            assert [e.type for e in stream][-1] == "response.completed"
        assert server.misses == []
    with ReplayUpstream.from_paths(recordings, pace=0) as server:
        with pytest.raises(openai.NotFoundError) as info:
            sdk(server).responses.create(**tools)
        (miss,) = server.misses
    assert "tools.get_weather.description:" in miss.explanation
    assert info.value.body["code"] == "respdeck_no_match"  # type: ignore[index]


def test_a_named_metadata_key_is_left_out(sdk: Any) -> None:
    answer = response_obj([message("recorded")], id="resp_m")
    recorded = {"model": "m", "input": "x", "metadata": {"run_id": "r1", "suite": "s"}}
    exchanges = [json_exchange("POST", "/responses", 200, answer, recorded)]
    with ReplayUpstream(exchanges, pace=0, ignore=["metadata.run_id"]) as server:
        client = sdk(server)
        hit = client.responses.create(model="m", input="x", metadata={"run_id": "r2", "suite": "s"})
        assert hit.output_text == "recorded"
        with pytest.raises(openai.NotFoundError, match=r"metadata\.suite: s → t"):
            client.responses.create(model="m", input="x", metadata={"run_id": "r2", "suite": "t"})


def test_equal_requests_prefer_the_recording_continuing_the_same_response(sdk: Any) -> None:
    def turn(previous: str, text: str) -> Exchange:
        request = {"model": "m", "input": "go on", "previous_response_id": previous}
        return json_exchange("POST", "/responses", 200, response_obj([message(text)]), request)

    exchanges = [turn("resp_a", "after a"), turn("resp_b", "after b")]
    with ReplayUpstream(exchanges, pace=0) as server:
        client = sdk(server)

        def ask(previous: str) -> str:
            return client.responses.create(
                model="m", input="go on", previous_response_id=previous
            ).output_text

        assert [ask("resp_b"), ask("resp_a"), ask("resp_b")] == ["after b", "after a", "after b"]
        assert [ask("resp_new"), ask("resp_new")] == ["after a", "after b"]  # another run: in order


# -- misses ----------------------------------------------------------------------------------


def test_a_changed_word_is_a_miss_naming_the_item_and_the_word(
    sdk: Any, caplog: pytest.LogCaptureFixture
) -> None:
    request = body_of("stream_text.har")
    request["input"] = request["input"].replace("cosy", "quiet")
    with ReplayUpstream.from_paths([RECORDINGS / "stream_text.har"], pace=0) as server:
        with (
            caplog.at_level(logging.WARNING, logger="respdeck.replay"),
            pytest.raises(openai.NotFoundError) as info,
        ):
            sdk(server).responses.create(**request)
        (miss,) = server.misses
        assert server.played == [] and server.unplayed() == ["stream_text.har#0"]
    assert isinstance(miss, Miss) and miss.closest == "stream_text.har#0"
    assert (miss.method, miss.path) == ("POST", "/v1/responses")
    lines = miss.explanation.splitlines()
    assert lines[0].startswith("respdeck replay: no recorded exchange for POST /v1/responses")
    assert "closest recording: stream_text.har#0" in lines[1]
    assert "~ message (user) a[0] b[0]" in lines
    assert any("[-cosy-]{+quiet+}" in line for line in lines)
    assert len(lines) <= 40
    error = info.value.body
    assert isinstance(error, dict) and error["type"] == "invalid_request_error"
    assert error["code"] == "respdeck_no_match" and error["message"] == miss.explanation
    assert "[-cosy-]{+quiet+}" in caplog.text


def test_a_miss_on_a_route_with_no_recording_says_what_the_cassette_has(sdk: Any) -> None:
    with ReplayUpstream.from_paths([RECORDINGS / "vcr_cassette.yaml"], pace=0) as server:
        with pytest.raises(openai.NotFoundError, match=r"POST responses\.create"):
            sdk(server).conversations.create()
        assert server.misses[0].closest is None


def test_a_long_difference_is_capped_and_the_closest_shares_most_input() -> None:
    request = body_of("whole_input_codex.har", 2)
    request["input"] += [{"role": "user", "content": f"and then {n}"} for n in range(60)]
    with ReplayUpstream.from_paths([RECORDINGS / "whole_input_codex.har"], pace=0) as server:
        reply = httpx2.post(server.url + "/v1/responses", json=request)
        (miss,) = server.misses
    assert reply.status_code == 404 and reply.json()["error"]["message"] == miss.explanation
    assert miss.closest == "whole_input_codex.har#2"  # all three differ: #2 shares the most
    lines = miss.explanation.splitlines()
    assert len(lines) == 40 and lines[-1].endswith("more lines")
    assert "+ message (user) a[-] b[" in lines[4]


# -- several cassettes on one server ---------------------------------------------------------


def test_cassettes_by_path_prefix(sdk: Any) -> None:
    names = {
        "haiku": [RECORDINGS / "vcr_cassette.yaml"],
        "suite/cafes": [RECORDINGS / "stream_text.har"],
    }
    with ReplayUpstream.from_cassettes(names, pace=0) as server:
        haiku = sdk(server, server.cassette_url("haiku"))
        assert haiku.responses.create(**body_of("vcr_cassette.yaml")).output_text
        cafes = sdk(server, server.cassette_url("suite/cafes"))
        assert server.cassette_url("suite/cafes").endswith("/cassettes/suite%2Fcafes/v1")
        with cafes.responses.create(**body_of("stream_text.har")) as stream:
            assert [e.type for e in stream][-1] == "response.completed"
        with pytest.raises(openai.NotFoundError, match="in cassette haiku"):
            haiku.responses.create(**body_of("stream_text.har"))  # not in this cassette
        with pytest.raises(openai.NotFoundError, match="no cassette named 'other'"):
            sdk(server, server.url + "/cassettes/other/v1").responses.create(model="m", input="x")
        with pytest.raises(openai.NotFoundError, match="'haiku', 'suite/cafes'"):
            sdk(server).responses.create(model="m", input="x")  # no prefix: which one?
        assert server.played == ["haiku:vcr_cassette.yaml#0", "suite/cafes:stream_text.har#0"]
        assert server.cassette("haiku").played == ["vcr_cassette.yaml#0"]
        assert [m.cassette for m in server.misses] == ["haiku"]
        assert server.unplayed() == []


def test_a_cassette_added_while_serving(sdk: Any) -> None:
    with ReplayUpstream(pace=0) as server:
        server.add_cassette("late", load_file(RECORDINGS / "vcr_cassette.yaml"))
        client = sdk(server, server.cassette_url("late"))
        assert client.responses.create(**body_of("vcr_cassette.yaml")).output_text
        server.remove_cassette("late")
        with pytest.raises(openai.NotFoundError, match="no cassette named 'late'"):
            client.responses.create(**body_of("vcr_cassette.yaml"))


def test_tallies_read_while_requests_are_served_from_threads() -> None:
    """The tallies are copies taken under the cassette's lock: reading them while 8 clients
    play and miss never sees a torn list, and `wait_served` waits on progress."""
    body = body_of("vcr_cassette.yaml")
    with ReplayUpstream.from_paths([RECORDINGS / "vcr_cassette.yaml"], pace=0) as server:
        seen: list[tuple[int, int]] = []

        def client() -> None:
            with httpx2.Client(base_url=server.url) as http:
                for n in range(5):
                    http.post("/v1/responses", json=body if n % 2 else {**body, "input": "x"})

        threads = [threading.Thread(target=client) for _ in range(8)]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            played, misses = server.played, server.misses
            seen.append((len(played), len(misses)))
            assert set(played) <= {"vcr_cassette.yaml#0"}
            assert all(isinstance(m, Miss) and m.closest == "vcr_cassette.yaml#0" for m in misses)
        for thread in threads:
            thread.join()
        assert server.wait_served(40, timeout=30)
        assert (len(server.played), len(server.misses)) == (16, 24)
    for counts in zip(*seen, strict=True):  # each tally only grows
        assert list(counts) == sorted(counts)


def test_a_websocket_turn_never_recorded_is_a_miss_too() -> None:
    from .test_replay_upstream import ws_session

    (session,) = [e for e in load_file(RECORDINGS / "websocket.har") if e.websocket]
    sent = [m.content for m in session.websocket or [] if m.from_client]
    extra = b'{"type":"response.create","input":"more"}'
    with ReplayUpstream([session], pace=0) as server:
        turns = ws_session(server.port, [*sent, extra])
        (miss,) = server.misses
        assert server.played == ["websocket.har#0"] and server.unplayed() == []
    error = turns[2][0][1]["error"]
    assert error["code"] == "respdeck_no_match" and error["message"] == miss.explanation
    assert (miss.method, miss.closest) == ("WS", "websocket.har#0")
    assert "client message #3" in miss.explanation and "has 2 turn(s)" in miss.explanation
