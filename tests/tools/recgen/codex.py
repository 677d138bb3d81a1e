"""Codex (OpenAI's coding agent) sessions, over HTTP/SSE and over the WebSocket mode."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .common import FEB, Json, cj, epoch, fernet_like
from .events import Events, splits_at
from .har import Har
from .responses import RSpec, usage
from .scenario import completed, open_stream

# Codex (OpenAI's coding agent, a Rust client) as it talks to the API: `store: false`, the
# whole conversation resent as `input` every turn with the ids of its items dropped, reasoning
# kept as encrypted content, `prompt_cache_key` and the `session-id` / `thread-id` headers set
# to the thread's id, never a `previous_response_id` over HTTP. Over the WebSocket mode it
# warms the socket up with `generate: false`, then chains each turn by `previous_response_id`
# and sends only the new items.

CODEX_VERSION = "0.104.0"
CODEX_MODEL = "gpt-5-codex"
CODEX_INSTRUCTIONS = (
    "You are Codex, a coding agent running in the user's terminal. Work in the repository "
    "you are given: read code before you change it, run the tests, keep changes small, and "
    "say what you changed in a few lines."
)
CODEX_SHELL = {
    "type": "function",
    "name": "shell",
    "description": "Runs a shell command and returns its output.",
    "strict": False,
    "parameters": {
        "type": "object",
        "properties": {
            "command": {"type": "array", "items": {"type": "string"}},
            "workdir": {"type": "string"},
            "timeout_ms": {"type": "number"},
        },
        "required": ["command"],
        "additionalProperties": False,
    },
}
CODEX_SHELL_ECHO = {
    k: CODEX_SHELL[k] for k in ("type", "description", "name", "parameters", "strict")
}
CODEX_WORKDIR = "/home/dev/tidy"
CODEX_CONTEXT = [
    {
        "type": "message",
        "role": "developer",
        "content": [
            {
                "type": "input_text",
                "text": "<permissions instructions>\nSandbox: workspace-write. Network access "
                "is restricted. Ask before running commands outside the workspace.\n"
                "</permissions instructions>",
            }
        ],
    },
    {
        "type": "message",
        "role": "user",
        "content": [
            {
                "type": "input_text",
                "text": f"<environment_context>\n  <cwd>{CODEX_WORKDIR}</cwd>\n"
                "  <shell>bash</shell>\n</environment_context>",
            }
        ],
    },
]


def codex_session_id(rng: random.Random, when: datetime) -> str:
    """A UUIDv7, as Codex names its sessions and threads."""
    raw = f"{int(epoch(when) * 1000):012x}7{rng.getrandbits(12):03x}" + (
        f"{0x8 | rng.getrandbits(2):x}{rng.getrandbits(60):015x}"
    )
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def codex_headers(har: Har, session: str, *, websocket: bool = False) -> list[tuple[str, str]]:
    agent = (
        f"codex_cli_rs/{CODEX_VERSION} (Debian 12.0.0; x86_64) xterm-256color "
        f"(codex-exec; {CODEX_VERSION})"
    )
    h = [("authorization", f"Bearer {har.key}"), ("user-agent", agent)]
    h += [("originator", "codex_exec")]
    if websocket:
        h += [("openai-beta", "responses_websockets=2026-02-06")]
    h += [("version", CODEX_VERSION), ("x-client-request-id", session)]
    h += [("session-id", session), ("thread-id", session)]
    if not websocket:
        h = [("accept", "text/event-stream"), ("content-type", "application/json"), *h]
    return h


def codex_body(
    inputs: list[Json], session: str, *, previous: str | None = None, generate: bool | None = None
) -> Json:
    """A Codex request, its keys in Codex's order (over WebSocket: a `response.create`)."""
    body: Json = {"type": "response.create"} if generate is not None or previous else {}
    body |= {"model": CODEX_MODEL, "instructions": CODEX_INSTRUCTIONS}
    if previous:
        body["previous_response_id"] = previous
    body |= {
        "input": inputs,
        "tools": [CODEX_SHELL],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "store": False,
        "stream": True,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": session,
    }
    if generate is not None:
        body["generate"] = generate
    return body


