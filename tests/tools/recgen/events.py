"""Server event streams: emit with sequence numbers and times, render SSE, cut into chunks."""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from .common import ALNUM, Json, cj, tokens

Splits = Callable[[bytes, list[tuple[int, int]]], list[int]]


class Events:
    """An ordered list of server events with sequence numbers and emit times (ms)."""

    def __init__(self, rng: random.Random, t0: float, *, obfuscate: bool = True, seq0: int = 0):
        self.rng = rng
        self.t = t0
        self.seq = seq0
        self.obfuscate = obfuscate
        self.events: list[Json] = []
        self.times: list[float] = []

    def wait(self, lo: float = 10, hi: float = 60) -> None:
        self.t = round(self.t + self.rng.uniform(lo, hi), 1)

    def emit(self, type_: str, **fields: Any) -> Json:
        fields["sequence_number"] = self.seq
        self.seq += 1
        ev: Json = {"type": type_} | {k: fields[k] for k in sorted(fields)}
        ev = json.loads(json.dumps(ev))  # detach from the caller's objects
        self.events.append(ev)
        self.times.append(self.t)
        return ev

    def obf(self, delta: str) -> dict[str, str]:
        if not self.obfuscate:
            return {}
        n = 16 - len(delta) if len(delta) < 16 else self.rng.randint(1, 12)
        return {"obfuscation": "".join(self.rng.choice(ALNUM) for _ in range(max(n, 1)))}

    def pace(self, burst: float = 0.3) -> None:
        """Advance time between tokens; sometimes two tokens leave in the same write."""
        if self.rng.random() > burst:
            self.wait()

    # -- building blocks ---------------------------------------------------------------------

    def message(
        self,
        oi: int,
        msg_id: str,
        segments: list[str | tuple[str, Json]],
        *,
        stop_after: int | None = None,
    ) -> Json:
        """Stream an assistant message. Segments are free text (tokenised) or an atomic
        (text, url_citation) pair, emitted as one delta followed by annotation.added."""
        self.emit(
            "response.output_item.added",
            item={
                "id": msg_id,
                "type": "message",
                "status": "in_progress",
                "content": [],
                "role": "assistant",
            },
            output_index=oi,
        )
        self.wait(5, 20)
        part0 = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
        self.emit(
            "response.content_part.added",
            content_index=0,
            item_id=msg_id,
            output_index=oi,
            part=part0,
        )
        text = ""
        annotations: list[Json] = []
        n = 0
        for seg in segments:
            pieces = [seg[0]] if isinstance(seg, tuple) else tokens(seg, self.rng)
            for d in pieces:
                self.pace()
                self.emit(
                    "response.output_text.delta",
                    content_index=0,
                    delta=d,
                    item_id=msg_id,
                    logprobs=[],
                    output_index=oi,
                    **self.obf(d),
                )
                text += d
                n += 1
                if stop_after is not None and n >= stop_after:
                    return {}
            if isinstance(seg, tuple):
                ann = dict(seg[1])
                ann["start_index"], ann["end_index"] = len(text) - len(seg[0]), len(text)
                ann = {k: ann[k] for k in ("type", "end_index", "start_index", "title", "url")}
                self.wait(3, 12)
                self.emit(
                    "response.output_text.annotation.added",
                    annotation=ann,
                    annotation_index=len(annotations),
                    content_index=0,
                    item_id=msg_id,
                    output_index=oi,
                )
                annotations.append(ann)
        self.wait(5, 25)
        self.emit(
            "response.output_text.done",
            content_index=0,
            item_id=msg_id,
            logprobs=[],
            output_index=oi,
            text=text,
        )
        part = {"type": "output_text", "annotations": annotations, "logprobs": [], "text": text}
        self.emit(
            "response.content_part.done",
            content_index=0,
            item_id=msg_id,
            output_index=oi,
            part=part,
        )
        item = {
            "id": msg_id,
            "type": "message",
            "status": "completed",
            "content": [part],
            "role": "assistant",
        }
        self.emit("response.output_item.done", item=item, output_index=oi)
        return item

    def function_call(
        self, oi: int, fc_id: str, call_id: str, name: str, deltas: list[str]
    ) -> Json:
        item = {
            "id": fc_id,
            "type": "function_call",
            "status": "in_progress",
            "arguments": "",
            "call_id": call_id,
            "name": name,
        }
        self.emit("response.output_item.added", item=item, output_index=oi)
        for d in deltas:
            self.pace(0.2)
            self.emit(
                "response.function_call_arguments.delta",
                delta=d,
                item_id=fc_id,
                output_index=oi,
                **self.obf(d),
            )
        args = "".join(deltas)
        self.wait(5, 20)
        self.emit(
            "response.function_call_arguments.done", arguments=args, item_id=fc_id, output_index=oi
        )
        item = item | {"status": "completed", "arguments": args}
        self.emit("response.output_item.done", item=item, output_index=oi)
        return item

    def reasoning(
        self, oi: int, rs_id: str, summaries: list[str], enc_added: str | None, enc_done: str | None
    ) -> Json:
        head: Json = {"id": rs_id, "type": "reasoning"}
        added = head | ({"encrypted_content": enc_added} if enc_added else {}) | {"summary": []}
        self.emit("response.output_item.added", item=added, output_index=oi)
        done_parts = []
        for si, summary in enumerate(summaries):
            self.wait(400, 900) if si else self.wait(600, 1400)  # the model thinks
            self.emit(
                "response.reasoning_summary_part.added",
                item_id=rs_id,
                output_index=oi,
                part={"type": "summary_text", "text": ""},
                summary_index=si,
            )
            for d in tokens(summary, self.rng):
                self.pace()
                self.emit(
                    "response.reasoning_summary_text.delta",
                    delta=d,
                    item_id=rs_id,
                    output_index=oi,
                    summary_index=si,
                    **self.obf(d),
                )
            self.wait(5, 20)
            self.emit(
                "response.reasoning_summary_text.done",
                item_id=rs_id,
                output_index=oi,
                summary_index=si,
                text=summary,
            )
            part = {"type": "summary_text", "text": summary}
            self.emit(
                "response.reasoning_summary_part.done",
                item_id=rs_id,
                output_index=oi,
                part=part,
                summary_index=si,
            )
            done_parts.append(part)
        self.wait(200, 600) if summaries else self.wait(500, 1500)
        done = head | ({"encrypted_content": enc_done} if enc_done else {})
        done |= {"summary": done_parts}
        self.emit("response.output_item.done", item=done, output_index=oi)
        return done

    # -- rendering ---------------------------------------------------------------------------

    def sse(self) -> tuple[bytes, list[tuple[int, int]]]:
        body = bytearray()
        spans = []
        for ev in self.events:
            start = len(body)
            body += f"event: {ev['type']}\ndata: {cj(ev)}\n\n".encode()
            spans.append((start, len(body)))
        return bytes(body), spans


