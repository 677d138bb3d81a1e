"""The plugin's pure parts: record modes, cassette paths, upstream URLs, the secret check, the
front door's no-match test, the network guard, and what importing the plugin costs."""

from __future__ import annotations

import gzip
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, WsMessage
from inspector.cassettes import modes
from inspector.cassettes.cassette import chosen_path, default_path, file_safe, secret_findings
from inspector.cassettes.frontdoor import is_no_match
from inspector.cassettes.guard import NetworkGuard, is_loopback
from inspector.cassettes.recording import Upstream

KEY = "sk-proj-" + "UnitTestSecret0123" * 2


@pytest.mark.parametrize(
    ("mode", "exists", "action", "offline"),
    [
        ("none", True, "replay", True),
        ("none", False, "replay", True),
        ("once", True, "replay", False),
        ("once", False, "record", False),
        ("new_episodes", True, "replay+record", False),
        ("new_episodes", False, "record", False),
        ("all", True, "record", False),
        ("all", False, "record", False),
    ],
)
def test_plans_follow_vcrpy(
    mode: modes.RecordMode, exists: bool, action: str, offline: bool
) -> None:
    plan = modes.plan(mode, exists)
    assert (plan.action, plan.offline) == (action, offline)
    assert plan.replays == (action != "record") and plan.records == (action != "replay")


def test_ci_defaults_to_none() -> None:
    assert modes.default_record_mode({}) == "once"
    assert modes.default_record_mode({"CI": ""}) == "once"
    assert modes.default_record_mode({"CI": "true"}) == "none"
    assert modes.parse_record_mode("new_episodes") == "new_episodes"
    with pytest.raises(ValueError, match="one of none, once, new_episodes, all"):
        modes.parse_record_mode("sometimes")


def test_cassette_paths() -> None:
    test = Path("/p/tests/test_chat.py")
    assert default_path(test, "test_haiku") == Path("/p/tests/cassettes/test_chat/test_haiku.yaml")
    assert default_path(test, "test_x", "TestChat").name == "TestChat.test_x.yaml"
    assert file_safe("test_x[gpt-4.1/mini: a b]") == "test_x[gpt-4.1-mini-a-b]"
    assert file_safe('test_q[<"|?*>]') == "test_q[-]"
    long = file_safe("test_" + "x" * 400)
    assert len(long) == 150 and long != file_safe("test_" + "x" * 401)
    default = default_path(test, "test_haiku")
    assert chosen_path(test, default, None) == default
    assert chosen_path(test, default, "shared") == default.with_name("shared.yaml")
    assert chosen_path(test, default, "other.yml") == default.with_name("other.yml")
    assert chosen_path(test, default, "data/c.yaml") == Path("/p/tests/data/c.yaml")
    assert chosen_path(test, default, "/abs/c.yaml") == Path("/abs/c.yaml")


def test_upstream_urls() -> None:
    assert Upstream.parse("https://api.openai.com/v1") == Upstream("https://api.openai.com", "/v1")
    assert Upstream.parse("http://127.0.0.1:9000") == Upstream("http://127.0.0.1:9000", "/v1")
    azure = Upstream.parse("https://x.openai.azure.com/openai/v1/")
    assert azure == Upstream("https://x.openai.azure.com", "/openai/v1")
    for bad in ("api.openai.com/v1", "ftp://h/v1", "https://h/v1?x=1"):
        with pytest.raises(ValueError, match="--respdeck-upstream"):
            Upstream.parse(bad)


def _exchange(body: bytes, headers: list[tuple[str, str]] | None = None) -> Exchange:
    response = HttpResponse(200, headers or [], b'{"ok": true}')
    return Exchange(HttpRequest("POST", "http://h/v1/responses", headers or [], body), response)


def test_secret_findings_name_the_kind_and_the_place_never_the_secret() -> None:
    clean = _exchange(b'{"input": "hi"}', [("authorization", "Bearer fp:0123456789ab")])
    assert secret_findings([clean], b"interactions: []\n") == []
    body = _exchange(f'{{"input": "{KEY}"}}'.encode())
    (found,) = secret_findings([clean, body], b"")
    assert found == "openai-project-key in the request body of exchange 2 (POST /v1/responses)"
    zipped = _exchange(
        gzip.compress(f'{{"input": "{KEY}"}}'.encode()), [("content-encoding", "gzip")]
    )
    assert secret_findings([zipped], b"") == [
        "openai-project-key in the request body of exchange 1 (POST /v1/responses)"
    ]
    # Exchange fingerprints secret headers itself; a key under another name is still found
    header = _exchange(b"{}", [("x-debug", f"key={KEY}")])
    assert "in the request headers of exchange 1" in secret_findings([header], b"")[0]
    ws = Exchange(HttpRequest("GET", "http://h/v1/responses"), None, websocket=[
        WsMessage(0, True, f'{{"input": "{KEY}"}}'.encode()),
    ])  # fmt: skip
    assert secret_findings([ws], b"") == [
        "openai-project-key in the WebSocket message 1 of exchange 1 (GET /v1/responses)"
    ]
    assert secret_findings([], f"x: {KEY}\n".encode()) == [
        "openai-project-key at line 1 of the cassette"
    ]
    assert all(KEY not in line for line in secret_findings([body, header, ws], b""))


def test_no_match_is_only_the_replay_servers_own_404() -> None:
    assert is_no_match(404, b'{"error": {"code": "respdeck_no_match", "message": "..."}}')
    assert not is_no_match(404, b'{"error": {"code": "not_found"}}')  # a recorded 404
    assert not is_no_match(200, b'{"error": {"code": "respdeck_no_match"}}')
    assert not is_no_match(404, b"not json")


def test_loopback() -> None:
    for host in ("127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost", "api.localhost", None):
        assert is_loopback(host), host
    for host in ("192.0.2.1", "api.openai.com", "10.0.0.1", "::ffff:192.0.2.1", 5):
        assert not is_loopback(host), host


def test_the_guard_refuses_non_loopback_and_leaves_no_trace() -> None:
    connect, lookup = socket.socket.connect, socket.getaddrinfo
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        guard = NetworkGuard().install()
        try:
            with socket.create_connection(server.getsockname(), timeout=5):
                pass  # loopback stays open
            with pytest.raises(ConnectionRefusedError, match="record mode none"):
                socket.create_connection(("192.0.2.1", 443), timeout=5)
            with socket.socket() as s:
                assert s.connect_ex(("192.0.2.1", 80)) != 0
            with pytest.raises(ConnectionRefusedError):
                socket.getaddrinfo("api.openai.com", 443)
            assert socket.getaddrinfo("localhost", 80)
        finally:
            guard.uninstall()
    assert guard.attempts == ["192.0.2.1:443", "192.0.2.1:80", "api.openai.com:443"]
    assert socket.socket.connect is connect and socket.getaddrinfo is lookup


def test_importing_the_plugin_loads_nothing_heavy() -> None:
    code = (
        "import sys, pytest\n"
        "before = set(sys.modules)\n"
        "import inspector.cassettes.plugin\n"
        "new = set(sys.modules) - before\n"
        "heavy = [m for m in new if m.split('.')[0] in "
        "('duckdb', 'openai', 'mitmproxy', 'yaml', 'pyarrow', 'httpx2', 'addon', 'pydantic')]\n"
        "print(sorted(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
