"""`respdeck resend` end to end, against local upstreams only: the replay server (the recorded
answers, chunk by chunk), and `Echo`, a plain HTTP server that keeps the exact bytes it
received and answers otherwise than the recording. Each run is a real process."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage

from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.load import load_exchange
from addon.store.writer import Writer
from addon.wire.exchange import Exchange, fingerprint
from addon.wire.parse import parse_exchange
from addon.wire.redact import Redactor
from inspector.replay import ReplayUpstream

from .conftest import RECORDINGS, ROOT
from .helpers import json_exchange, message, respdeck, response_obj, sse_body, text_stream
from .waiting import scaled

KEY = "sk-proj-PLANTED-resend-key-0123456789abcdef"
ROUNDTRIP = RECORDINGS / "function_call_roundtrip.har"  # a call, then its output (chained)
WEBSOCKET = RECORDINGS / "websocket.har"  # one session, two turns chained
# The command as `respdeck` runs it (its one-line errors and exit codes), registered here
# until inspector/cli.py lists it.
ANSWERS = ("Another answer altogether.", "A different answer.")


@dataclass
class Received:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)


class Echo:
    """Keeps each request's exact bytes; answers request n with `resp_echo<n>`, streamed
    when asked to, with text that alternates between two ANSWERS."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        echo = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                size = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(size) if size else b""
                n = len(echo.received)
                echo.received.append(
                    Received(self.command, self.path, list(self.headers.items()), body)
                )
                request = json.loads(body) if body else {}
                text = ANSWERS[n % 2]
                answer = response_obj([message(text)], id=f"resp_echo{n}")
                answer["model"] = request.get("model", "gpt-4.1-mini")
                if request.get("stream"):
                    events = text_stream(re.findall(r"\S+\s*", text))
                    for event in events:
                        if "response" in event:
                            event["response"].update(id=f"resp_echo{n}", model=answer["model"])
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.end_headers()
                    for chunk in sse_body(events).split(b"\n\n"):
                        self.wfile.write(chunk + b"\n\n" if chunk else b"")
                        self.wfile.flush()
                    return
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_GET = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class WsEcho:
    """One WebSocket session: each client message is kept and answered by a turn of its own,
    `resp_ws<n>` (so a re-sent session's later turns must be re-chained to these ids)."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        ws, text = WSConnection(ConnectionType.SERVER), ""
        with conn:
            while data := conn.recv(65536):
                ws.receive_data(data)
                for event in ws.events():
                    if isinstance(event, Request):
                        conn.sendall(ws.send(AcceptConnection()))
                    elif isinstance(event, CloseConnection):
                        conn.sendall(ws.send(event.response()))
                        return
                    elif isinstance(event, TextMessage):
                        text += event.data
                        if event.message_finished:
                            self.received.append(text.encode())
                            for reply in self.turn(len(self.received) - 1):
                                conn.sendall(ws.send(TextMessage(json.dumps(reply))))
                            text = ""

    @staticmethod
    def turn(n: int) -> list[dict[str, Any]]:
        answer = response_obj([message(ANSWERS[n % 2])], id=f"resp_ws{n}")
        return [
            {"type": "response.created", "sequence_number": 0, "response": answer},
            {"type": "response.completed", "sequence_number": 1, "response": answer},
        ]


@pytest.fixture
def ws_echo() -> Iterator[WsEcho]:
    upstream = WsEcho()
    yield upstream
    upstream.listener.close()


@pytest.fixture
def echo() -> Iterator[Echo]:
    upstream = Echo()
    yield upstream
    upstream.stop()


def resend(
    db: Path, *args: str, key: str | None = KEY, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`respdeck resend --db DB ...` with OPENAI_API_KEY set to `key` (None: unset)."""
    return respdeck("resend", "--db", str(db), *args, env={"OPENAI_API_KEY": key, **(env or {})})


def imported(tmp_path: Path, *files: Path) -> Path:
    db = tmp_path / "traffic.duckdb"
    conn = open_for_write(db)
    try:
        import_paths(conn, files)
    finally:
        conn.close()
    return db


def stored(tmp_path: Path, exchanges: list[Exchange]) -> Path:
    """A database holding `exchanges`, written as the recorder writes them."""
    db = tmp_path / "traffic.duckdb"
    conn = open_for_write(db)
    try:
        writer = Writer(conn)
        capture = writer.add_capture("record", "test run")
        for exchange in exchanges:
            writer.add(capture, parse_exchange(exchange))
        writer.end_recording(capture)
    finally:
        conn.close()
    return db


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def ids_in_order(db: Path) -> list[str]:
    return [
        str(r[0])
        for r in query(
            db,
            "SELECT e.exchange_id FROM exchanges e JOIN captures c USING (capture_id) "
            "WHERE c.mode <> 'resend' ORDER BY c.started_at, e.seq",
        )
    ]


