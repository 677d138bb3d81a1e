"""Importers: each format from a small inline sample, then the whole shared corpus."""

from __future__ import annotations

import base64
import csv
import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from addon.importers import (
    CONVERTED_HEADER,
    DIALECTS,
    FORMATS,
    SYNTHETIC_HEADER,
    ImportFailure,
    UnknownFormatError,
    detect_format,
    iter_paths,
    load_file,
    load_file_detected,
)
from addon.wire.exchange import Exchange, header

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

GZ_BODY = gzip.compress(b'{"id":"resp_1","object":"response"}', mtime=0)
GZ_B64 = base64.b64encode(GZ_BODY).decode()


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def synthetic(ex: Exchange) -> bool:
    return header(ex.request.headers, SYNTHETIC_HEADER) == "1"


# --- VCR.py -------------------------------------------------------------------------------

VCRPY_YAML = f"""\
interactions:
- request:
    body: '{{"model":"gpt-4o","input":"hi"}}'
    headers:
      Content-Type:
      - application/json
      authorization:
      - Bearer sk-secret
    method: POST
    uri: https://api.openai.com/v1/responses
  response:
    body:
      string: !!binary |
        {GZ_B64}
    headers:
      Content-Encoding:
      - gzip
      Set-Cookie:
      - a=1
      - b=2
      openai-processing-ms: '573'
    status:
      code: 200
      message: OK
- request:
    body: null
    headers: {{}}
    method: GET
    uri: https://api.openai.com/v1/chat/completions
  response:
    body:
      string: 'not json'
    headers: {{}}
    status:
      code: 404
      message: Not Found
version: 1
"""


def test_vcrpy_yaml_keeps_binary_body_and_headers(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", VCRPY_YAML)
    dialect, exchanges = load_file_detected(path)
    assert dialect == "VCR.py YAML cassette"
    assert len(exchanges) == 2  # the non-Responses interaction is kept too
    first, second = exchanges
    assert first.request.method == "POST"
    assert first.request.body == b'{"model":"gpt-4o","input":"hi"}'
    assert first.response is not None
    assert first.response.body == GZ_BODY  # still gzip, exactly as recorded
    assert first.response.status == 200
    assert ("Content-Encoding", "gzip") in first.response.headers
    cookies = [v for k, v in first.response.headers if k == "Set-Cookie"]
    assert len(cookies) == 2 and all(v.startswith("fp:") for v in cookies)  # fingerprinted
    assert ("openai-processing-ms", "573") in first.response.headers
    assert first.key_fingerprint and first.key_fingerprint.startswith("fp:")
    assert (first.source, first.index, second.index) == (str(path), 0, 1)
    assert second.request.body == b""
    assert second.response is not None and second.response.status == 404
    assert second.response.body == b"not json"


def test_vcrpy_parsed_body_and_httpx_layout(tmp_path: Path) -> None:
    text = """\
interactions:
- request:
    headers: {content-type: [application/json]}
    method: POST
    parsed_body: {model: o4-mini, input: [{role: user, content: hi}]}
    uri: https://api.openai.com/v1/responses
  response:
    headers: {content-type: [application/json]}
    parsed_body: {id: resp_1, object: response, metadata: {}}
    status: {code: 200, message: OK}
- request:
    body: ''
    headers: {}
    method: GET
    uri: https://api.openai.com/v1/responses/resp_1
  response:
    content: '{"id":"resp_1"}'
    headers: {}
    http_version: HTTP/1.1
    status_code: 201
version: 1
"""
    first, second = load_file(write(tmp_path, "p.yaml", text))
    assert (
        first.request.body
        == json.dumps({"model": "o4-mini", "input": [{"role": "user", "content": "hi"}]}).encode()
    )
    assert first.response is not None
    assert first.response.body == b'{"id": "resp_1", "object": "response", "metadata": {}}'
    assert second.response is not None
    assert second.response.status == 201
    assert second.response.body == b'{"id":"resp_1"}'


def test_vcrpy_json_cassette_and_single_record(tmp_path: Path) -> None:
    cassette = {
        "interactions": [
            {
                "request": {
                    "body": "{}",
                    "headers": {"X-A": ["1"]},
                    "method": "POST",
                    "uri": "https://api.openai.com/v1/responses",
                },
                "response": {"body": {"string": "ok"}, "headers": {}, "status": {"code": 200}},
            }
        ],
        "version": 1,
    }
    path = write(tmp_path, "c.json", json.dumps(cassette))
    assert detect_format(path, path.read_bytes()) == "VCR.py JSON cassette"
    (ex,) = load_file(path)
    assert ex.request.headers == [("X-A", "1")]
    assert ex.response is not None and ex.response.body == b"ok"

    record = {
        "request": {"method": "POST", "url": "https://api.openai.com/v1/responses", "body": "x"},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": "text/event-stream"},
            "body": "event: a\ndata: {}\n\n",
        },
    }
    path = write(tmp_path, "r.json", json.dumps(record))
    (ex,) = load_file(path)
    assert detect_format(path, path.read_bytes()) == "VCR.py JSON record"
    assert ex.request.url == "https://api.openai.com/v1/responses"
    assert ex.response is not None
    assert ex.response.body == b"event: a\ndata: {}\n\n"
    assert ex.response.headers == [("Content-Type", "text/event-stream")]