def make_chunks(
    rng: random.Random,
    spans: list[tuple[int, int]],
    times: list[float],
    splits: Iterable[int] = (),
) -> list[list[float | int]]:
    """Network chunks for a stream: events written at the same instant travel together; a
    forced split at byte b ends a chunk mid-event and the rest follows a few ms later (or with
    the next write)."""
    bounds: list[tuple[int, float]] = []
    for (_, end), t in zip(spans, times, strict=True):
        if bounds and bounds[-1][1] == t:
            bounds[-1] = (end, t)
        else:
            bounds.append((end, t))
    for b in sorted(splits):
        for i, (end, t) in enumerate(bounds):
            start = bounds[i - 1][0] if i else 0
            if start < b < end:
                late = round(t + rng.uniform(2.0, 9.0), 1)
                if i + 1 < len(bounds) and bounds[i + 1][1] <= late:
                    bounds[i] = (b, t)
                else:
                    bounds[i : i + 1] = [(b, t), (end, late)]
                break
        else:
            raise AssertionError(f"split {b} is not inside a chunk")
    chunks: list[list[float | int]] = []
    prev = 0
    for end, t in bounds:
        chunks.append([round(t, 1), end - prev])
        prev = end
    return chunks


def json_chunks(rng: random.Random, t: float, size: int) -> list[list[float | int]]:
    """A non-streamed body: one chunk, or 16 KiB TLS-record-sized pieces."""
    out: list[list[float | int]] = []
    while size > 0:
        n = min(size, 16384)
        out.append([round(t, 1), n])
        size -= n
        t += rng.uniform(0.3, 2.5)
    return out or [[round(t, 1), 0]]


def gzip_stream(
    rng: random.Random, body: bytes, spans: list[tuple[int, int]], times: list[float]
) -> tuple[bytes, list[list[float | int]]]:
    """Compress an SSE body the way a streaming server does: one sync flush per write."""
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    raw = bytearray()
    groups: list[tuple[int, float]] = []  # (end offset in raw, time)
    for i, ((s, e), t) in enumerate(zip(spans, times, strict=True)):
        raw += comp.compress(body[s:e])
        last_of_write = i + 1 == len(spans) or times[i + 1] != t
        if last_of_write:
            raw += comp.flush(zlib.Z_SYNC_FLUSH if i + 1 < len(spans) else zlib.Z_FINISH)
            groups.append((len(raw), t))
    # one chunk boundary inside a compressed block: the decoder must cope with partial input
    mid_i = len(groups) // 2
    lo = groups[mid_i - 1][0]
    cut = lo + (groups[mid_i][0] - lo) // 2
    spans2, times2 = [], []
    prev = 0
    for e, t in groups:
        spans2.append((prev, e))
        times2.append(t)
        prev = e
    return bytes(raw), make_chunks(rng, spans2, times2, [cut])


def splits_at(*picks: tuple[int, int | str]) -> Splits:
    """Chunk splits: (event index, byte offset into the event) or (event index, substring) to
    split just after the first byte of that substring's UTF-8 encoding. Negative indexes count
    from the end."""

    def fn(body: bytes, spans: list[tuple[int, int]]) -> list[int]:
        out = []
        for idx, where in picks:
            s, e = spans[idx]
            if isinstance(where, str):
                pos = body.index(where.encode(), s, e) + 1
            else:
                pos = s + where if where >= 0 else e + where
            out.append(pos)
        return out

    return fn