def resent(item: Json) -> Json:
    """An output item as Codex sends it back: no id, no status, text parts reduced to text."""
    if item["type"] == "message":
        content = [{"type": "output_text", "text": p["text"]} for p in item["content"]]
        return {"type": "message", "role": "assistant", "content": content}
    return {k: v for k, v in item.items() if k not in ("id", "status")}


def shell_call(command: str) -> list[str]:
    """The arguments of a `shell` call, cut into deltas the way they stream."""
    args = cj({"command": ["bash", "-lc", command], "workdir": CODEX_WORKDIR, "timeout_ms": 120000})
    return [args[i : i + 40] for i in range(0, len(args), 40)]


def codex_spec(session: str) -> dict[str, Any]:
    """The request fields a Codex response echoes."""
    return {
        "instructions": CODEX_INSTRUCTIONS,
        "effort": "medium",
        "summary": "detailed",
        "store": False,
        "tools": [CODEX_SHELL_ECHO],
        "prompt_cache_key": session,
        "parallel_tool_calls": False,
    }


def user(text: str) -> Json:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


@dataclass
class CodexTurn:
    """What the model does in one turn: think (a summary, maybe none), then call the shell
    or answer."""

    summary: str
    command: str | None = None
    answer: str | None = None
    usage: tuple[int, int, int, int] = (0, 0, 0, 0)  # input, cached, output, reasoning


def codex_turn(har: Har, ev: Events, spec: RSpec, turn: CodexTurn) -> list[Json]:
    """Stream one turn's output items; returns them as the server sent them."""
    created = spec.created_at
    rs_id = har.ids.obj("rs", created + 1)
    enc = fernet_like(har.rng, created + 2, 10)
    output = [ev.reasoning(0, rs_id, [turn.summary] if turn.summary else [], None, enc)]
    if turn.command is not None:
        fc_id, call_id = har.ids.obj("fc", created + 3), har.ids.call()
        output.append(ev.function_call(1, fc_id, call_id, "shell", shell_call(turn.command)))
    else:
        assert turn.answer is not None
        output.append(ev.message(1, har.ids.obj("msg", created + 3), [turn.answer]))
    inp, cached, out, reasoning = turn.usage
    completed(ev, spec, output, usage(FEB, inp, out, cached=cached, reasoning=reasoning), har)
    return output


CODEX_TASK = "tests/test_dates.py fails since yesterday; find out why and fix it."
CODEX_TURNS = [
    CodexTurn(
        "**Running the failing tests**",
        command="python -m pytest -q tests/test_dates.py",
        usage=(2480, 0, 118, 64),
    ),
    CodexTurn(
        "",
        command="apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: tidy/dates.py\n@@\n-    "
        'return datetime.strptime(text, "%d/%m/%Y")\n+    return datetime.strptime(text, '
        '"%Y-%m-%d")\n*** End Patch\nEOF',
        usage=(2718, 2432, 162, 64),
    ),
    CodexTurn(
        "",
        answer="Fixed: `parse_day` now reads ISO dates (`%Y-%m-%d`), as the fixtures do.",
        usage=(2904, 2688, 61, 32),
    ),
]
CODEX_OUTPUTS = [
    "Exit code: 1\nWall time: 0.8 seconds\nOutput:\nFFFF\nE   ValueError: time data "
    "'2025-12-31' does not match format '%d/%m/%Y'\n4 failed in 0.21s",
    "Exit code: 0\nWall time: 0.1 seconds\nOutput:\nSuccess. Updated the following files:\n"
    "M tidy/dates.py",
]