def test_yaml_foreign_tags_are_plain_data_never_code(tmp_path: Path) -> None:
    text = """\
interactions:
- request:
    body: !!python/unicode 'hi'
    headers: !!python/object:os.system {x: ['1']}
    method: GET
    uri: !!python/str http://x/v1/responses
  response:
    body: {string: !binary aGVsbG8=}
    headers: {}
    status: {code: 200, message: OK}
"""
    (ex,) = load_file(write(tmp_path, "t.yaml", text))
    assert ex.request.body == b"hi"
    assert ex.request.headers == [("x", "1")]
    assert ex.response is not None and ex.response.body == b"hello"


# --- Ruby/R VCR, go-vcr, Azure --------------------------------------------------------------


def test_ruby_vcr(tmp_path: Path) -> None:
    text = f"""\
---
http_interactions:
- request:
    method: post
    uri: https://api.openai.com/v1/responses
    body:
      encoding: UTF-8
      string: '{{"model":"gpt-4.1-nano"}}'
    headers:
      Content-Type:
      - application/json
  response:
    status:
      code: 200
      message: OK
    headers:
      Content-Encoding:
      - gzip
    body:
      encoding: ASCII-8BIT
      base64_string: |
        {GZ_B64}
  recorded_at: Wed, 19 Aug 2026 14:34:54 GMT
- request:
    method: get
    uri: https://api.openai.com/v1/responses/resp_1
    body: {{encoding: '', string: ''}}
    headers: {{}}
  response:
    status: {{status_code: '404', message: Not Found}}
    headers: {{Content-Type: application/json}}
    body: {{encoding: '', string: '{{}}'}}
recorded_with: VCR 6.4.0
"""
    path = write(tmp_path, "r.yml", text)
    dialect, (first, second) = load_file_detected(path)
    assert dialect == "Ruby/R VCR cassette"
    assert DIALECTS[dialect] == "Ruby/R VCR"
    assert first.request.method == "POST"
    assert first.request.body == b'{"model":"gpt-4.1-nano"}'
    assert first.response is not None and first.response.body == GZ_BODY
    assert first.timings.started_at is not None
    assert first.timings.started_at.isoformat() == "2026-08-19T14:34:54+00:00"
    assert second.response is not None
    assert second.response.status == 404
    assert second.response.headers == [("Content-Type", "application/json")]
    assert second.response.body == b"{}"


