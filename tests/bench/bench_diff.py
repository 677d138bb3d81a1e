"""Benchmark the diff (issue 11) on generated agent traffic (run on demand, not in the suite):

    uv run python tests/bench/bench_diff.py [--rounds 5] [--items 1000] [--exchanges 1000]

Two measurements, each best of `--rounds`:

- `diff_exchanges` of two exchanges of `--items` input items each (a long agent session: user
  and assistant messages, function calls with their outputs, reasoning with encrypted content;
  b has new ids and call ids, and 5 edits scattered: a changed word, an inserted message, a
  removed item, changed call arguments, a changed tool output). Target: < 200 ms.
- `diff_captures` of two captures of `--exchanges` exchanges each (multi-turn agent sessions
  whose requests resend the conversation; some prompts changed, some exchanges only in one
  capture). Target: < 5 s.

The baseline is canonical JSON (`addon.wire.canonical.canonical_json`) of the same requests and
responses, measured in the same run, so the ratio is comparable across machines.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from typing import Any

import orjson

from addon.wire.canonical import canonical_json
from inspector.diff import DiffSide, diff_exchanges
from inspector.diff.captures import diff_captures

EXCHANGE_TARGET_MS = 200.0
CAPTURE_TARGET_MS = 5000.0

INSTRUCTIONS = " ".join(f"rule{n % 211} applies when case{n % 13} holds." for n in range(800))


def _message(role: str, text: str, mid: str) -> dict[str, Any]:
    part = "output_text" if role == "assistant" else "input_text"
    return {"type": "message", "id": mid, "role": role, "content": [{"type": part, "text": text}]}


def session_items(count: int, tag: str, seed: int = 0) -> list[dict[str, Any]]:
    """`count` items of an agent session, in turns of user message, reasoning, function call,
    its output and an assistant message; ids carry `tag` (another run, other ids)."""
    items: list[dict[str, Any]] = []
    turn = 0
    while len(items) < count:
        n = turn + seed
        items += [
            _message(
                "user", f"Step {n}: please look at file src/mod{n}.py and fix it.", f"m{tag}{n}"
            ),
            {
                "type": "reasoning",
                "id": f"rs_{tag}{n}",
                "summary": [],
                "encrypted_content": f"gAAAA{n:06d}" + "x" * 1500,
            },
            {
                "type": "function_call",
                "id": f"fc_{tag}{n}",
                "call_id": f"call_{tag}{n}",
                "name": "shell",
                "arguments": json.dumps({"command": ["cat", f"src/mod{n}.py"], "timeout": 10}),
            },
            {
                "type": "function_call_output",
                "call_id": f"call_{tag}{n}",
                "output": f"def f{n}(x):\n    return x + {n}\n" * 8,
            },
            _message(
                "assistant", f"I read src/mod{n}.py; the bug is on line {n % 17}.", f"a{tag}{n}"
            ),
        ]
        turn += 1
    return items[:count]


def make_side(label: str, request: dict[str, Any], response: dict[str, Any]) -> DiffSide:
    return DiffSide(
        label=label,
        request=request,
        response=response,
        http_status=200,
        usage={"input_tokens": 50_000, "output_tokens": 400, "total_tokens": 50_400},
        timing={"ttft_ms": 800.0, "duration_ms": 4000.0},
        method="POST",
        path="/v1/responses",
        request_body=orjson.dumps(request),
    )


def response_of(tag: str, text: str) -> dict[str, Any]:
    return {
        "id": f"resp_{tag}",
        "object": "response",
        "created_at": 1_700_000_000,
        "status": "completed",
        "output": [
            {
                "type": "reasoning",
                "id": f"rs_o{tag}",
                "summary": [],
                "encrypted_content": "e" * 800,
            },
            _message("assistant", text, f"msg_o{tag}"),
        ],
    }


def long_pair(items: int) -> tuple[DiffSide, DiffSide]:
    """Two requests of one long session, b with new ids and 5 scattered edits."""
    a_items = session_items(items, "a")
    b_items = session_items(items, "b")
    b_items[items // 10]["content"][0]["text"] += " Carefully."  # a word (message)
    b_items.insert(3 * items // 10, _message("user", "Also run the tests.", "mins"))  # inserted
    del b_items[5 * items // 10]  # removed
    call = next(i for i in b_items[7 * items // 10 :] if i["type"] == "function_call")
    call["arguments"] = json.dumps({"command": ["cat", "src/other.py"], "timeout": 10})
    out = next(i for i in b_items[9 * items // 10 :] if i["type"] == "function_call_output")
    out["output"] = "Traceback: FileNotFoundError\n"
    body = {"model": "gpt-5-codex", "instructions": INSTRUCTIONS, "store": False}
    body |= {"tools": [{"type": "function", "name": "shell", "parameters": {"type": "object"}}]}
    a = make_side("a", body | {"input": a_items}, response_of("a", "Fixed the bug in mod."))
    b = make_side("b", body | {"input": b_items}, response_of("b", "Fixed the bugs in mod."))
    return a, b


def capture(exchanges: int, tag: str, *, changed: bool) -> list[DiffSide]:
    """`exchanges` requests of agent sessions of 10 turns (turn k resends 5k items); in the
    changed run, every 7th session has another prompt, and each run has 2% of exchanges the
    other has not."""
    sides = []
    sessions = -(-exchanges // 10)
    for s in range(sessions):
        history = session_items(5 * 10, tag, seed=100 * s)
        prompt = INSTRUCTIONS[:2000]
        if changed and s % 7 == 3:
            prompt = prompt.replace("rule5 ", "rule5b ", 1)
        for k in range(10):
            if len(sides) == exchanges:
                break
            only_here = (s * 10 + k) % 50 == (7 if changed else 21)
            items = history[: 5 * k + 1]
            model = "gpt-5-codex"
            if only_here:  # another model, another question: no partner in the other run
                items = [_message("user", f"unrelated question {tag} {s} {k}", f"u{tag}{s}{k}")]
                model = f"gpt-4.1-{tag}"
            body = {"model": model, "instructions": prompt, "input": items, "stream": True}
            text = f"Turn {k} of session {s} done." + (
                " Differently." if changed and k == 9 else ""
            )
            sides.append(make_side(f"{tag}{s}.{k}", body, response_of(f"{tag}{s}{k}", text)))
    return sides


def best_ms(run: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def serialise(sides: list[DiffSide]) -> None:
    for side in sides:
        canonical_json(side.request)
        canonical_json(side.response)


def report(name: str, ms: float, base_ms: float, target_ms: float) -> None:
    verdict = "ok" if ms < target_ms else "MISSED"
    print(
        f"{name}: {ms:,.1f} ms (target < {target_ms:,.0f} ms: {verdict}); "
        f"baseline canonical JSON {base_ms:,.1f} ms; ratio {ms / base_ms:,.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--exchanges", type=int, default=1000)
    parser.add_argument(
        "--only", choices=("exchange", "capture"), help="run one pass of just this (profiling)"
    )
    args = parser.parse_args()

    a, b = long_pair(args.items)
    if args.only != "capture":
        doc = diff_exchanges(a, b)
        counts: dict[str, int] = {}
        for entry in doc["request"]["input_items"]:
            counts[entry["op"]] = counts.get(entry["op"], 0) + 1
        if args.only:
            return
        ms = best_ms(lambda: diff_exchanges(a, b), args.rounds)
        base = best_ms(lambda: serialise([a, b]), args.rounds)
        print(f"exchanges: {args.items} input items each, input ops {counts}")
        report("diff_exchanges", ms, base, EXCHANGE_TARGET_MS)

    ca = capture(args.exchanges, "a", changed=False)
    cb = capture(args.exchanges, "b", changed=True)
    result = diff_captures(ca, cb)
    if args.only:
        return
    rounds = max(1, args.rounds // 2)
    ms = best_ms(lambda: diff_captures(ca, cb), rounds)
    base = best_ms(lambda: serialise(ca + cb), rounds)
    items = sum(len(s.request["input"]) for s in ca + cb)
    print(
        f"captures: {args.exchanges} exchanges each ({items:,} input items),",
        f"counts {result['counts']}",
    )
    report("diff_captures", ms, base, CAPTURE_TARGET_MS)


if __name__ == "__main__":
    main()
