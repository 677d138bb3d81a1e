"""Small builders for exchanges in tests."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import openai
from openai import Stream
from openai.lib.streaming.responses._responses import ResponseStream
from openai.types.responses import ResponseStreamEvent

from addon.wire.body_events import decoded_body
from addon.wire.collect import Collector
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse
from addon.wire.result import ParsedExchange

API = "https://api.openai.com/v1"


def sse_body(events: list[dict[str, Any]], named: bool = True) -> bytes:
    out = []
    for event in events:
        head = f"event: {event.get('type')}\n" if named else ""
        out.append(f"{head}data: {json.dumps(event, separators=(',', ':'))}\n\n")
    return "".join(out).encode()


def stream_exchange(
    body: bytes, headers: list[tuple[str, str]] | None = None, request: dict[str, Any] | None = None
) -> Exchange:
    req = request if request is not None else {"model": "gpt-4o", "input": "hi", "stream": True}
    return Exchange(
        HttpRequest(
            "POST",
            f"{API}/responses",
            [("content-type", "application/json")],
            json.dumps(req).encode(),
        ),
        HttpResponse(200, headers or [("content-type", "text/event-stream")], body),
    )


def json_exchange(
    method: str,
    path: str,
    status: int,
    body: Any,
    request: Any = None,
    headers: list[tuple[str, str]] | None = None,
) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = b"" if request is None else json.dumps(request).encode()
    return Exchange(
        HttpRequest(method, f"{API}{path}", [("content-type", "application/json")], req),
        HttpResponse(status, headers or [("content-type", "application/json")], raw),
    )


USAGE = {
    "input_tokens": 12,
    "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 0},
    "output_tokens": 7,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 19,
}


def response_obj(
    output: list[dict[str, Any]],
    status: str = "completed",
    usage: dict[str, Any] | None = USAGE,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1700000000,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "model": "gpt-4o-2024-08-06",
        "output": output,
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "usage": copy.deepcopy(usage),
        **extra,
    }


def message(text: str, item_id: str = "msg_1", status: str = "completed") -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


def text_stream(text_parts: list[str], terminal: bool = True) -> list[dict[str, Any]]:
    """A realistic event sequence for one message streamed as `text_parts` deltas."""
    full = "".join(text_parts)
    created = response_obj([], status="in_progress", usage=None)
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": created},
        {"type": "response.in_progress", "response": created},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**message("", status="in_progress"), "content": []},
        },
        {
            "type": "response.content_part.added",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []},
        },
    ]
    for part in text_parts:
        events.append(
            {
                "type": "response.output_text.delta",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": part,
                "logprobs": [],
            }
        )
    events += [
        {
            "type": "response.output_text.done",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "text": full,
            "logprobs": [],
        },
        {
            "type": "response.content_part.done",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": message(full)["content"][0],
        },
        {"type": "response.output_item.done", "output_index": 0, "item": message(full)},
    ]
    if terminal:
        events.append({"type": "response.completed", "response": response_obj([message(full)])})
    for seq, event in enumerate(events):
        event["sequence_number"] = seq
    return events


def sdk_final(parsed: ParsedExchange) -> Any:
    """Feed the same (decoded) bytes to openai-python's own stream handling."""
    response = parsed.exchange.response
    assert response is not None
    body = b"".join(piece for _, piece in decoded_body(response, Collector()))
    client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    http = httpx2.Response(
        200,
        content=body,
        headers={"content-type": "text/event-stream"},
        request=httpx2.Request("POST", "http://127.0.0.1:9/v1/responses"),
    )
    raw = Stream(cast_to=ResponseStreamEvent, response=http, client=client)
    stream = ResponseStream(
        raw_stream=raw, text_format=openai.omit, input_tools=openai.omit, starting_after=None
    )
    return stream.get_final_response()


ROOT = Path(__file__).resolve().parents[1]


def respdeck(
    *args: str, cwd: Path = ROOT, env: dict[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """The respdeck command run in this process through its console entry point
    (`inspector.cli.main`: the same one-line errors and exit codes), with its own stdin
    (empty), stdout, stderr, working directory and environment (`env` changes it: None
    unsets). A process start costs seconds of imports on these machines; `respdeck_process`
    runs a real one where that is the point."""
    import os

    from click.testing import CliRunner

    from inspector.cli import main

    runner = CliRunner()
    code: int | str | None = 0
    before = Path.cwd()
    with runner.isolation(env=env) as (out, err, _):
        os.chdir(cwd)
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code
        except BaseException:  # what a process would print: a traceback, exit 1
            import traceback

            sys.stderr.write(traceback.format_exc())
            code = 1
        finally:
            os.chdir(before)
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = out.getvalue(), err.getvalue()
    returncode = code if isinstance(code, int) else (0 if code is None else 1)
    return subprocess.CompletedProcess(
        ["respdeck", *args], returncode, stdout.decode("utf-8", "replace"),
        stderr.decode("utf-8", "replace"),
    )  # fmt: skip


def respdeck_process(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The respdeck command in a real subprocess, as a user runs it."""
    from tests.waiting import scaled

    return subprocess.run(
        [sys.executable, "-m", "inspector", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=scaled(120),
    )