def test_go_vcr_v2(tmp_path: Path) -> None:
    text = """\
---
version: 2
interactions:
    - id: 0
      request:
        proto: HTTP/1.1
        body: '{"model":"gpt-4o"}'
        form: {}
        headers:
            Content-Type:
                - application/json
        url: https://api.openai.com/v1/responses
        method: POST
      response:
        proto: HTTP/2.0
        body: '{"id":"resp_1","object":"response"}'
        headers:
            Content-Type:
                - application/json
        status: 200 OK
        code: 200
        duration: 1.5s
    - request:
        body: ""
        form: {a: ["1", "2"]}
        headers: {}
        url: https://example.com/form
        method: POST
      response:
        body: ""
        headers: {}
        status: 503 Service Unavailable
        code: 503
        duration: 83.984896ms
"""
    path = write(tmp_path, "g.yaml", text)
    dialect, (first, second) = load_file_detected(path)
    assert dialect == "go-vcr cassette"
    assert first.request.url == "https://api.openai.com/v1/responses"
    assert first.response is not None and first.response.status == 200
    assert first.response.body == b'{"id":"resp_1","object":"response"}'
    assert first.timings.duration_ms == 1500.0
    assert second.request.body == b"a=1&a=2"
    assert second.response is not None and second.response.status == 503
    assert second.timings.duration_ms == pytest.approx(83.984896)


def test_azure_test_proxy_record(tmp_path: Path) -> None:
    doc = {
        "Entries": [
            {
                "RequestUri": "https://api.openai.com/v1/responses",
                "RequestMethod": "POST",
                "RequestHeaders": {"Content-Type": "application/json"},
                "RequestBody": {"model": "gpt-4.1-mini", "stream": True},
                "StatusCode": 200,
                "ResponseHeaders": {
                    "Content-Type": "text/event-stream; charset=utf-8",
                    "Set-Cookie": ["a", "b"],
                },
                "ResponseBody": ["event: response.created\n", 'data: {"a":"é"}\n\n'],
            },
            {
                "RequestUri": "https://api.openai.com/v1/files",
                "RequestMethod": "POST",
                "RequestHeaders": {"Content-Type": "multipart/form-data; boundary=xx"},
                "RequestBody": ["--xx\r\n", "\r\n", "b64:eCx5", "\r\n", "--xx--\r\n"],
                "StatusCode": 200,
                "ResponseHeaders": {"Content-Type": "application/json"},
                "ResponseBody": {"id": "file-1", "n": None},
            },
        ],
        "Variables": {},
    }
    path = write(tmp_path, "s.json", json.dumps(doc))
    dialect, (first, second) = load_file_detected(path)
    assert dialect == "Azure test-proxy record"
    assert first.request.body == b'{"model":"gpt-4.1-mini","stream":true}'
    assert first.response is not None
    assert first.response.body == 'event: response.created\ndata: {"a":"é"}\n\n'.encode()
    assert len([k for k, _ in first.response.headers if k == "Set-Cookie"]) == 2
    assert second.request.body == b"--xx\r\n\r\nx,y\r\n--xx--\r\n"
    assert second.response is not None and second.response.body == b'{"id":"file-1","n":null}'


# --- HAR ----------------------------------------------------------------------------------


def har_doc(entries: list[dict]) -> str:
    return json.dumps({"log": {"version": "1.2", "creator": {"name": "t"}, "entries": entries}})


def har_entry(**extra: object) -> dict:
    entry: dict = {
        "startedDateTime": "2026-01-26T20:28:20.000Z",
        "time": 500,
        "request": {
            "method": "POST",
            "url": "https://api.openai.com/v1/responses",
            "headers": [{"name": "x-a", "value": "1"}, {"name": "x-a", "value": "2"}],
            "postData": {"mimeType": "application/json", "text": '{"stream":true}'},
        },
        "response": {
            "status": 200,
            "headers": [{"name": "content-type", "value": "text/event-stream"}],
            "content": {"mimeType": "text/event-stream", "text": "data: 1\n\ndata: 2\n\n"},
        },
        "timings": {"blocked": -1, "dns": -1, "connect": 10, "send": 5, "wait": 100, "receive": 9},
    }
    entry.update(extra)
    return entry