def whole_input_codex() -> Har:
    when = datetime(2026, 2, 9, 16, 42, 7, 318000, UTC)
    har = Har(
        "whole_input_codex",
        when,
        FEB,
        comment="Codex over HTTP/SSE: store=false, the whole input resent every turn (ids "
        "dropped), tool calls, encrypted reasoning, prompt_cache_key and session headers.",
    )
    session = codex_session_id(har.rng, when)
    har.agent = codex_headers(har, session)
    har.ids.shard = har.ids.hex(16)
    history = [*copy.deepcopy(CODEX_CONTEXT), user(CODEX_TASK)]
    for n, turn in enumerate(CODEX_TURNS):
        req = codex_body(copy.deepcopy(history), session)
        ev, spec = open_stream(har, (420, 700), 70, CODEX_MODEL, **codex_spec(session))
        output = codex_turn(har, ev, spec, turn)
        har.sse_exchange("POST", "/responses", req, ev, splits=splits_at((5, 60)))
        history += [resent(item) for item in output]
        if output[-1]["type"] == "function_call":
            call_id = output[-1]["call_id"]
            out = {"type": "function_call_output", "call_id": call_id, "output": CODEX_OUTPUTS[n]}
            history.append(out)
    return har


def websocket_codex() -> Har:
    when = datetime(2026, 2, 10, 8, 15, 42, 640000, UTC)
    har = Har(
        "websocket_codex",
        when,
        FEB,
        comment="Codex over the WebSocket mode: a warm-up response.create with generate=false, "
        "the request, then only the function_call_output with previous_response_id.",
    )
    session = codex_session_id(har.rng, when)
    key, accept = har.ws_key()
    handshake = round(har.rng.uniform(140, 240), 1)
    req_headers = [
        ("Host", "api.openai.com"),
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", key),
        *codex_headers(har, session, websocket=True),
        ("sec-websocket-extensions", "permessage-deflate; client_max_window_bits"),
    ]
    resp_headers = har.upgrade_headers(accept, har.now + timedelta(milliseconds=handshake))
    task = "What does `tidy sort --dry-run` print on an empty folder? Try it."
    turns = [
        (copy.deepcopy(CODEX_CONTEXT), None),
        (
            [user(task)],
            CodexTurn(
                "**Trying the command**",
                command="mkdir -p /tmp/empty && tidy sort --dry-run /tmp/empty",
                usage=(1342, 1152, 104, 64),
            ),
        ),
        (
            None,  # the output of the call just made
            CodexTurn(
                "",
                answer="It prints `nothing to sort in /tmp/empty` and exits with 0.",
                usage=(1466, 1280, 41, 0),
            ),
        ),
    ]
    messages: list[Json] = []
    t = handshake + round(har.rng.uniform(20, 60), 1)
    previous: str | None = None
    output: list[Json] = []
    for inputs, turn in turns:
        if inputs is None:
            out = "Exit code: 0\nWall time: 0.2 seconds\nOutput:\nnothing to sort in /tmp/empty"
            inputs = [
                {"type": "function_call_output", "call_id": output[-1]["call_id"], "output": out}
            ]
        body = codex_body(inputs, session, previous=previous, generate=turn is not None)
        messages.append(har.ws_frame("send", t, body))
        ev, spec = open_stream(
            har,
            (60, 140) if turn is None else (300, 520),
            40,
            CODEX_MODEL,
            after=t,
            obfuscate=False,
            start=turn is not None,
            previous_response_id=previous,
            **codex_spec(session),
        )
        if turn is None:  # the warm-up: the context is read, nothing is generated
            ev.emit("response.created", response=spec.obj("in_progress"))
            ev.wait(30, 90)
            ev.emit(
                "response.completed",
                response=spec.obj(
                    "completed", [], usage(FEB, 1152, 0), int(har.at(ev.t)), tier="default"
                ),
            )
        else:
            output = codex_turn(har, ev, spec, turn)
        messages += har.ws_frames(ev)
        previous = spec.id
        t = ev.t + round(har.rng.uniform(300, 900), 1)
    har.add_websocket(handshake, req_headers, resp_headers, messages)
    return har
