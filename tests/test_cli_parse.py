"""`respdeck parse` as a user runs it: a real subprocess, real files."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import RECORDINGS
from .helpers import respdeck, respdeck_process

REQUIRED_KEYS = {
    "source",
    "index",
    "endpoint",
    "method",
    "path",
    "status",
    "streamed",
    "model",
    "response_id",
    "previous_response_id",
    "usage",
    "event_types",
    "input_item_types",
    "output_item_types",
    "output_text",
    "unknown_types",
    "findings",
}


def test_parse_recordings_prints_a_line_per_exchange_and_a_summary() -> None:
    result = respdeck_process("parse", "recordings/")  # as a user runs it
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert any("stream_text.har#0  responses.create  200  stream(" in line for line in lines)
    assert "exchange(s)" in result.stdout and "by endpoint:" in result.stdout
    assert "findings:" in result.stdout and "unknown types:" in result.stdout


def test_parse_json_has_the_documented_fields() -> None:
    result = respdeck(
        "parse", "--json", str(RECORDINGS / "stream_text.har"), str(RECORDINGS / "stream_error.har")
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 4
    for row in rows:
        assert row.keys() >= REQUIRED_KEYS
    text = rows[0]
    assert text["streamed"] and text["usage"]["cached_tokens"] == 1152
    assert set(text["usage"]) == {
        "input_tokens",
        "cached_tokens",
        "output_tokens",
        "reasoning_tokens",
        "total_tokens",
    }
    assert text["event_types"]["response.output_text.delta"] > 1
    assert text["output_item_types"] == ["message"] and text["output_text"]
    http_error = rows[3]
    assert http_error["status"] == 429 and http_error["usage"] is None
    assert {f["code"] for f in http_error["findings"]} == {"http_error"}
    assert set(http_error["findings"][0]) >= {"code", "severity", "message", "where"}
    assert "exchange(s)" in result.stderr  # the summary stays off stdout


def test_unknown_format_and_missing_path_give_one_line_and_exit_2(tmp_path: Path) -> None:
    odd = tmp_path / "notes.bin"
    odd.write_bytes(b"\x00\x01 just bytes")
    result = respdeck_process("parse", str(odd))
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("respdeck:")]
    assert len(errors) == 1 and "HAR" in errors[0] and "VCR" in errors[0]
    assert "Traceback" not in result.stderr

    result = respdeck("parse", str(tmp_path / "missing.yaml"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_folder_with_one_bad_file_still_parses_the_rest(tmp_path: Path) -> None:
    (tmp_path / "good.sse").write_bytes((RECORDINGS / "raw_stream.sse").read_bytes())
    (tmp_path / "bad.json").write_text("{not json")
    result = respdeck("parse", str(tmp_path))
    assert result.returncode == 2
    assert "good.sse#0" in result.stdout and "bad.json" in result.stderr


def test_no_arguments_and_bad_option_are_usage_errors() -> None:
    for args in (("parse",), ("parse", "--nope", "x"), ("nosuchcommand",)):
        result = respdeck(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