def loaded(db: Path, exchange_id: str) -> Exchange:
    with duckdb.connect(str(db), read_only=True) as conn:
        return load_exchange(conn, exchange_id)


def loaded_response_id(db: Path, exchange_id: str) -> object:
    return query(db, f"SELECT response_id FROM exchanges WHERE exchange_id = '{exchange_id}'")[0][0]


def test_the_recorded_bytes_go_out_the_link_is_stored_and_the_key_never(
    tmp_path: Path, echo: Echo
) -> None:
    db = imported(tmp_path, ROUNDTRIP)
    original = ids_in_order(db)[0]
    done = resend(db, original[:8], "--upstream", echo.url, "--yes", "--json")
    assert done.returncode == 0, done.stderr
    recorded = loaded(db, original)
    (got,) = echo.received
    assert got.body == recorded.request.body  # byte for byte, compared at the upstream
    assert got.header("authorization") == f"Bearer {KEY}"
    assert got.header("host") == echo.url.removeprefix("http://")
    assert got.header("user-agent") == "OpenAI/Python 3.3.1"  # the recorded client's headers
    doc = json.loads(done.stdout)
    (entry,) = doc["resends"]
    assert entry["original"] == original and entry["edits"] == []
    (new,) = entry["exchanges"]
    (diff,) = entry["diffs"]
    assert diff["same"] is False and diff["request"]["params"] == []  # the same request...
    assert diff["response"]["output_text"]["same"] is False  # ...another answer
    assert query(db, "SELECT exchange_id::VARCHAR, resent_from::VARCHAR, edits FROM resends") == [
        (new, original, None)
    ]
    mode, upstream = query(
        db, f"SELECT mode, upstream FROM captures c JOIN exchanges e USING (capture_id) "
        f"WHERE e.exchange_id = '{new}'"
    )[0]  # fmt: skip
    assert (mode, upstream) == ("resend", echo.url)
    again = loaded(db, new)
    assert again.request.body == recorded.request.body and again.key_fingerprint == fingerprint(KEY)
    assert query(db, f"SELECT streamed FROM exchanges WHERE exchange_id = '{new}'") == [(True,)]
    # the key was said by its fingerprint only, and is nowhere on disk
    assert fingerprint(KEY) in done.stderr and KEY not in done.stderr + done.stdout
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_bytes_go_out_as_recorded_where_json_would_write_them_otherwise(
    tmp_path: Path, echo: Echo
) -> None:
    body = b'{ "model" : "gpt-4.1-mini",\n  "input": "caf\\u00e9 \xe2\x98\x95", "n": 1.0 }'
    exchange = json_exchange("POST", "/responses", 200, response_obj([message("ok")]))
    exchange.request.body = body
    db = stored(tmp_path, [exchange])
    done = resend(db, ids_in_order(db)[0], "--upstream", echo.url, "--yes")
    assert done.returncode == 0, done.stderr
    assert echo.received[0].body == body
    assert echo.received[0].header("content-length") == str(len(body))
    # the same edit that changes nothing keeps the bytes; one that changes sends new JSON
    resend(db, ids_in_order(db)[0], "--upstream", echo.url, "--yes", "--set", "n=1.0")
    assert echo.received[1].body == body
    resend(db, ids_in_order(db)[0], "--upstream", echo.url, "--yes", "--set", "n=2")
    assert echo.received[2].json() == {"model": "gpt-4.1-mini", "input": "café ☕", "n": 2}