def test_har_text_body_timings_and_own_chunks(tmp_path: Path) -> None:
    plain = har_entry()
    chunked = har_entry()
    chunked["response"] = {
        "status": 200,
        "headers": [],
        "content": {
            "text": base64.b64encode(b"data: 1\n\ndata: 2\n\n").decode(),
            "encoding": "base64",
            "_chunks": [[115.0, 9], [300.5, 9]],
        },
    }
    path = write(tmp_path, "a.har", har_doc([plain, chunked]))
    dialect, (first, second) = load_file_detected(path)
    assert dialect == "HAR 1.2"
    assert first.request.headers == [("x-a", "1"), ("x-a", "2")]
    assert first.request.body == b'{"stream":true}'
    assert first.response is not None
    assert first.response.body == b"data: 1\n\ndata: 2\n\n"
    assert first.response.chunks is None
    assert first.timings.ttfb_ms == 115.0  # connect + send + wait; -1 means unknown
    assert first.timings.duration_ms == 500.0
    assert first.timings.started_at is not None and first.timings.started_at.year == 2026
    assert second.response is not None
    assert second.response.body == b"data: 1\n\ndata: 2\n\n"
    assert second.response.chunks == [(115.0, 9), (300.5, 9)]
    assert [bytes(b) for _, b in second.response.iter_chunks()] == [b"data: 1\n\n", b"data: 2\n\n"]


def test_har_polly_base64_chunk_array(tmp_path: Path) -> None:
    parts = [GZ_BODY[:10], GZ_BODY[10:]]
    entry = har_entry()
    entry["response"] = {
        "status": 200,
        "headers": [{"name": "content-encoding", "value": "gzip"}],
        "content": {
            "mimeType": "application/json",
            "encoding": "base64",
            "text": json.dumps([base64.b64encode(p).decode() for p in parts]),
        },
    }
    (ex,) = load_file(write(tmp_path, "p.har", har_doc([entry])))
    assert ex.response is not None
    assert ex.response.body == GZ_BODY
    assert ex.response.chunks is not None
    assert [size for _, size in ex.response.chunks] == [10, len(GZ_BODY) - 10]
    assert ex.response.chunks[0][0] == 115.0  # first chunk at time to first byte


def test_har_websocket_messages_and_failed_request(tmp_path: Path) -> None:
    ws = har_entry(
        _webSocketMessages=[
            {"type": "send", "time": 1769459300.25, "opcode": 1, "data": '{"type":"x"}'},
            {"type": "receive", "time": 1769459301.0, "opcode": 2, "data": "AAEC"},
        ]
    )
    ws["startedDateTime"] = "2026-01-26T20:28:20.000Z"  # epoch 1769459300.0
    ws["request"]["method"] = "GET"
    ws["response"] = {"status": 101, "headers": [], "content": {"size": 0}}
    failed = har_entry()
    failed["response"] = {"status": 0, "headers": [], "content": {}, "_error": "net::ERR"}
    first, second = load_file(write(tmp_path, "w.har", har_doc([ws, failed])))
    assert first.response is not None and first.response.status == 101
    assert first.websocket is not None
    sent, received = first.websocket
    assert sent.from_client and sent.is_text and sent.content == b'{"type":"x"}'
    assert sent.offset_ms == pytest.approx(250.0)
    assert not received.from_client and not received.is_text
    assert received.content == b"\x00\x01\x02"
    assert received.offset_ms == pytest.approx(1000.0)
    assert second.response is None and second.aborted


# --- body-only fixtures ---------------------------------------------------------------------


