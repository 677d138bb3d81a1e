"""Self-check of a stream: SSE framing, sequence numbers, and every ``.done`` / completed
payload equal to what its deltas accumulate to."""

from __future__ import annotations

import json
import typing

from .common import Json


class CheckError(AssertionError):
    pass


def expect(cond: bool, msg: str) -> None:
    if not cond:
        raise CheckError(msg)


def parse_sse(text: str) -> tuple[list[tuple[str, Json]], str]:
    """Complete events as (event name, data) and the trailing incomplete remainder."""
    blocks = text.split("\n\n")
    tail = blocks.pop()
    events = []
    for block in blocks:
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        expect(name is not None and len(data) == 1, f"bad SSE block {block[:80]!r}")
        assert name is not None
        events.append((name, json.loads(data[0])))
    return events, tail


def check_events(events: list[Json], where: str, *, partial: bool = False) -> None:
    """Re-accumulate a stream and compare every .done / completed payload with the deltas."""
    seq0 = events[0]["sequence_number"]
    for i, ev in enumerate(events):
        expect(ev.get("sequence_number") == seq0 + i, f"{where}: sequence_number gap at {i}")
    added: dict[int, Json] = {}
    done: dict[int, Json] = {}
    text: dict[tuple[int, int], str] = {}
    anns: dict[tuple[int, int], list[Json]] = {}
    args: dict[int, str] = {}
    summ: dict[tuple[int, int], str] = {}
    terminal = None
    for ev in events:
        t, oi = ev["type"], typing.cast(int, ev.get("output_index"))
        if t == "response.output_item.added":
            added[oi] = ev["item"]
        elif t == "response.content_part.added":
            text[oi, ev["content_index"]] = ev["part"]["text"]
            anns[oi, ev["content_index"]] = []
        elif t == "response.output_text.delta":
            text[oi, ev["content_index"]] += ev["delta"]
        elif t == "response.output_text.done":
            expect(ev["text"] == text[oi, ev["content_index"]], f"{where}: text.done mismatch")
        elif t == "response.output_text.annotation.added":
            expect(ev["annotation_index"] == len(anns[oi, ev["content_index"]]), f"{where}: ann")
            a = ev["annotation"]
            expect(
                text[oi, ev["content_index"]][a["start_index"] : a["end_index"]].endswith(")"),
                f"{where}: annotation range",
            )
            anns[oi, ev["content_index"]].append(a)
        elif t == "response.content_part.done":
            p, key = ev["part"], (oi, ev["content_index"])
            expect(p["text"] == text[key] and p["annotations"] == anns[key], f"{where}: part")
        elif t == "response.function_call_arguments.delta":
            args[oi] = args.get(oi, "") + ev["delta"]
        elif t == "response.function_call_arguments.done":
            expect(ev["arguments"] == args[oi], f"{where}: arguments.done mismatch")
        elif t == "response.reasoning_summary_part.added":
            summ[oi, ev["summary_index"]] = ""
        elif t == "response.reasoning_summary_text.delta":
            summ[oi, ev["summary_index"]] += ev["delta"]
        elif t == "response.reasoning_summary_text.done":
            expect(ev["text"] == summ[oi, ev["summary_index"]], f"{where}: summary mismatch")
        elif t == "response.reasoning_summary_part.done":
            expect(ev["part"]["text"] == summ[oi, ev["summary_index"]], f"{where}: summary part")
        elif t == "response.output_item.done":
            item = ev["item"]
            resumed = seq0 > 0 and oi not in added  # item added before starting_after
            expect(resumed or added[oi]["id"] == item["id"], f"{where}: item.done id")
            if item["type"] == "message":
                for ci, part in enumerate(item["content"]):
                    expect(part["text"] == text[oi, ci], f"{where}: message text")
                    expect(part["annotations"] == anns[oi, ci], f"{where}: message annotations")
            elif item["type"] == "function_call":
                expect(item["arguments"] == args[oi], f"{where}: function_call arguments")
            elif item["type"] == "reasoning":
                got = [s["text"] for s in item["summary"]]
                want = [summ[oi, si] for si in range(len(got))]
                expect(
                    got == want
                    and all((oi, si) in summ for si in range(len(got)))
                    and (oi, len(got)) not in summ,
                    f"{where}: reasoning summary",
                )
            done[oi] = item
        elif t in ("response.completed", "response.failed", "error"):
            terminal = t
            if t == "response.completed":
                out = ev["response"]["output"]
                expect(out == [done[i] for i in sorted(done)], f"{where}: completed != items")
                expect(ev["response"]["status"] == "completed", f"{where}: status")
                use = ev["response"]["usage"]
                expect(
                    use["total_tokens"] == use["input_tokens"] + use["output_tokens"],
                    f"{where}: total_tokens",
                )
    if not partial:
        expect(terminal is not None, f"{where}: no terminal event")