def test_edits_are_sent_and_stored_with_the_link(tmp_path: Path, echo: Echo) -> None:
    db = imported(tmp_path, ROUNDTRIP)
    original = ids_in_order(db)[0]
    done = resend(
        db, original, "--upstream", f"{echo.url}/v1", "--yes", "--json",
        "--set", "model=gpt-5", "--set", "reasoning.effort=high", "--set", "temperature=0.2",
        "--unset", "tools.0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    recorded = json.loads(loaded(db, original).request.body)
    (got,) = echo.received
    assert got.path == "/v1/responses"
    sent = got.json()
    assert sent["model"] == "gpt-5" and sent["reasoning"] == {"effort": "high"}
    assert sent["temperature"] == 0.2 and sent["tools"] == []
    edited = ("model", "reasoning", "temperature", "tools")
    assert {k: v for k, v in sent.items() if k not in edited} == {
        k: v for k, v in recorded.items() if k not in edited
    }
    (diff,) = json.loads(done.stdout)["resends"][0]["diffs"]
    assert diff["request"]["model"] == {"a": "gpt-4.1-mini", "b": "gpt-5", "same": False}
    assert [t["op"] for t in diff["request"]["tools"]] == ["removed"]
    (edits,) = query(db, "SELECT edits FROM resends")[0]
    assert json.loads(edits) == [
        'set model="gpt-5"', 'set reasoning.effort="high"', "set temperature=0.2", "unset tools.0"
    ]  # fmt: skip


def editor(tmp_path: Path, code: str) -> dict[str, str]:
    script = tmp_path / "editor.py"
    script.write_text(f"import json, sys\npath = sys.argv[1]\n{code}\n")
    return {"EDITOR": f"{sys.executable} {script}", "VISUAL": ""}


def test_edit_opens_the_body_and_sends_what_was_saved(tmp_path: Path, echo: Echo) -> None:
    db = imported(tmp_path, ROUNDTRIP)
    original = ids_in_order(db)[0]
    save = (
        "body = json.load(open(path))\nassert body['model'] == 'gpt-5', body\n"
        "body['instructions'] = 'Answer in French.'\njson.dump(body, open(path, 'w'))"
    )
    done = resend(
        db, original, "--upstream", echo.url, "--yes", "--edit", "--set", "model=gpt-5",
        env=editor(tmp_path, save),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    sent = echo.received[0].json()
    assert sent["instructions"] == "Answer in French." and sent["model"] == "gpt-5"
    assert "Request" in done.stdout and "instructions" in done.stdout  # the diff, printed


def test_an_edit_that_is_not_json_is_one_line_and_nothing_is_sent(
    tmp_path: Path, echo: Echo
) -> None:
    db = imported(tmp_path, ROUNDTRIP)
    broken = "open(path, 'w').write('{\"model\": \"gpt-5\",\\n}')"
    done = resend(
        db, ids_in_order(db)[0], "--upstream", echo.url, "--yes", "--edit",
        env=editor(tmp_path, broken),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "respdeck: the edited body is not JSON: Expecting property name enclosed in double "
        "quotes (line 2, column 1)"
    ]
    assert echo.received == [] and query(db, "SELECT count(*) FROM resends") == [(0,)]


def test_a_stream_is_recorded_chunk_by_chunk_as_it_arrives(tmp_path: Path) -> None:
    db = imported(tmp_path, ROUNDTRIP)
    original = ids_in_order(db)[0]
    with ReplayUpstream.from_paths([ROUNDTRIP], pace=0.2) as replay:
        done = resend(db, original, "--upstream", replay.url, "--yes", "--json")
    assert done.returncode == 0, done.stderr
    (entry,) = json.loads(done.stdout)["resends"]
    (diff,) = entry["diffs"]
    assert diff["same"] is True  # the replay answers with the recorded bytes
    new = entry["exchanges"][0]
    recorded, again = loaded(db, original), loaded(db, new)
    assert recorded.response is not None and again.response is not None
    assert again.response.body == recorded.response.body
    chunks = again.response.chunks or []
    assert len(chunks) > 1 and sum(size for _, size in chunks) == len(again.response.body)
    offsets = [offset for offset, _ in chunks]
    assert offsets == sorted(offsets) and offsets[-1] > offsets[0]


def test_a_websocket_session_is_sent_again_turn_by_turn(tmp_path: Path) -> None:
    db = imported(tmp_path, WEBSOCKET)
    (session,) = ids_in_order(db)
    with ReplayUpstream.from_paths([WEBSOCKET], pace=0) as replay:
        done = resend(db, session, "--upstream", replay.url, "--yes", "--json")
    assert done.returncode == 0, done.stderr
    (entry,) = json.loads(done.stdout)["resends"]
    assert entry["diffs"][0]["same"] is True
    recorded, again = loaded(db, session), loaded(db, entry["exchanges"][0])
    assert recorded.websocket is not None and again.websocket is not None
    sent = [m.content for m in again.websocket if m.from_client]
    assert sent == [m.content for m in recorded.websocket if m.from_client]
    assert len(again.websocket) == len(recorded.websocket)
    assert again.request.url.startswith("ws://127.0.0.1:")


def test_a_websocket_sessions_later_turns_continue_the_new_ones(
    tmp_path: Path, ws_echo: WsEcho
) -> None:
    db = imported(tmp_path, WEBSOCKET)
    (session,) = ids_in_order(db)
    done = resend(db, session, "--upstream", ws_echo.url, "--yes", "--json", "--set", "model=gpt-5")
    assert done.returncode == 0, done.stderr
    recorded = loaded(db, session)
    assert recorded.websocket is not None
    creates = [json.loads(m.content) for m in recorded.websocket if m.from_client]
    sent = [json.loads(data) for data in ws_echo.received]
    assert sent == [
        {**creates[0], "model": "gpt-5"},
        {**creates[1], "model": "gpt-5", "previous_response_id": "resp_ws0"},
    ]
    (entry,) = json.loads(done.stdout)["resends"]
    again = loaded(db, entry["exchanges"][0])
    assert again.websocket is not None and len(again.websocket) == 6  # 2 sent, 2 x 2 answers
    assert entry["diffs"][0]["response"]["output_text"]["same"] is False


def refused(done: subprocess.CompletedProcess[str], echo: Echo, reason: str) -> None:
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("respdeck: not sent: "), done.stderr
    assert reason in lines[0]
    assert echo.received == []


def test_a_redacted_body_is_refused(tmp_path: Path, echo: Echo) -> None:
    request = {"model": "gpt-4.1-mini", "input": [{"role": "user", "content": "my secret"}]}
    exchange = json_exchange("POST", "/responses", 200, response_obj([message("ok")]), request)
    db = stored(tmp_path, [Redactor.from_options([], ["input.*.content"]).apply(exchange)])
    done = resend(db, ids_in_order(db)[0], "--upstream", echo.url, "--yes")
    refused(done, echo, "its request body was redacted when recorded")


def test_a_request_continuing_a_deleted_or_unstored_response_is_refused(
    tmp_path: Path, echo: Echo
) -> None:
    def create(rid: str, previous: str | None, **extra: Any) -> Exchange:
        request = {"model": "gpt-4.1-mini", "input": "go on", "previous_response_id": previous}
        answer = response_obj([message("ok")], id=rid, **extra)
        return json_exchange("POST", "/responses", 200, answer, request)

    deleted = {"id": "resp_A", "object": "response", "deleted": True}
    db = stored(tmp_path, [
        create("resp_A", None), create("resp_B", "resp_A"),
        json_exchange("DELETE", "/responses/resp_A", 200, deleted),
        create("resp_C", None, store=False), create("resp_D", "resp_C"),
        create("resp_E", "resp_elsewhere"),
    ])  # fmt: skip
    refused(resend(db, "resp_B", "--upstream", echo.url, "--yes"), echo,
            "resp_B continues resp_A, whose response was deleted (a recorded DELETE)")  # fmt: skip
    refused(resend(db, "resp_D", "--upstream", echo.url, "--yes"), echo,
            "resp_D continues resp_C, made with store: false")  # fmt: skip
    # one not recorded here is said, and sent: the upstream may hold it
    done = resend(db, "resp_E", "--upstream", echo.url, "--yes")
    assert done.returncode == 0, done.stderr
    assert "note: resp_E continues resp_elsewhere, which is not recorded here" in done.stderr
    assert echo.received[0].json()["previous_response_id"] == "resp_elsewhere"


def test_a_websocket_turn_out_of_its_session_is_refused(tmp_path: Path, echo: Echo) -> None:
    db = imported(tmp_path, WEBSOCKET)
    (turn,) = query(db, "SELECT response_id FROM responses ORDER BY response_index DESC LIMIT 1")[0]
    session = ids_in_order(db)[0][:8]
    refused(
        resend(db, turn, "--upstream", echo.url, "--yes"), echo,
        f"a turn of the WebSocket session {session}, which depends on the turns before it on "
        f"that connection: re-send the session (respdeck resend {session})",
    )  # fmt: skip


def test_no_key_for_a_request_sent_with_one_is_refused(tmp_path: Path, echo: Echo) -> None:
    db = imported(tmp_path, ROUNDTRIP)
    done = resend(db, ids_in_order(db)[0], "--upstream", echo.url, "--yes", key=None)
    refused(done, echo, "was sent with a key (fp:95498dbca83d) and $OPENAI_API_KEY is not set")
    other = resend(
        db, ids_in_order(db)[0], "--upstream", echo.url, "--yes", "--api-key-env", "MY_KEY",
        env={"MY_KEY": KEY},
    )  # fmt: skip
    assert other.returncode == 0, other.stderr
    assert echo.received[0].header("authorization") == f"Bearer {KEY}"
    # a key that is not the recorded one is said before sending
    assert "is not the one recorded (fp:95498dbca83d)" in other.stderr.split("estimate")[0]


def test_without_a_terminal_it_asks_for_yes(tmp_path: Path, echo: Echo) -> None:
    db = imported(tmp_path, ROUNDTRIP)
    done = resend(db, ids_in_order(db)[0], "--upstream", echo.url)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == "respdeck: not sent: stdin is not a terminal; give --yes to send"
    assert any(line.startswith("estimate: $") for line in lines)
    assert echo.received == []


def test_on_a_terminal_it_asks_and_no_sends_nothing(tmp_path: Path, echo: Echo) -> None:
    db = imported(tmp_path, ROUNDTRIP)
    environ = {**os.environ, "OPENAI_API_KEY": KEY}
    controller, terminal = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "inspector", "resend", "--db", str(db), ids_in_order(db)[0],
             "--upstream", echo.url],
            cwd=ROOT, env=environ, stdin=terminal, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        os.write(controller, b"n\n")  # read once it asks: the terminal keeps the line till then
        out, err = proc.communicate(timeout=scaled(180))
    finally:
        os.close(terminal)
        os.close(controller)
    assert proc.returncode == 2, err
    assert "Send 1 request? [y/N]" in err and err.strip().endswith("respdeck: nothing sent")
    assert echo.received == [] and out == ""


def test_a_capture_reruns_in_order_with_its_chain_relinked(tmp_path: Path, echo: Echo) -> None:
    db = imported(tmp_path, ROUNDTRIP)
    first, second = ids_in_order(db)
    (capture,) = query(db, "SELECT capture_id::VARCHAR FROM captures")[0]
    done = resend(db, "--capture", capture[:8], "--upstream", echo.url, "--yes", "--json")
    assert done.returncode == 0, done.stderr
    recorded = [json.loads(loaded(db, i).request.body) for i in (first, second)]
    sent = [r.json() for r in echo.received]
    assert sent[0] == recorded[0]
    assert recorded[1]["previous_response_id"] != "resp_echo0"
    assert sent[1] == {**recorded[1], "previous_response_id": "resp_echo0"}  # re-chained
    doc = json.loads(done.stdout)
    old_ids = [str(loaded_response_id(db, i)) for i in (first, second)]
    assert doc["ids"] == {old_ids[0]: "resp_echo0", old_ids[1]: "resp_echo1"}
    assert doc["original_capture"] == capture
    assert (
        doc["diff"]["counts"]["paired"] == 2 and doc["diff"]["b"]["capture_id"] == doc["capture_id"]
    )
    links = query(
        db, "SELECT l.resent_from::VARCHAR, e.response_id FROM resends l "
        "JOIN exchanges e USING (exchange_id) ORDER BY e.seq"
    )  # fmt: skip
    assert links == [(first, "resp_echo0"), (second, "resp_echo1")]
    text = resend(db, "--capture", capture[:8], "--upstream", echo.url, "--yes")
    assert text.returncode == 0 and "2 paired" in text.stdout and "ids re-chained" in text.stdout


def test_times_reports_the_spread(tmp_path: Path, echo: Echo) -> None:
    db = imported(tmp_path, ROUNDTRIP)
    original = ids_in_order(db)[1]  # not streamed: one JSON answer each
    done = resend(db, original, "--upstream", echo.url, "--yes", "--json", "--times", "3")
    assert done.returncode == 0, done.stderr
    assert len(echo.received) == 3
    assert len({r.body for r in echo.received}) == 1
    (entry,) = json.loads(done.stdout)["resends"]
    assert len(entry["exchanges"]) == 3 and len(entry["diffs"]) == 3
    spread = entry["spread"]
    assert spread["outputs"] == {"agree": 2, "distinct": 2, "same_as_original": 0}
    assert spread["tokens"]["output_tokens"] == {"min": 7, "median": 7, "max": 7}
    assert spread["latency"]["duration_ms"]["min"] <= spread["latency"]["duration_ms"]["max"]
    assert query(db, "SELECT count(DISTINCT exchange_id), count(*) FROM resends") == [(3, 3)]
    assert "for 3 sends" in done.stderr
    text = resend(db, original, "--upstream", echo.url, "--yes", "--times", "2")
    assert "spread over 2 sends" in text.stdout and "outputs: 1 of 2 agree" in text.stdout


def test_an_upstream_that_does_not_answer_is_trouble(tmp_path: Path) -> None:
    db = imported(tmp_path, ROUNDTRIP)
    closed = Echo()
    url = closed.url
    closed.stop()
    done = resend(db, ids_in_order(db)[0], "--upstream", url, "--yes")
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith(f"respdeck: {ids_in_order(db)[0]}: cannot reach {url}:")
    )
    assert query(db, "SELECT count(*) FROM resends") == [(0,)]
    assert query(db, "SELECT count(*) FROM captures WHERE mode = 'resend'") == [(0,)]