def test_raw_sse_keeps_file_bytes(tmp_path: Path) -> None:
    data = b'event: response.created\ndata: {"type":"response.created"}\n\ndata: [DONE]\n'
    path = write(tmp_path, "stream-1.json", data)  # Prism names its SSE fixtures .json
    dialect, (ex,) = load_file_detected(path)
    assert dialect == "raw SSE text"
    assert synthetic(ex)
    assert ex.request.method == "POST" and ex.request.path == "/v1/responses"
    assert ex.request.body == b'{"stream":true}'
    assert ex.response is not None
    assert ex.response.body == data
    assert ex.response.status == 200
    assert (header(ex.response.headers, "content-type") or "").startswith("text/event-stream")


def test_sse_json_lines_and_json_array(tmp_path: Path) -> None:
    lines = b'{"type":"response.created","sequence_number":0}\r\n{"type":"response.completed"}\n'
    dialect, (ex,) = load_file_detected(write(tmp_path, "x.chunks.txt", lines))
    assert dialect == "SSE JSON lines"
    assert ex.response is not None
    assert ex.response.body == (
        b'data: {"type":"response.created","sequence_number":0}\n\n'
        b'data: {"type":"response.completed"}\n\n'
    )
    assert header(ex.response.headers, CONVERTED_HEADER) == "sse-jsonl"

    events = [{"type": "response.output_item.done", "item": {"call_id": "é"}}, {"type": "x"}]
    dialect, (ex,) = load_file_detected(write(tmp_path, "a.json", json.dumps(events, indent=2)))
    assert dialect == "SSE JSON array"
    assert ex.response is not None
    assert (
        ex.response.body
        == (
            'data: {"type":"response.output_item.done","item":{"call_id":"é"}}\n\n'
            'data: {"type":"x"}\n\n'
        ).encode()
    )


@pytest.mark.parametrize(
    ("doc", "method", "path", "status"),
    [
        ({"id": "resp_1", "object": "response", "error": None}, "POST", "/v1/responses", 200),
        ({"id": "c", "object": "response.compaction"}, "POST", "/v1/responses/compact", 200),
        ({"object": "response.input_tokens"}, "POST", "/v1/responses/input_tokens", 200),
        ({"object": "list", "data": []}, "GET", "/v1/responses/resp_unknown/input_items", 200),
        ({"id": "conv_1", "object": "conversation"}, "POST", "/v1/conversations", 200),
        (
            {"error": {"type": "invalid_request_error", "message": "m"}},
            "POST",
            "/v1/responses",
            400,
        ),
        ({"error": {"type": "insufficient_quota", "code": "x"}}, "POST", "/v1/responses", 429),
        ({"error": {"type": "weird"}}, "POST", "/v1/responses", 400),
    ],
)
def test_bare_json_bodies(tmp_path: Path, doc: dict, method: str, path: str, status: int) -> None:
    data = json.dumps(doc, indent=2).encode()
    (ex,) = load_file(write(tmp_path, "b.json", data))
    assert synthetic(ex)
    assert (ex.request.method, ex.request.path) == (method, path)
    assert ex.response is not None
    assert ex.response.status == status
    assert ex.response.body == data  # recorded bytes, not re-serialised


def test_request_body_companion_has_no_response(tmp_path: Path) -> None:
    data = b'{\n  "model": "gpt-4o-mini",\n  "conversation": "conv_1",\n  "input": "hi"\n}'
    dialect, (ex,) = load_file_detected(write(tmp_path, "first_message_request.json", data))
    assert dialect == "request body JSON"
    assert ex.response is None
    assert ex.request.body == data
    assert ex.request.path == "/v1/responses"


def test_batch_state_file(tmp_path: Path) -> None:
    doc = {
        "version": 1,
        "batch": {"id": "batch_1", "endpoint": "/v1/responses", "object": "batch"},
        "results": [
            {
                "id": "r1",
                "custom_id": "request-0",
                "response": {"status_code": 200, "request_id": "rq", "body": {"id": "resp_1"}},
                "error": None,
            },
            {"id": "r2", "custom_id": "request-1", "response": None, "error": {"code": "x"}},
        ],
    }
    dialect, (ok, failed) = load_file_detected(write(tmp_path, "batch.json", json.dumps(doc)))
    assert dialect == "Batch API JSON"
    assert ok.response is not None and ok.response.body == b'{"id":"resp_1"}'
    assert header(ok.response.headers, "x-request-id") == "rq"
    assert ok.request.path == "/v1/responses"
    assert failed.response is None


def test_nock_recording(tmp_path: Path) -> None:
    doc = [
        {
            "scope": "https://api.openai.com:443",
            "method": "POST",
            "path": "/v1/responses",
            "body": {"model": "gpt-4o", "input": "hi"},
            "status": 200,
            "response": {"id": "resp_1", "object": "response"},
            "rawHeaders": [
                "Content-Type",
                "application/json",
                "Set-Cookie",
                "a",
                "Set-Cookie",
                "b",
            ],
        },
        {
            "scope": "https://api.openai.com:443",
            "method": "POST",
            "path": "/v1/responses",
            "body": "",
            "status": 500,
            "response": [GZ_BODY[:5].hex(), GZ_BODY[5:].hex()],
            "rawHeaders": {"Content-Encoding": "gzip"},
        },
    ]
    dialect, (first, second) = load_file_detected(write(tmp_path, "n.json", json.dumps(doc)))
    assert dialect == "nock recording"
    assert first.request.url == "https://api.openai.com:443/v1/responses"
    assert first.request.body == b'{"model":"gpt-4o","input":"hi"}'
    assert first.response is not None
    assert first.response.body == b'{"id":"resp_1","object":"response"}'
    assert [k for k, _ in first.response.headers] == ["Content-Type", "Set-Cookie", "Set-Cookie"]
    assert second.response is not None and second.response.status == 500
    assert second.response.body == GZ_BODY


# --- failures and the directory walk ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.json", b""),
        ("notes.txt", b"hello world\n"),
        ("other.json", b'{"a": 1}'),
        ("config.yaml", b"name: ci\non: [push]\n"),
        ("junk.bin", bytes(range(256)) * 4),
        ("lines.jsonl", b'{"a":1}\n{"b":2}\n'),
    ],
)
def test_unknown_format_is_one_line(tmp_path: Path, name: str, content: bytes) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(UnknownFormatError) as info:
        load_file(path)
    assert str(info.value) == (
        f"{path}: not a recording respdeck can read (supported: VCR.py YAML/JSON cassettes, "
        "Ruby/R VCR, go-vcr, HAR 1.2, raw SSE text, SSE JSON lines, Response JSON, nock, "
        "respdeck JSONL, respdeck raw HTTP)"
    )
    assert isinstance(info.value, ImportFailure)
    assert len(FORMATS) == 10


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.yaml", b"interactions:\n- request: {body: '\xff\xfe'}\n", "invalid YAML"),
        ("broken.yml", b"interactions: [unclosed\n", "invalid YAML"),
        ("broken.json", b'{"log": {"entries": [', "invalid JSON"),
        ("deep.json", b"[" * 100_000, ""),
    ],
)
def test_unreadable_files_fail_with_one_line(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(ImportFailure) as info:
        load_file(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    assert expected in message


def test_directory_and_missing_path_fail(tmp_path: Path) -> None:
    with pytest.raises(ImportFailure, match="is a directory"):
        load_file(tmp_path)
    with pytest.raises(ImportFailure, match="no such file"):
        list(iter_paths([tmp_path / "missing.yaml"]))


def test_malformed_content_inside_known_format_is_import_failure(tmp_path: Path) -> None:
    text = "http_interactions:\n- request: {method: get, uri: x}\n  response:\n"
    text += "    body: {base64_string: abcde}\n"
    with pytest.raises(ImportFailure, match="broken Ruby/R VCR cassette"):
        load_file(write(tmp_path, "r.yml", text))


def test_iter_paths_walks_sorted_and_skips_non_recordings(tmp_path: Path) -> None:
    for name in [
        "b/z.yaml",
        "b/a.har",
        "a.json",
        "MANIFEST.tsv",
        "README.md",
        "notes.md",
        "tool.py",
        "db.duckdb",
        ".hidden.yaml",
        ".git/x.yaml",
        "c/.secret/y.json",
    ]:
        write(tmp_path, name, "x")
    explicit = write(tmp_path, "elsewhere/README.md", "x")
    found = list(iter_paths([tmp_path, explicit]))
    assert found == [tmp_path / "a.json", tmp_path / "b/a.har", tmp_path / "b/z.yaml", explicit]


# --- the shared corpus ----------------------------------------------------------------------


def is_responses_exchange(ex: Exchange) -> bool:
    path = ex.request.path
    return path.endswith("/responses") or "/responses/" in path or synthetic(ex)


Loaded = dict[str, tuple[str, list[Exchange]]]


@pytest.fixture(scope="module")
def corpus_load() -> tuple[Loaded, list[str]]:
    """Every file of the corpus walk, loaded once: (dialect, exchanges) by path, and failures."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus not present")
    loaded: Loaded = {}
    failures: list[str] = []
    for path in iter_paths([CORPUS]):
        try:
            loaded[path.relative_to(CORPUS).as_posix()] = load_file_detected(path)
        except ImportFailure as exc:
            failures.append(str(exc))
    return loaded, failures


@pytest.fixture(scope="module")
def corpus(corpus_load: tuple[Loaded, list[str]]) -> Loaded:
    return corpus_load[0]


@pytest.fixture(scope="module")
def manifest() -> dict[str, int]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip("../shared/corpus not present")
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return {r["local_file"]: int(r["n_interactions"] or 0) for r in rows}


@pytest.mark.corpus
def test_corpus_every_file_loads(corpus_load: tuple[Loaded, list[str]]) -> None:
    loaded, failures = corpus_load
    assert failures == []
    for rel, (_, exchanges) in loaded.items():
        assert [e.index for e in exchanges] == list(range(len(exchanges))), rel
        assert all(e.source.endswith(rel) for e in exchanges), rel


@pytest.mark.corpus
def test_corpus_counts_match_manifest(corpus: Loaded, manifest: dict[str, int]) -> None:
    files: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    responses = 0
    for dialect, exchanges in corpus.values():
        files[dialect] += 1
        totals[dialect] += len(exchanges)
        responses += sum(is_responses_exchange(e) for e in exchanges)
    for dialect in sorted(files):
        print(f"{dialect:28} files={files[dialect]:4} exchanges={totals[dialect]:5}")
    expected = sum(manifest.values())
    print(f"responses-like exchanges={responses} manifest n_interactions={expected}")

    assert set(manifest) <= set(corpus), "every manifest file is walked"
    loaded = [rel for rel in manifest if corpus[rel][1]]
    assert len(loaded) >= 0.9 * len(manifest)
    short = [
        (rel, len(corpus[rel][1]), k) for rel, k in manifest.items() if len(corpus[rel][1]) < k
    ]
    assert short == []
    # Responses calls hidden inside other payloads (a Batch API output file uploaded through
    # /v1/files) are counted by the manifest but are not HTTP exchanges of their own.
    assert responses >= 0.98 * expected


def test_sse_json_lines_holding_two_streams_become_two_exchanges(tmp_path: Path) -> None:
    lines = [
        {"type": "response.created", "sequence_number": 0, "response": {"id": "resp_a"}},
        {"type": "response.completed", "sequence_number": 1, "response": {"id": "resp_a"}},
        {"type": "response.created", "sequence_number": 0, "response": {"id": "resp_b"}},
        {"type": "response.completed", "sequence_number": 1, "response": {"id": "resp_b"}},
    ]
    path = write(tmp_path, "two.chunks.txt", "\n".join(json.dumps(line) for line in lines))
    exchanges = load_file(path)
    assert len(exchanges) == 2
    assert [ex.index for ex in exchanges] == [0, 1]
    assert b"resp_a" in exchanges[0].response.body and b"resp_b" not in exchanges[0].response.body
