"""Generate the small, synthetic Responses API recordings shipped in ``recordings/``.

Run from the repository root::

    uv run python tests/tools/make_recordings.py          # (re)write recordings/
    uv run python tests/tools/make_recordings.py --check  # fail if recordings/ is stale

Everything is deterministic: ids, timestamps, timings and chunk boundaries come from seeded
``random.Random`` instances, so running the script twice writes byte-identical files (the one
caveat: the gzip stream depends on the local zlib build).

The content (prompts, answers, ids, keys) is our own; only the *shapes* follow real OpenAI
traffic: field sets and key order of each server era, SSE framing (``event:`` + ``data:`` + blank
line), ``sequence_number`` on every event, obfuscation padding on delta events, id formats, usage
objects with and without ``cache_write_tokens``, response headers, and HAR timings.

HAR files use respdeck's extension for stream timing: ``response.content.text`` holds the exact
raw body (``encoding: "base64"`` when it is not UTF-8 text, e.g. gzip) and
``response.content._chunks`` lists ``[offset_ms, size]`` per network chunk, offsets in ms since the
request started, sizes over the raw body.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import random
import re
import sys
import typing
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "recordings"

API = "https://api.openai.com/v1"
KEY_1 = "sk-test-respdeck-FAKE-key-0001-do-not-use"
KEY_2 = "sk-test-respdeck-FAKE-key-0002-do-not-use"
SERVER_IP = "162.159.140.245"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_FILE = 60 * 1024
MAX_TOTAL = 480 * 1024  # the two Codex sessions, which resend their history, take 96 KiB

# Server "eras": the Response object's key set changed over time. NEW carries moderation,
# tool_usage, reasoning.context and usage.input_tokens_details.cache_write_tokens; the older
# ones lack them (and the SDK's ResponseUsage, which requires cache_write_tokens, rejects them).
NEW, MAY, FEB = "2026-08", "2026-05", "2026-02"
SDK_FOR_ERA = {NEW: "3.3.1", MAY: "2.33.0", FEB: "2.21.0"}

Json = dict[str, Any]


# --------------------------------------------------------------------------------------------
# small helpers


def cj(obj: Any) -> str:
    """Compact JSON, as on SSE data lines and in SDK request bodies."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def pj(obj: Any) -> str:
    """Pretty JSON with 2-space indent, as the API sends non-streamed bodies."""
    return json.dumps(obj, indent=2, ensure_ascii=False)


def epoch(dt: datetime) -> float:
    return dt.timestamp()


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC).replace(microsecond=0), usegmt=True)


ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class Ids:
    """Id factory mimicking the API's id layout.

    ``resp_`` / ``msg_`` / ``fc_`` / ``rs_`` / ``ws_`` / ``cmp_`` ids are 50 hex digits: a
    16-digit shard shared by everything in one thread, ``00``, the 8-digit hex creation time, and
    24 digits of which digits 5-8 are ``81`` plus a per-server pair.
    """

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.shard = self.hex(16)
        self.server = self.hex(2)

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def alnum(self, n: int) -> str:
        return "".join(self.rng.choice(ALNUM) for _ in range(n))

    def obj(self, prefix: str, ts: float, shard: str | None = None) -> str:
        tail = f"{self.hex(4)}81{self.server}{self.hex(16)}"
        return f"{prefix}_{shard or self.shard}00{int(ts):08x}{tail}"

    def conv(self, ts: float) -> str:
        return f"conv_{int(ts):08x}{self.hex(4)}81{self.server}{self.hex(16)}{self.shard}"

    def conv_item(self, ts: float) -> str:
        return f"msg_{int(ts):08x}{self.hex(4)}81{self.server}{self.hex(16)}{self.shard}"

    def call(self) -> str:
        return "call_" + self.alnum(24)

    def req(self) -> str:
        return "req_" + self.hex(32)

    def ray(self) -> str:
        return self.hex(16) + "-CDG"


def fernet_like(rng: random.Random, ts: float, n_blocks: int) -> str:
    """An opaque token shaped like the API's encrypted_content (a Fernet token)."""
    raw = (
        b"\x80"
        + int(ts).to_bytes(8, "big")
        + bytes(rng.getrandbits(8) for _ in range(16 + 16 * n_blocks + 32))
    )
    return base64.urlsafe_b64encode(raw).decode("ascii")


TOKEN_RE = re.compile(
    r" ?[A-Za-z\u00c0-\u024f]+(?:['\u2019][a-z]+)?"  # words (with a trailing 's / 're)
    r"| ?\d{1,3}"  # numbers, up to 3 digits per token
    r"|\n+"
    r"| ?[^\sA-Za-z\d\u00c0-\u024f]"  # one punctuation mark / symbol / emoji
    r"| +"
    r"|.",
    re.S,
)


def tokens(text: str, rng: random.Random) -> list[str]:
    """Split text into BPE-ish deltas: words with their leading space, long words in two."""
    out: list[str] = []
    for tok in TOKEN_RE.findall(text):
        word = tok.strip()
        if len(word) > 7 and word.isalpha() and rng.random() < 0.7:
            cut = len(tok) - len(word) + rng.randint(3, len(word) - 3)
            out += [tok[:cut], tok[cut:]]
        else:
            out.append(tok)
    assert "".join(out) == text
    return out


# --------------------------------------------------------------------------------------------
# Response objects


def usage(
    era: str, inp: int, out: int, cached: int = 0, reasoning: int = 0, write: int = 0
) -> Json:
    details: Json = {"cache_write_tokens": write, "cached_tokens": cached}
    if era != NEW:
        details = {"cached_tokens": cached}
    return {
        "input_tokens": inp,
        "input_tokens_details": details,
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": inp + out,
    }


TOOL_USAGE_ZERO = {
    "input_tokens": 0,
    "input_tokens_details": {"image_tokens": 0, "text_tokens": 0},
    "output_tokens": 0,
    "output_tokens_details": {"image_tokens": 0, "text_tokens": 0},
    "total_tokens": 0,
}


@dataclass
class RSpec:
    """The request-derived part of a Response object, echoed in every snapshot."""

    era: str
    id: str
    created_at: int
    model: str
    background: bool = False
    conversation: str | None = None
    instructions: str | None = None
    max_output_tokens: int | None = None
    previous_response_id: str | None = None
    effort: str | None = None
    summary: str | None = None
    store: bool = True
    temperature: float = 1.0
    top_p: float = 1.0
    tools: list[Json] = field(default_factory=list)
    tool_choice: Any = "auto"
    metadata: Json = field(default_factory=dict)
    web_searches: int = 0
    prompt_cache_key: str | None = None
    parallel_tool_calls: bool = True

    def obj(
        self,
        status: str,
        output: Iterable[Json] = (),
        use: Json | None = None,
        completed_at: int | None = None,
        tier: str = "auto",
        billing: bool = False,
        error: Json | None = None,
    ) -> Json:
        new = self.era == NEW
        r: Json = {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "background": self.background,
        }
        if billing:
            r["billing"] = {"payer": "developer"}
        r["completed_at"] = completed_at
        if self.conversation:
            r["conversation"] = {"id": self.conversation}
        r |= {
            "error": error,
            "frequency_penalty": 0.0,
            "incomplete_details": None,
            "instructions": self.instructions,
            "max_output_tokens": self.max_output_tokens,
            "max_tool_calls": None,
            "model": self.model,
        }
        if self.era in (NEW, MAY):
            r["moderation"] = None
        r |= {
            "output": copy.deepcopy(list(output)),
            "parallel_tool_calls": self.parallel_tool_calls,
            "presence_penalty": 0.0,
            "previous_response_id": self.previous_response_id,
            "prompt_cache_key": self.prompt_cache_key,
            "prompt_cache_retention": "in_memory" if self.era in (NEW, MAY) else None,
        }
        reasoning: Json = {"effort": self.effort, "summary": self.summary}
        if new:
            reasoning = {"context": None} | reasoning
        r |= {
            "reasoning": reasoning,
            "safety_identifier": None,
            "service_tier": tier,
            "store": self.store,
            "temperature": self.temperature,
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": self.tool_choice,
        }
        if new:
            r["tool_usage"] = {
                "image_gen": dict(TOOL_USAGE_ZERO),
                "web_search": {"num_requests": self.web_searches if status == "completed" else 0},
            }
        r |= {
            "tools": copy.deepcopy(self.tools),
            "top_logprobs": 0,
            "top_p": self.top_p,
            "truncation": "disabled",
            "usage": use,
            "user": None,
            "metadata": self.metadata,
        }
        return r


# The key order background-mode streams are replayed with (events after response.queued come
# out of a different store and are serialised in this scrambled order, without obfuscation).
def words(s: str) -> list[str]:
    return s.split()


SCRAMBLED_RESPONSE = words("""
    truncation tool_choice id usage status top_p temperature top_logprobs object created_at
    prompt_cache_key text incomplete_details frequency_penalty previous_response_id model
    safety_identifier metadata store output parallel_tool_calls error instructions
    max_output_tokens service_tier max_tool_calls prompt_cache_retention tools user background
    presence_penalty reasoning completed_at
""")
SCRAMBLED_EVENT = {
    "response.in_progress": words("type sequence_number response"),
    "response.completed": words("type sequence_number response"),
    "response.content_part.added": (
        words("type item_id part content_index output_index sequence_number")
    ),
    "response.output_text.delta": (
        words("type delta logprobs item_id content_index output_index sequence_number")
    ),
    "response.output_text.done": (
        words("type text logprobs item_id content_index output_index sequence_number")
    ),
    "response.content_part.done": (
        words("type item_id content_index part output_index sequence_number")
    ),
    "response.output_item.done": words("type item output_index sequence_number"),
}
SCRAMBLED_PART = words("annotations text logprobs type")
SCRAMBLED_MESSAGE = words("id content role status type")
SCRAMBLED_USAGE = words(
    "input_tokens input_tokens_details output_tokens_details output_tokens total_tokens"
)


def reorder(d: Json, keys: list[str]) -> Json:
    assert set(d) <= set(keys), set(d) - set(keys)
    return {k: d[k] for k in keys if k in d}


def scramble(ev: Json) -> Json:
    ev = reorder(ev, SCRAMBLED_EVENT[ev["type"]])
    if "response" in ev:
        r = reorder(ev["response"], SCRAMBLED_RESPONSE)
        r["text"] = {"verbosity": r["text"]["verbosity"], "format": r["text"]["format"]}
        if r["usage"]:
            r["usage"] = reorder(r["usage"], SCRAMBLED_USAGE)
        r["output"] = [reorder(o, SCRAMBLED_MESSAGE) for o in r["output"]]
        for o in r["output"]:
            o["content"] = [reorder(p, SCRAMBLED_PART) for p in o["content"]]
        ev["response"] = r
    if "part" in ev:
        ev["part"] = reorder(ev["part"], SCRAMBLED_PART)
    if "item" in ev:
        ev["item"] = reorder(ev["item"], SCRAMBLED_MESSAGE)
        ev["item"]["content"] = [reorder(p, SCRAMBLED_PART) for p in ev["item"]["content"]]
    return ev


# --------------------------------------------------------------------------------------------
# event streams


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
        ev = {"type": type_} | {k: fields[k] for k in sorted(fields)}
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

    def function_call(self, oi: int, fc_id: str, call_id: str, name: str, deltas: list[str]):
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


# --------------------------------------------------------------------------------------------
# HAR building


def sdk_headers(
    era: str, key: str, *, os_: str = "MacOS", arch: str = "arm64", pyver: str = "3.12.7"
) -> list[tuple[str, str]]:
    v = SDK_FOR_ERA[era]
    return [
        ("user-agent", f"OpenAI/Python {v}"),
        ("x-stainless-lang", "python"),
        ("x-stainless-package-version", v),
        ("x-stainless-os", os_),
        ("x-stainless-arch", arch),
        ("x-stainless-runtime", "CPython"),
        ("x-stainless-runtime-version", pyver),
        ("authorization", f"Bearer {key}"),
        ("x-stainless-async", "false"),
    ]


class Har:
    """One HAR file: a client session against api.openai.com on one keep-alive connection."""

    def __init__(
        self,
        name: str,
        start: datetime,
        era: str,
        *,
        key: str = KEY_1,
        comment: str = "",
        agent: list[tuple[str, str]] | None = None,
        **client: str,
    ):
        self.name = name
        self.agent = agent  # a client's own headers, in place of the Python SDK's
        self.rng = random.Random(f"respdeck-recordings:{name}")
        self.ids = Ids(self.rng)
        self.era = era
        self.key = key
        self.client = client
        self.comment = comment
        self.now = start
        self.entries: list[Json] = []
        self.fresh = True
        self.cookie: str | None = None
        self.port = str(self.rng.randint(49152, 65000))
        self.project = "proj_" + self.ids.alnum(24)

    # -- clock -------------------------------------------------------------------------------

    def at(self, offset_ms: float) -> float:
        """Epoch seconds of an offset within the current request."""
        return epoch(self.now) + offset_ms / 1000

    # -- headers -----------------------------------------------------------------------------

    def request_headers(
        self,
        method: str,
        body: bytes | None,
        *,
        accept: str = "application/json",
        retry: int = 0,
        encoding: str = "gzip, deflate",
    ) -> list[tuple[str, str]]:
        if self.agent is not None:
            length = [("content-length", str(len(body)))] if body is not None else []
            return [("host", "api.openai.com"), *self.agent, *length]
        h = [
            ("host", "api.openai.com"),
            ("accept-encoding", encoding),
            ("connection", "keep-alive"),
            ("accept", accept),
        ]
        if body is not None:
            h.append(("content-type", "application/json"))
        h += sdk_headers(self.era, self.key, **self.client)
        h += [("x-stainless-retry-count", str(retry)), ("x-stainless-read-timeout", "600")]
        if self.cookie:
            h.append(("cookie", self.cookie))
        if body is not None:
            h.append(("content-length", str(len(body))))
        return h

    def response_headers(
        self,
        content_type: str,
        processing_ms: int,
        date: datetime,
        *,
        length: int | None,
        ratelimit: bool = False,
        extra: Iterable[tuple[str, str]] = (),
    ) -> list[tuple[str, str]]:
        h = [("Date", http_date(date)), ("Content-Type", content_type)]
        h.append(
            ("Content-Length", str(length))
            if length is not None
            else ("Transfer-Encoding", "chunked")
        )
        h += [("Connection", "keep-alive"), *extra]
        h += [
            ("access-control-expose-headers", "X-Request-ID"),
            ("openai-organization", "respdeck-demo-x7k2qa"),
            ("openai-processing-ms", str(processing_ms)),
            ("openai-project", self.project),
            ("openai-version", "2020-10-01"),
        ]
        if ratelimit:
            used = self.rng.randint(1200, 9000)
            h += [
                ("x-ratelimit-limit-requests", "10000"),
                ("x-ratelimit-limit-tokens", "10000000"),
                ("x-ratelimit-remaining-requests", "9999"),
                ("x-ratelimit-remaining-tokens", str(10000000 - used)),
                ("x-ratelimit-reset-requests", "6ms"),
                ("x-ratelimit-reset-tokens", "0s"),
            ]
        h += [
            ("x-request-id", self.ids.req()),
            ("x-envoy-upstream-service-time", str(processing_ms + self.rng.randint(2, 9))),
            ("CF-Cache-Status", "DYNAMIC"),
        ]
        if self.fresh:
            ts = int(epoch(date))
            bm = f"{self.ids.alnum(43)}-{ts}-1.0.1.1-{self.ids.alnum(86)}"
            uv = f"{self.ids.alnum(43)}-{ts}{self.rng.randint(100, 999)}-0.0.1.1-604800000"
            exp = (
                (date + timedelta(minutes=30)).astimezone(UTC).strftime("%a, %d-%b-%y %H:%M:%S GMT")
            )
            h += [
                (
                    "Set-Cookie",
                    f"__cf_bm={bm}; path=/; expires={exp}; domain=.api.openai.com;"
                    " HttpOnly; Secure; SameSite=None",
                ),
                (
                    "Set-Cookie",
                    f"_cfuvid={uv}; path=/; domain=.api.openai.com; HttpOnly;"
                    " Secure; SameSite=None",
                ),
            ]
            self.cookie = f"__cf_bm={bm}; _cfuvid={uv}"
        h += [
            ("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"),
            ("X-Content-Type-Options", "nosniff"),
            ("Server", "cloudflare"),
            ("CF-RAY", self.ids.ray()),
            ("alt-svc", 'h3=":443"; ma=86400'),
        ]
        return h

    # -- entries -----------------------------------------------------------------------------

    def timings(self, first: float, last: float) -> Json:
        rng = self.rng
        blocked = round(rng.uniform(0.3, 1.6), 3)
        if self.fresh:
            dns = round(rng.uniform(2, 14), 3)
            connect = round(rng.uniform(28, 62), 3)
            ssl = round(connect * rng.uniform(0.45, 0.7), 3)
        else:
            dns = connect = ssl = -1
        send = round(rng.uniform(0.1, 0.9), 3)
        wait = round(first - blocked - max(dns, 0) - max(connect, 0) - send, 3)
        assert wait > 0
        return {
            "blocked": blocked,
            "dns": dns,
            "connect": connect,
            "send": send,
            "wait": wait,
            "receive": round(last - first, 3),
            "ssl": ssl,
        }

    def add(
        self,
        method: str,
        url: str,
        req_body: bytes | None,
        status: int,
        status_text: str,
        resp_headers: list[tuple[str, str]],
        body: bytes,
        chunks: list[list[float | int]],
        *,
        req_headers: list[tuple[str, str]] | None = None,
        mime: str = "application/json",
        decoded_size: int | None = None,
        gap: tuple[float, float] = (250, 1400),
    ) -> Json:
        assert sum(int(c[1]) for c in chunks) == len(body)
        req_headers = req_headers or self.request_headers(method, req_body)
        first, last = float(chunks[0][0]), float(chunks[-1][0])
        query = url.partition("?")[2]
        content: Json = {"size": decoded_size if decoded_size is not None else len(body)}
        if decoded_size is not None:
            content["compression"] = decoded_size - len(body)
        content["mimeType"] = mime
        try:
            content["text"] = body.decode("utf-8")
        except UnicodeDecodeError:
            content["text"] = base64.b64encode(body).decode("ascii")
            content["encoding"] = "base64"
        content["_chunks"] = chunks
        request: Json = {
            "method": method,
            "url": url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in req_headers],
            "queryString": [
                {"name": k, "value": v}
                for k, _, v in (p.partition("=") for p in query.split("&") if p)
            ],
            "headersSize": -1,
            "bodySize": len(req_body) if req_body is not None else 0,
        }
        if req_body is not None:
            request["postData"] = {"mimeType": "application/json", "text": req_body.decode()}
        entry = {
            "startedDateTime": iso(self.now),
            "time": round(last, 3),
            "request": request,
            "response": {
                "status": status,
                "statusText": status_text,
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": [{"name": k, "value": v} for k, v in resp_headers],
                "content": content,
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": len(body),
            },
            "cache": {},
            "timings": self.timings(first, last),
            "serverIPAddress": SERVER_IP,
            "connection": self.port,
        }
        self.entries.append(entry)
        self.now += timedelta(milliseconds=last + self.rng.uniform(*gap))
        self.fresh = False
        return entry

    # -- high level exchanges ----------------------------------------------------------------

    def json_exchange(
        self,
        method: str,
        path: str,
        req: Json | None,
        resp: Json,
        *,
        wait_ms: float,
        status: int = 200,
        status_text: str = "OK",
        ratelimit: bool = False,
        accept: str = "application/json",
        extra_headers: Iterable[tuple[str, str]] = (),
    ) -> Json:
        req_body = cj(req).encode() if req is not None else None
        req_headers = self.request_headers(method, req_body, accept=accept)
        body = pj(resp).encode()
        headers = self.response_headers(
            "application/json",
            int(wait_ms - self.rng.uniform(25, 70)),
            self.now + timedelta(milliseconds=wait_ms),
            length=len(body),
            ratelimit=ratelimit,
            extra=extra_headers,
        )
        return self.add(
            method,
            API + path,
            req_body,
            status,
            status_text,
            headers,
            body,
            json_chunks(self.rng, wait_ms, len(body)),
            req_headers=req_headers,
        )

    def sse_exchange(
        self,
        method: str,
        path: str,
        req: Json | None,
        ev: Events,
        *,
        splits: Callable[[bytes, list[tuple[int, int]]], list[int]] | None = None,
        cut: Callable[[bytes, list[tuple[int, int]]], int] | None = None,
        gzip: bool = False,
        ratelimit: bool = False,
    ) -> Json:
        req_body = cj(req).encode() if req is not None else None
        req_headers = self.request_headers(method, req_body)
        body, spans = ev.sse()
        ttfb = ev.times[0]
        extra: list[tuple[str, str]] = []
        decoded = None
        if gzip:
            raw, chunks = gzip_stream(self.rng, body, spans, ev.times)
            decoded, body = len(body), raw
            extra = [("Content-Encoding", "gzip")]
        else:
            chunks = make_chunks(self.rng, spans, ev.times, splits(body, spans) if splits else ())
        if cut is not None:
            end = cut(body, spans)
            body = body[:end]
            kept, pos = [], 0
            for t, n in chunks:
                if pos >= end:
                    break
                kept.append([t, min(int(n), end - pos)])
                pos += int(n)
            chunks = kept
        headers = self.response_headers(
            "text/event-stream; charset=utf-8",
            int(ttfb - self.rng.uniform(60, 160)),
            self.now + timedelta(milliseconds=ttfb),
            length=None,
            ratelimit=ratelimit,
            extra=extra,
        )
        entry = self.add(
            method,
            API + path,
            req_body,
            200,
            "OK",
            headers,
            body,
            chunks,
            req_headers=req_headers,
            mime="text/event-stream; charset=utf-8",
            decoded_size=decoded,
        )
        if cut is not None:  # the connection dropped: replay must drop it too
            entry["response"]["content"]["_truncated"] = True
        return entry

    def document(self) -> Json:
        log: Json = {
            "version": "1.2",
            "creator": {"name": "respdeck make_recordings.py", "version": "0.1.0"},
            "pages": [],
            "entries": self.entries,
        }
        if self.comment:
            log["comment"] = self.comment
        return {"log": log}


# --------------------------------------------------------------------------------------------
# shared scenario pieces

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name, e.g. Paris"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city", "unit"],
        "additionalProperties": False,
    },
    "strict": True,
}
# the API echoes a function tool with its keys in this order
WEATHER_TOOL_ECHO = {
    k: WEATHER_TOOL[k] for k in ("type", "description", "name", "parameters", "strict")
}


def splits_at(*picks: tuple[int, int | str]) -> Callable[[bytes, list[tuple[int, int]]], list[int]]:
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


def lifecycle_start(ev: Events, spec: RSpec, *, queued: bool = False) -> None:
    status = "queued" if queued else "in_progress"
    ev.emit("response.created", response=spec.obj(status))
    if queued:
        ev.emit("response.queued", response=spec.obj("queued"))
    ev.emit("response.in_progress", response=spec.obj("in_progress"))
    ev.wait(40, 160)


def completed(ev: Events, spec: RSpec, output: list[Json], use: Json, har: Har) -> Json:
    ev.wait(8, 40)
    return ev.emit(
        "response.completed",
        response=spec.obj("completed", output, use, int(har.at(ev.t)), tier="default"),
    )


def n_tokens(text: str) -> int:
    return len(tokens(text, random.Random(0)))


# --------------------------------------------------------------------------------------------
# scenarios


def stream_text() -> Har:
    har = Har(
        "stream_text",
        datetime(2026, 9, 14, 9, 12, 3, 412000, UTC),
        NEW,
        comment="Streamed text answer with non-ASCII text; usage with cached tokens.",
    )
    prev = har.ids.obj("resp", epoch(har.now) - 95)
    req = {
        "input": "Any cosy cafés near the Marais for a rainy afternoon? Keep it short.",
        "model": "gpt-4.1-mini",
        "previous_response_id": prev,
        "stream": True,
    }
    ev = Events(har.rng, round(har.rng.uniform(380, 520), 1))
    created = int(har.at(ev.t - 60))
    spec = RSpec(
        NEW,
        har.ids.obj("resp", created),
        created,
        "gpt-4.1-mini-2025-04-14",
        previous_response_id=prev,
    )
    lifecycle_start(ev, spec)
    text = (
        "Here are three cosy spots in the Marais for a rainy afternoon \u2615:\n\n"
        "1. **Café des Archives** \u2013 big windows, deep armchairs and a proper café crème.\n"
        "2. **La Petite Théière** \u2013 mismatched teacups and a towering lemon tart.\n"
        "3. **Brûlerie Saint-Paul** \u2013 roasts its own beans; grab a croissant "
        "\U0001f950 too.\n\n"
        "Bonne après-midi !"
    )
    msg = ev.message(0, har.ids.obj("msg", created + 1), [text])
    out = n_tokens(text)
    completed(ev, spec, [msg], usage(NEW, 1318, out, cached=1152), har)
    # split inside the 3-byte U+2615, inside a delta's data line, and inside response.completed
    i_cup = next(i for i, e in enumerate(ev.events) if "\u2615" in e.get("delta", ""))
    har.sse_exchange(
        "POST", "/responses", req, ev, splits=splits_at((i_cup, "\u2615"), (9, 57), (-1, 911))
    )
    return har


def function_call_roundtrip() -> Har:
    har = Har(
        "function_call_roundtrip",
        datetime(2026, 9, 14, 10, 2, 41, 77000, UTC),
        NEW,
        comment="Streamed function call, then the tool output sent back (non-streamed).",
    )
    req = {
        "input": [{"role": "user", "content": "What's the weather like in Paris right now?"}],
        "model": "gpt-4.1-mini",
        "stream": True,
        "tools": [WEATHER_TOOL],
    }
    ev = Events(har.rng, round(har.rng.uniform(420, 640), 1))
    created = int(har.at(ev.t - 80))
    spec = RSpec(
        NEW,
        har.ids.obj("resp", created),
        created,
        "gpt-4.1-mini-2025-04-14",
        tools=[WEATHER_TOOL_ECHO],
    )
    lifecycle_start(ev, spec)
    call_id = har.ids.call()
    deltas = ['{"', "city", '":"', "Paris", '","', "unit", '":"', "c", "elsius", '"}']
    fc = ev.function_call(0, har.ids.obj("fc", created + 1), call_id, "get_weather", deltas)
    completed(ev, spec, [fc], usage(NEW, 86, 19), har)
    har.sse_exchange("POST", "/responses", req, ev, splits=splits_at((4, 40)))

    # (b) the tool result goes back, non-streamed
    output = cj({"temperature": 18, "unit": "celsius", "condition": "light rain", "humidity": 82})
    req2 = {
        "input": [{"type": "function_call_output", "call_id": call_id, "output": output}],
        "model": "gpt-4.1-mini",
        "previous_response_id": spec.id,
        "tools": [WEATHER_TOOL],
    }
    wait = round(har.rng.uniform(900, 1400), 1)
    created2 = int(har.at(wait - 700))
    spec2 = RSpec(
        NEW,
        har.ids.obj("resp", created2),
        created2,
        "gpt-4.1-mini-2025-04-14",
        previous_response_id=spec.id,
        tools=[WEATHER_TOOL_ECHO],
    )
    answer = (
        "It's 18 °C in Paris right now with light rain and 82% humidity \u2014 "
        "take an umbrella if you're heading out."
    )
    msg = {
        "id": har.ids.obj("msg", created2 + 1),
        "type": "message",
        "status": "completed",
        "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": answer}],
        "role": "assistant",
    }
    resp = spec2.obj(
        "completed",
        [msg],
        usage(NEW, 139, n_tokens(answer)),
        created2 + 1,
        tier="default",
        billing=True,
    )
    har.json_exchange("POST", "/responses", req2, resp, wait_ms=wait, ratelimit=True)
    return har


def reasoning() -> Har:
    har = Har(
        "reasoning",
        datetime(2026, 9, 15, 14, 30, 9, 950000, UTC),
        NEW,
        comment="Reasoning model: summary events, encrypted_content, store=false.",
    )
    question = (
        "A train leaves Lyon at 14:05 and arrives in Paris at 16:02. How long is the journey?"
    )
    req = {
        "include": ["reasoning.encrypted_content"],
        "input": [{"role": "user", "content": question}],
        "model": "gpt-5",
        "reasoning": {"effort": "medium", "summary": "auto"},
        "store": False,
        "stream": True,
    }
    ev = Events(har.rng, round(har.rng.uniform(560, 780), 1))
    created = int(har.at(ev.t - 90))
    # the server reports the summary mode it resolved "auto" to
    spec = RSpec(
        NEW,
        har.ids.obj("resp", created),
        created,
        "gpt-5-2025-08-07",
        effort="medium",
        summary="detailed",
        store=False,
    )
    lifecycle_start(ev, spec)
    summaries = [
        "**Working out the duration**\n\nFrom 14:05 to 16:05 is two hours; arriving at 16:02 is "
        "three minutes earlier, so 1 hour 57 minutes.",
        "**Double-checking**\n\nCounting forward: 14:05 to 16:00 is 1 hour 55 minutes, plus "
        "two minutes gives 1 hour 57 minutes.",
    ]
    rs_id = har.ids.obj("rs", created + 1)
    enc_added = fernet_like(har.rng, created + 1, 38)
    enc_done = fernet_like(har.rng, created + 6, 62)
    rs = ev.reasoning(0, rs_id, summaries, enc_added, enc_done)
    answer = "The journey takes **1 hour 57 minutes** (117 minutes)."
    msg = ev.message(1, har.ids.obj("msg", created + 6), [answer])
    completed(ev, spec, [rs, msg], usage(NEW, 37, 469 + n_tokens(answer), reasoning=448), har)
    har.sse_exchange("POST", "/responses", req, ev, splits=splits_at((-2, 120), (30, 77)))
    return har


def web_search() -> Har:
    har = Har(
        "web_search",
        datetime(2026, 5, 22, 17, 41, 12, 231000, UTC),
        MAY,
        comment="Hosted web search (older server: usage without cache_write_tokens).",
        os_="Linux",
        arch="x64",
        pyver="3.12.3",
    )
    req = {
        "include": ["web_search_call.action.sources"],
        "input": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "input_text",
                        "text": "What's the weather forecast for Paris this weekend?",
                    }
                ],
            }
        ],
        "model": "gpt-4.1",
        "stream": True,
        "tools": [{"type": "web_search"}],
    }
    ev = Events(har.rng, round(har.rng.uniform(330, 460), 1))
    created = int(har.at(ev.t - 70))
    tool_echo = {
        "type": "web_search",
        "return_token_budget": "default",
        "search_context_size": "medium",
        "user_location": {
            "type": "approximate",
            "city": None,
            "country": "US",
            "region": None,
            "timezone": None,
        },
    }
    spec = RSpec(
        MAY,
        har.ids.obj("resp", created),
        created,
        "gpt-4.1-2025-04-14",
        tools=[tool_echo],
        web_searches=1,
    )
    lifecycle_start(ev, spec)
    ws_id = har.ids.obj("ws", created + 1)
    ev.emit(
        "response.output_item.added",
        item={
            "id": ws_id,
            "type": "web_search_call",
            "status": "in_progress",
            "action": {"type": "search"},
        },
        output_index=0,
    )
    ev.emit("response.web_search_call.in_progress", item_id=ws_id, output_index=0)
    ev.wait(20, 60)
    ev.emit("response.web_search_call.searching", item_id=ws_id, output_index=0)
    ev.wait(1100, 1900)  # the search itself
    ev.emit("response.web_search_call.completed", item_id=ws_id, output_index=0)
    query = "Paris weather forecast this weekend"
    mf = "https://meteofrance.com/previsions-meteo-france/paris/75000?utm_source=openai"
    td = "https://www.timeanddate.com/weather/france/paris/ext?utm_source=openai"
    sources = [
        {"type": "url", "url": mf},
        {"type": "url", "url": td},
        {
            "type": "url",
            "url": "https://www.accuweather.com/en/fr/paris/623/weekend-weather/623?utm_source=openai",
        },
        {"type": "url", "url": "https://www.bbc.com/weather/2988507?utm_source=openai"},
    ]
    # (live traffic sometimes adds {"type": "api", "name": "oai-weather"}, which the SDK's
    # ActionSearch model rejects; left out so every payload here validates)
    ws_item = {
        "id": ws_id,
        "type": "web_search_call",
        "status": "completed",
        "action": {"type": "search", "queries": [query], "query": query, "sources": sources},
    }
    ev.wait(5, 15)
    ev.emit("response.output_item.done", item=ws_item, output_index=0)
    ev.wait(200, 500)
    cite1 = (
        "([meteofrance.com](" + mf + "))",
        {"type": "url_citation", "title": "Prévisions météo Paris - Météo-France", "url": mf},
    )
    cite2 = (
        "([timeanddate.com](" + td + "))",
        {"type": "url_citation", "title": "Paris, France 14 day weather forecast", "url": td},
    )
    segments: list[str | tuple[str, Json]] = [
        "This weekend in Paris looks mild but unsettled. Saturday should be mostly cloudy with "
        "a high around 17 °C and a chance of showers in the afternoon, while Sunday brightens "
        "up with sunny spells and highs near 19 °C ",
        cite1,
        ".\n\nWinds stay light all weekend, so it's a good time for a walk along the Seine "
        "\u2014 just pack a light rain jacket for Saturday ",
        cite2,
        ".",
    ]
    msg = ev.message(1, har.ids.obj("msg", created + 3), segments)
    out = n_tokens(msg["content"][0]["text"])
    completed(ev, spec, [ws_item, msg], usage(MAY, 8431, out, cached=0), har)
    har.sse_exchange(
        "POST", "/responses", req, ev, splits=splits_at((-1, 1500), (8, 33)), ratelimit=True
    )
    return har


def stream_error() -> Har:
    har = Har(
        "stream_error",
        datetime(2026, 9, 16, 8, 3, 54, 640000, UTC),
        NEW,
        comment="In-stream errors (nested and flat forms) and an HTTP 429.",
    )
    # (a) nested error object, then response.failed
    req = {
        "input": "Summarise the plot of Les Misérables in two sentences.",
        "model": "gpt-5-mini",
        "stream": True,
    }
    ev = Events(har.rng, round(har.rng.uniform(400, 600), 1))
    created = int(har.at(ev.t - 70))
    spec = RSpec(
        NEW, har.ids.obj("resp", created), created, "gpt-5-mini-2025-08-07", effort="medium"
    )
    lifecycle_start(ev, spec)
    ev.wait(800, 1600)
    req_id = har.ids.req()
    message = (
        "The server had an error processing your request. Sorry about that! You can "
        "retry your request, or contact us through our help center at help.openai.com "
        f"if you keep seeing this error. (Please include the request ID {req_id} in "
        "your email.)"
    )
    ev.emit(
        "error",
        error={"type": "server_error", "code": "server_error", "message": message, "param": None},
    )
    ev.wait(1, 5)
    ev.emit(
        "response.failed",
        response=spec.obj("failed", error={"code": "server_error", "message": message}),
    )
    har.sse_exchange("POST", "/responses", req, ev)

    # (b) flat (documented) error shape; the stream just ends after it
    req = {
        "input": "Translate 'good morning' into Japanese.",
        "model": "gpt-4.1-mini",
        "stream": True,
    }
    ev = Events(har.rng, round(har.rng.uniform(350, 500), 1))
    created = int(har.at(ev.t - 60))
    spec = RSpec(NEW, har.ids.obj("resp", created), created, "gpt-4.1-mini-2025-04-14")
    lifecycle_start(ev, spec)
    ev.emit(
        "response.output_item.added",
        item={
            "id": har.ids.obj("msg", created),
            "type": "message",
            "status": "in_progress",
            "content": [],
            "role": "assistant",
        },
        output_index=0,
    )
    ev.wait(30, 90)
    ev.emit(
        "error",
        code="rate_limit_exceeded",
        message="Rate limit reached for gpt-4.1-mini in organization "
        "org-FAKEr3spd3ckD3m00rg000 on tokens per min (TPM): Limit 200000, Used "
        "199476, Requested 1042. Please try again in 155ms. Visit "
        "https://platform.openai.com/account/rate-limits to learn more.",
        param=None,
    )
    har.sse_exchange("POST", "/responses", req, ev)

    # (c) the retry is refused before any stream starts: plain HTTP 429 JSON
    body = {
        "error": {
            "message": "Rate limit reached for gpt-4.1-mini in organization "
            "org-FAKEr3spd3ckD3m00rg000 on requests per min (RPM): Limit 500, Used 500, "
            "Requested 1. Please try again in 120ms. Visit "
            "https://platform.openai.com/account/rate-limits to learn more.",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
    limits = [
        ("x-ratelimit-limit-requests", "500"),
        ("x-ratelimit-limit-tokens", "200000"),
        ("x-ratelimit-remaining-requests", "0"),
        ("x-ratelimit-remaining-tokens", "198434"),
        ("x-ratelimit-reset-requests", "120ms"),
        ("x-ratelimit-reset-tokens", "469ms"),
    ]
    har.now -= timedelta(milliseconds=har.rng.uniform(0, 200))  # the SDK retried quickly
    req_body = cj(req).encode()
    req_headers = har.request_headers("POST", req_body, retry=1)
    resp_body = pj(body).encode()
    wait = round(har.rng.uniform(40, 90), 1)
    headers = har.response_headers(
        "application/json; charset=utf-8",
        int(wait - 20),
        har.now + timedelta(milliseconds=wait),
        length=len(resp_body),
        extra=limits,
    )
    har.add(
        "POST",
        API + "/responses",
        req_body,
        429,
        "Too Many Requests",
        headers,
        resp_body,
        [[wait, len(resp_body)]],
        req_headers=req_headers,
    )
    return har


def stream_cut() -> Har:
    har = Har(
        "stream_cut",
        datetime(2026, 2, 11, 21, 17, 30, 5000, UTC),
        FEB,
        comment="A stream cut off mid-event (no terminal event).",
        os_="Linux",
        arch="x64",
        pyver="3.12.8",
    )
    req = {
        "input": "Write a short poem about autumn leaves in Kyoto.",
        "model": "gpt-4.1-mini",
        "stream": True,
    }
    ev = Events(har.rng, round(har.rng.uniform(300, 420), 1))
    created = int(har.at(ev.t - 50))
    spec = RSpec(FEB, har.ids.obj("resp", created), created, "gpt-4.1-mini-2025-04-14")
    lifecycle_start(ev, spec)
    poem = (
        "Maple leaves drift down\nover the stones of Kiyomizu,\nred as lantern light.\n\n"
        "A temple bell hums;\nthe river carries autumn\nsoftly past Gion."
    )
    ev.message(0, har.ids.obj("msg", created + 1), [poem], stop_after=24)
    # the connection drops 61 bytes into the data line of the last delta
    cut_at = splits_at((-1, len("event: response.output_text.delta\ndata: ") + 61))
    har.sse_exchange(
        "POST", "/responses", req, ev, splits=splits_at((6, 100)), cut=lambda b, s: cut_at(b, s)[0]
    )
    return har


def compact() -> Har:
    har = Har(
        "compact",
        datetime(2026, 9, 17, 11, 45, 20, 300000, UTC),
        NEW,
        comment="POST /v1/responses/compact -> response.compaction.",
    )
    t0 = int(epoch(har.now)) - 240
    a1 = (
        "On a sunny south-facing balcony you can grow basil, thyme, rosemary, oregano, sage "
        "and chives. Mint works too, but keep it in its own pot."
    )
    a2 = (
        "Chives and mint are the most forgiving, then thyme. Basil needs regular watering and "
        "pinching, so start it once you have a routine."
    )
    req = {
        "input": [
            {
                "role": "user",
                "content": "I have a small balcony facing south. What herbs could I grow?",
            },
            {
                "id": har.ids.obj("msg", t0),
                "type": "message",
                "status": "completed",
                "content": [{"type": "output_text", "annotations": [], "text": a1}],
                "role": "assistant",
            },
            {"role": "user", "content": "Which of those are easiest for a beginner?"},
            {
                "id": har.ids.obj("msg", t0 + 60),
                "type": "message",
                "status": "completed",
                "content": [{"type": "output_text", "annotations": [], "text": a2}],
                "role": "assistant",
            },
        ],
        "model": "gpt-5-mini",
    }
    wait = round(har.rng.uniform(2400, 3600), 1)
    created = int(har.at(wait - 50))
    user_items = [
        {
            "id": har.ids.obj("msg", created),
            "type": "message",
            "status": "completed",
            "content": [{"type": "input_text", "text": m["content"]}],
            "role": "user",
        }
        for m in req["input"]
        if m.get("role") == "user"
    ]
    resp = {
        "id": har.ids.obj("resp", created),
        "object": "response.compaction",
        "created_at": created,
        "output": [
            *user_items,
            {
                "id": har.ids.obj("cmp", created),
                "type": "compaction",
                "encrypted_content": fernet_like(har.rng, created, 44),
            },
        ],
        "usage": usage(NEW, 312, 186, cached=0, reasoning=128),
    }
    har.json_exchange("POST", "/responses/compact", req, resp, wait_ms=wait)
    return har


def input_items() -> Har:
    har = Har(
        "input_items",
        datetime(2026, 9, 18, 16, 20, 0, 120000, UTC),
        NEW,
        comment="GET input_items, GET a stored response, POST input_tokens.",
    )
    created = int(epoch(har.now)) - 3600
    rid = har.ids.obj("resp", created)
    items = [
        {
            "id": har.ids.obj("msg", created),
            "type": "message",
            "status": "completed",
            "content": [{"type": "input_text", "text": "You are a concise geography tutor."}],
            "role": "developer",
        },
        {
            "id": har.ids.obj("msg", created),
            "type": "message",
            "status": "completed",
            "content": [{"type": "input_text", "text": "What is the capital of Portugal?"}],
            "role": "user",
        },
    ]
    listing = {
        "object": "list",
        "data": items,
        "first_id": items[0]["id"],
        "has_more": False,
        "last_id": items[-1]["id"],
    }
    har.json_exchange(
        "GET",
        f"/responses/{rid}/input_items?limit=20&order=asc",
        None,
        listing,
        wait_ms=round(har.rng.uniform(150, 260), 1),
    )

    spec = RSpec(NEW, rid, created, "gpt-5-mini-2025-08-07", effort="medium")
    answer = "The capital of Portugal is Lisbon."
    out = [
        {"id": har.ids.obj("rs", created + 1), "type": "reasoning", "summary": []},
        {
            "id": har.ids.obj("msg", created + 2),
            "type": "message",
            "status": "completed",
            "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": answer}],
            "role": "assistant",
        },
    ]
    resp = spec.obj(
        "completed",
        out,
        usage(NEW, 26, 75, reasoning=64),
        created + 3,
        tier="default",
        billing=True,
    )
    har.json_exchange(
        "GET", f"/responses/{rid}", None, resp, wait_ms=round(har.rng.uniform(120, 220), 1)
    )

    req = {
        "input": "Which river flows through Lisbon, and where does it start?",
        "instructions": "You are a concise geography tutor. Answer in at most two sentences, "
        "name the source of any figure you quote, and prefer metric units.",
        "model": "gpt-5-mini",
        "tools": [WEATHER_TOOL],
    }
    har.json_exchange(
        "POST",
        "/responses/input_tokens",
        req,
        {"object": "response.input_tokens", "input_tokens": 123},
        wait_ms=round(har.rng.uniform(90, 160), 1),
    )
    return har


def conversation() -> Har:
    har = Har(
        "conversation",
        datetime(2026, 9, 19, 19, 5, 44, 810000, UTC),
        NEW,
        key=KEY_2,
        comment="Conversations API: create, add items, respond in it, list, delete.",
        os_="Windows",
        arch="x64",
        pyver="3.12.10",
    )
    t = int(epoch(har.now))
    conv_id = har.ids.conv(t)
    first = {"type": "message", "role": "user", "content": "Hi! I'm planning a weekend in Lisbon."}
    req = {"items": [first], "metadata": {"topic": "travel"}}
    conv = {
        "id": conv_id,
        "object": "conversation",
        "created_at": t,
        "metadata": {"topic": "travel"},
    }
    har.json_exchange(
        "POST", "/conversations", req, conv, wait_ms=round(har.rng.uniform(180, 300), 1)
    )
    item1 = {
        "id": har.ids.conv_item(t),
        "type": "message",
        "status": "completed",
        "content": [{"type": "input_text", "text": first["content"]}],
        "role": "user",
    }

    t = int(epoch(har.now))
    second = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "I like seafood and live music."}],
    }
    item2 = {
        "id": har.ids.conv_item(t),
        "type": "message",
        "status": "completed",
        "content": second["content"],
        "role": "user",
    }
    added = {
        "object": "list",
        "data": [item2],
        "first_id": item2["id"],
        "has_more": False,
        "last_id": item2["id"],
    }
    har.json_exchange(
        "POST",
        f"/conversations/{conv_id}/items",
        {"items": [second]},
        added,
        wait_ms=round(har.rng.uniform(150, 260), 1),
    )

    wait = round(har.rng.uniform(1500, 2300), 1)
    created = int(har.at(120))
    req = {"conversation": conv_id, "input": "Suggest one evening plan.", "model": "gpt-4.1-mini"}
    shard = conv_id[-16:]
    spec = RSpec(
        NEW,
        har.ids.obj("resp", created, shard),
        created,
        "gpt-4.1-mini-2025-04-14",
        conversation=conv_id,
    )
    answer = (
        "Start with grilled sardines and vinho verde at a tasca in Alfama, then walk "
        "a few streets over to a small fado house \u2014 book ahead, the good ones are "
        "tiny. Finish with a ginjinha nightcap at Rossio."
    )
    user3 = {
        "id": har.ids.obj("msg", created, shard),
        "type": "message",
        "status": "completed",
        "content": [{"type": "input_text", "text": req["input"]}],
        "role": "user",
    }
    msg = {
        "id": har.ids.obj("msg", created + 1, shard),
        "type": "message",
        "status": "completed",
        "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": answer}],
        "role": "assistant",
    }
    resp = spec.obj(
        "completed",
        [msg],
        usage(NEW, 61, n_tokens(answer)),
        int(har.at(wait)),
        tier="default",
        billing=True,
    )
    har.json_exchange("POST", "/responses", req, resp, wait_ms=wait, ratelimit=True)

    data = [msg, user3, item2, item1]  # newest first (order=desc is the default)
    listing = {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"],
        "has_more": False,
        "last_id": data[-1]["id"],
    }
    har.json_exchange(
        "GET",
        f"/conversations/{conv_id}/items",
        None,
        listing,
        wait_ms=round(har.rng.uniform(140, 240), 1),
    )
    har.json_exchange(
        "DELETE",
        f"/conversations/{conv_id}",
        None,
        {"id": conv_id, "object": "conversation.deleted", "deleted": True},
        wait_ms=round(har.rng.uniform(130, 230), 1),
        accept="*/*",
    )
    return har


def gzip_stream_scenario() -> Har:
    har = Har(
        "gzip_stream",
        datetime(2026, 9, 20, 7, 55, 1, 660000, UTC),
        NEW,
        comment="A stream whose body is gzip-encoded on the wire.",
    )
    req = {
        "input": "Give me one quick tip for brewing better coffee at home.",
        "model": "gpt-4.1-nano",
        "stream": True,
    }
    ev = Events(har.rng, round(har.rng.uniform(300, 450), 1))
    created = int(har.at(ev.t - 50))
    spec = RSpec(NEW, har.ids.obj("resp", created), created, "gpt-4.1-nano-2025-04-14")
    lifecycle_start(ev, spec)
    tip = (
        "Grind your beans right before brewing and weigh them: about 60 g of coffee per "
        "litre of water is a reliable starting ratio."
    )
    msg = ev.message(0, har.ids.obj("msg", created + 1), [tip])
    completed(ev, spec, [msg], usage(NEW, 19, n_tokens(tip)), har)
    har.sse_exchange("POST", "/responses", req, ev, gzip=True)
    return har


def background() -> Har:
    har = Har(
        "background",
        datetime(2026, 2, 24, 13, 8, 17, 250000, UTC),
        FEB,
        comment="Background mode: create (queued), poll, resume stream, delete; create "
        "and cancel. Older server: usage without cache_write_tokens.",
        os_="Linux",
        arch="x64",
        pyver="3.12.8",
    )
    # A: create in the background
    req = {
        "background": True,
        "input": "Write a short packing list for a three-day hike in the Alps.",
        "model": "gpt-4.1-mini",
    }
    wait = round(har.rng.uniform(500, 750), 1)
    created = int(har.at(wait - 80))
    spec = RSpec(
        FEB, har.ids.obj("resp", created), created, "gpt-4.1-mini-2025-04-14", background=True
    )
    har.json_exchange(
        "POST",
        "/responses",
        req,
        spec.obj("queued", billing=True),
        wait_ms=wait,
        ratelimit=True,
        extra_headers=(),
    )
    # poll
    har.json_exchange(
        "GET",
        f"/responses/{spec.id}",
        None,
        spec.obj("in_progress", billing=True),
        wait_ms=round(har.rng.uniform(110, 200), 1),
    )
    # resume the event stream after sequence number 3 (created, queued, in_progress,
    # output_item.added were already produced); replayed events use the stored key order
    ev = Events(har.rng, round(har.rng.uniform(280, 420), 1), obfuscate=False)
    shadow = Events(har.rng, 0, obfuscate=False)  # the events before starting_after
    lifecycle_start(shadow, spec, queued=True)
    msg_id = har.ids.obj("msg", created + 2)
    text = (
        "- Waterproof jacket and warm layer\n- Broken-in hiking boots\n- 2 L of water and "
        "snacks\n- Map, headlamp and power bank\n- Sun cream, hat and sunglasses\n- "
        "Hut reservation and ID"
    )
    full = Events(har.rng, ev.t, obfuscate=False, seq0=shadow.seq)
    msg = full.message(0, msg_id, [text])
    full.wait(8, 30)
    use = usage(FEB, 24, n_tokens(text))
    done_at = int(har.at(full.t))
    full.emit(
        "response.completed", response=spec.obj("completed", [msg], use, done_at, tier="default")
    )
    starting_after = 3
    ev.events = [scramble(e) for e in full.events if e["sequence_number"] > starting_after]
    ev.times = [
        t
        for e, t in zip(full.events, full.times, strict=True)
        if e["sequence_number"] > starting_after
    ]
    har.sse_exchange(
        "GET",
        f"/responses/{spec.id}?stream=true&starting_after={starting_after}",
        None,
        ev,
        splits=splits_at((-1, 700)),
    )
    har.json_exchange(
        "DELETE",
        f"/responses/{spec.id}",
        None,
        {"id": spec.id, "object": "response.deleted", "deleted": True},
        wait_ms=round(har.rng.uniform(150, 260), 1),
        accept="*/*",
    )

    # B: another background response, cancelled while queued
    req = {
        "background": True,
        "input": "Draft a 2,000-word essay on the history of the bicycle.",
        "model": "gpt-4.1-mini",
    }
    wait = round(har.rng.uniform(450, 700), 1)
    created = int(har.at(wait - 80))
    spec_b = RSpec(
        FEB, har.ids.obj("resp", created), created, "gpt-4.1-mini-2025-04-14", background=True
    )
    har.json_exchange(
        "POST", "/responses", req, spec_b.obj("queued", billing=True), wait_ms=wait, ratelimit=True
    )
    har.json_exchange(
        "POST",
        f"/responses/{spec_b.id}/cancel",
        None,
        spec_b.obj("cancelled", billing=True),
        wait_ms=round(har.rng.uniform(160, 280), 1),
    )
    return har


def websocket() -> Har:
    har = Har(
        "websocket",
        datetime(2026, 9, 21, 12, 0, 5, 5000, UTC),
        NEW,
        key=KEY_2,
        comment="WebSocket mode (wss://.../v1/responses): two responses on one socket.",
    )
    key = base64.b64encode(har.rng.randbytes(16)).decode()
    accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    handshake = round(har.rng.uniform(120, 220), 1)
    req_headers = [
        ("Host", "api.openai.com"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
        *[(k.title() if k == "user-agent" else k, v) for k, v in sdk_headers(NEW, har.key)],
    ]
    resp_headers = [
        ("Date", http_date(har.now + timedelta(milliseconds=handshake))),
        ("Connection", "upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Accept", accept),
        ("openai-organization", "respdeck-demo-x7k2qa"),
        ("openai-project", har.project),
        ("openai-version", "2020-10-01"),
        ("x-request-id", har.ids.req()),
        ("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"),
        ("Server", "cloudflare"),
        ("CF-RAY", har.ids.ray()),
    ]
    messages: list[Json] = []
    t = handshake + round(har.rng.uniform(30, 80), 1)
    prev = None
    turns = [
        (
            "Tell me a fun fact about octopuses in one sentence.",
            "Octopuses have three hearts: two pump blood through the gills and the third "
            "sends it around the rest of the body.",
        ),
        (
            "And one about squid?",
            "Some squid can change colour in a few hundred milliseconds using skin cells called "
            "chromatophores \u2014 even though most of them are colour-blind.",
        ),
    ]
    for prompt, answer in turns:
        client: Json = {"type": "response.create", "input": prompt, "model": "gpt-4.1-mini"}
        if prev:
            client["previous_response_id"] = prev
        client["store"] = True
        messages.append(
            {"type": "send", "time": round(har.at(t), 6), "opcode": 1, "data": cj(client)}
        )
        ev = Events(har.rng, t + round(har.rng.uniform(250, 420), 1), obfuscate=False)
        created = int(har.at(ev.t - 40))
        spec = RSpec(
            NEW,
            har.ids.obj("resp", created),
            created,
            "gpt-4.1-mini-2025-04-14",
            previous_response_id=prev,
        )
        lifecycle_start(ev, spec)
        msg = ev.message(0, har.ids.obj("msg", created + 1), [answer])
        inp = 19 if prev is None else 58
        completed(ev, spec, [msg], usage(NEW, inp, n_tokens(answer)), har)
        for e, et in zip(ev.events, ev.times, strict=True):
            messages.append(
                {"type": "receive", "time": round(har.at(et), 6), "opcode": 1, "data": cj(e)}
            )
        prev = spec.id
        t = ev.t + round(har.rng.uniform(1500, 3000), 1)
    entry = {
        "startedDateTime": iso(har.now),
        "time": handshake,
        "request": {
            "method": "GET",
            "url": "wss://api.openai.com/v1/responses",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in req_headers],
            "queryString": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": 101,
            "statusText": "Switching Protocols",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in resp_headers],
            "content": {"size": 0, "mimeType": "x-unknown"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": 0,
        },
        "cache": {},
        "timings": har.timings(handshake, handshake),
        "serverIPAddress": SERVER_IP,
        "connection": har.port,
        "_resourceType": "websocket",
        "_webSocketMessages": messages,
    }
    har.entries.append(entry)
    return har


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


def codex_turn(har: Har, ev: Events, spec: RSpec, turn: CodexTurn, created: int) -> list[Json]:
    """Stream one turn's output items; returns them as the server sent them."""
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
        ev = Events(har.rng, round(har.rng.uniform(420, 700), 1))
        created = int(har.at(ev.t - 70))
        spec = RSpec(
            FEB,
            har.ids.obj("resp", created),
            created,
            "gpt-5-codex",
            instructions=CODEX_INSTRUCTIONS,
            effort="medium",
            summary="detailed",
            store=False,
            tools=[CODEX_SHELL_ECHO],
            prompt_cache_key=session,
            parallel_tool_calls=False,
        )
        lifecycle_start(ev, spec)
        output = codex_turn(har, ev, spec, turn, created)
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
    key = base64.b64encode(har.rng.randbytes(16)).decode()
    accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
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
    resp_headers = [
        ("Date", http_date(har.now + timedelta(milliseconds=handshake))),
        ("Connection", "upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Accept", accept),
        ("openai-organization", "respdeck-demo-x7k2qa"),
        ("openai-project", har.project),
        ("openai-version", "2020-10-01"),
        ("x-request-id", har.ids.req()),
        ("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"),
        ("Server", "cloudflare"),
        ("CF-RAY", har.ids.ray()),
    ]
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
        messages.append(
            {"type": "send", "time": round(har.at(t), 6), "opcode": 1, "data": cj(body)}
        )
        ev = Events(
            har.rng,
            t + round(har.rng.uniform(60, 140) if turn is None else har.rng.uniform(300, 520), 1),
            obfuscate=False,
        )
        created = int(har.at(ev.t - 40))
        spec = RSpec(
            FEB,
            har.ids.obj("resp", created),
            created,
            "gpt-5-codex",
            instructions=CODEX_INSTRUCTIONS,
            previous_response_id=previous,
            effort="medium",
            summary="detailed",
            store=False,
            tools=[CODEX_SHELL_ECHO],
            prompt_cache_key=session,
            parallel_tool_calls=False,
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
            lifecycle_start(ev, spec)
            output = codex_turn(har, ev, spec, turn, created)
        for e, et in zip(ev.events, ev.times, strict=True):
            messages.append(
                {"type": "receive", "time": round(har.at(et), 6), "opcode": 1, "data": cj(e)}
            )
        previous = spec.id
        t = ev.t + round(har.rng.uniform(300, 900), 1)
    entry = {
        "startedDateTime": iso(har.now),
        "time": handshake,
        "request": {
            "method": "GET",
            "url": "wss://api.openai.com/v1/responses",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in req_headers],
            "queryString": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": 101,
            "statusText": "Switching Protocols",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in resp_headers],
            "content": {"size": 0, "mimeType": "x-unknown"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": 0,
        },
        "cache": {},
        "timings": har.timings(handshake, handshake),
        "serverIPAddress": SERVER_IP,
        "connection": har.port,
        "_resourceType": "websocket",
        "_webSocketMessages": messages,
    }
    har.entries.append(entry)
    return har


def vcr_cassette() -> str:
    """A VCR.py cassette: one non-streamed create (older server, no cache_write_tokens)."""
    rng = random.Random("respdeck-recordings:vcr_cassette")
    ids = Ids(rng)
    when = datetime(2026, 2, 3, 15, 26, 48, tzinfo=UTC)
    created = int(epoch(when))
    req = {"input": "Write a haiku about the sea.", "model": "gpt-4.1-mini", "temperature": 0.7}
    haiku = "Grey waves fold and break\nsalt wind carries the gulls' cries\nthe tide keeps its time"
    spec = RSpec(FEB, ids.obj("resp", created), created, "gpt-4.1-mini-2025-04-14", temperature=0.7)
    msg = {
        "id": ids.obj("msg", created + 1),
        "type": "message",
        "status": "completed",
        "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": haiku}],
        "role": "assistant",
    }
    resp = spec.obj(
        "completed",
        [msg],
        usage(FEB, 13, n_tokens(haiku)),
        created + 1,
        tier="default",
        billing=True,
    )
    body = pj(resp)
    req_body = cj(req)
    v = SDK_FOR_ERA[FEB]
    cassette = {
        "interactions": [
            {
                "request": {
                    "body": req_body,
                    "headers": {
                        "accept": ["application/json"],
                        "accept-encoding": ["gzip, deflate"],
                        "connection": ["keep-alive"],
                        "content-length": [str(len(req_body))],
                        "content-type": ["application/json"],
                        "host": ["api.openai.com"],
                        "user-agent": [f"OpenAI/Python {v}"],
                        "x-stainless-arch": ["arm64"],
                        "x-stainless-async": ["false"],
                        "x-stainless-lang": ["python"],
                        "x-stainless-os": ["MacOS"],
                        "x-stainless-package-version": [v],
                        "x-stainless-read-timeout": ["600"],
                        "x-stainless-retry-count": ["0"],
                        "x-stainless-runtime": ["CPython"],
                        "x-stainless-runtime-version": ["3.12.7"],
                    },
                    "method": "POST",
                    "uri": API + "/responses",
                },
                "response": {
                    "body": {"string": body},
                    "headers": {
                        "CF-RAY": [ids.ray()],
                        "Connection": ["keep-alive"],
                        "Content-Length": [str(len(body.encode()))],
                        "Content-Type": ["application/json"],
                        "Date": [http_date(when + timedelta(seconds=1))],
                        "Server": ["cloudflare"],
                        "Strict-Transport-Security": [
                            "max-age=31536000; includeSubDomains; preload"
                        ],
                        "X-Content-Type-Options": ["nosniff"],
                        "alt-svc": ['h3=":443"; ma=86400'],
                        "cf-cache-status": ["DYNAMIC"],
                        "openai-organization": ["respdeck-demo-x7k2qa"],
                        "openai-processing-ms": ["812"],
                        "openai-project": ["proj_" + ids.alnum(24)],
                        "openai-version": ["2020-10-01"],
                        "x-envoy-upstream-service-time": ["816"],
                        "x-ratelimit-limit-requests": ["10000"],
                        "x-ratelimit-limit-tokens": ["10000000"],
                        "x-ratelimit-remaining-requests": ["9999"],
                        "x-ratelimit-remaining-tokens": ["9999982"],
                        "x-ratelimit-reset-requests": ["6ms"],
                        "x-ratelimit-reset-tokens": ["0s"],
                        "x-request-id": [ids.req()],
                    },
                    "status": {"code": 200, "message": "OK"},
                },
            }
        ],
        "version": 1,
    }
    return yaml.dump(cassette, Dumper=yaml.Dumper, allow_unicode=False)


def raw_stream() -> bytes:
    """A bare text/event-stream body: a small answer from a reasoning model."""
    har = Har("raw_stream", datetime(2026, 9, 22, 9, 30, 0, tzinfo=UTC), NEW)
    ev = Events(har.rng, 350.0)
    created = int(har.at(300))
    spec = RSpec(
        NEW, har.ids.obj("resp", created), created, "gpt-5-nano-2025-08-07", effort="minimal"
    )
    lifecycle_start(ev, spec)
    rs = ev.reasoning(0, har.ids.obj("rs", created), [], None, None)
    answer = "The traditional primary colours are red, yellow and blue."
    msg = ev.message(1, har.ids.obj("msg", created + 1), [answer])
    completed(ev, spec, [rs, msg], usage(NEW, 12, n_tokens(answer), reasoning=0), har)
    return ev.sse()[0]


HAR_SCENARIOS: dict[str, Callable[[], Har]] = {
    "stream_text.har": stream_text,
    "function_call_roundtrip.har": function_call_roundtrip,
    "reasoning.har": reasoning,
    "web_search.har": web_search,
    "stream_error.har": stream_error,
    "stream_cut.har": stream_cut,
    "compact.har": compact,
    "input_items.har": input_items,
    "conversation.har": conversation,
    "gzip_stream.har": gzip_stream_scenario,
    "background.har": background,
    "websocket.har": websocket,
    "websocket_codex.har": websocket_codex,
    "whole_input_codex.har": whole_input_codex,
}

FILES = [
    (
        "stream_text.har",
        "streamed text answer (café, \u2615, \U0001f950; one chunk boundary "
        "splits a UTF-8 character), usage with cached tokens",
    ),
    (
        "function_call_roundtrip.har",
        "streamed `get_weather` function call, then a non-streamed "
        "create with `previous_response_id` and the `function_call_output`",
    ),
    (
        "reasoning.har",
        "gpt-5 stream with reasoning summary events, `encrypted_content`, "
        "`store: false`, reasoning tokens",
    ),
    (
        "web_search.har",
        "hosted web search (`web_search_call` in_progress/searching/completed, "
        "action with sources) and `url_citation` annotations; older server, usage without "
        "`cache_write_tokens`",
    ),
    (
        "stream_error.har",
        "in-stream `error` event in the nested form followed by "
        "`response.failed`; the flat form ending the stream; an HTTP 429 JSON error",
    ),
    (
        "stream_cut.har",
        "a stream cut off in the middle of an `output_text.delta` data line, no terminal event",
    ),
    (
        "compact.har",
        "`POST /v1/responses/compact` returning a `response.compaction` (user "
        "messages + `compaction` item)",
    ),
    (
        "input_items.har",
        "`GET /v1/responses/{id}/input_items`, `GET /v1/responses/{id}`, "
        "`POST /v1/responses/input_tokens`",
    ),
    (
        "conversation.har",
        "Conversations API: create, add items, a create with `conversation`, list items, delete",
    ),
    (
        "gzip_stream.har",
        "a stream with `Content-Encoding: gzip` (body base64 in the HAR, chunks "
        "over the compressed bytes)",
    ),
    (
        "background.har",
        "background mode: create (queued), poll (in_progress), resumed stream "
        "`?stream=true&starting_after=3` (replayed key order, no obfuscation), delete; a second "
        "response created and cancelled; older server, usage without `cache_write_tokens`",
    ),
    (
        "websocket.har",
        "WebSocket mode: one `wss://` entry (101) with Chrome-style "
        "`_webSocketMessages`, two `response.create` turns on one socket",
    ),
    (
        "websocket_codex.har",
        "Codex over the WebSocket mode: a warm-up `response.create` with `generate: false`, "
        "the request, then only the `function_call_output` with `previous_response_id`",
    ),
    (
        "whole_input_codex.har",
        "a Codex session over HTTP/SSE: `store: false`, four turns each resending the whole "
        "input (ids dropped), shell tool calls, encrypted reasoning, `prompt_cache_key` and "
        "`session-id` / `thread-id` headers, no `previous_response_id`",
    ),
    (
        "vcr_cassette.yaml",
        "VCR.py cassette with one non-streamed create (body as a string); "
        "older server, usage without `cache_write_tokens`",
    ),
    (
        "raw_stream.sse",
        "a bare `text/event-stream` body (gpt-5-nano: empty reasoning item, then a short message)",
    ),
]

README = """\
# recordings/

Small synthetic recordings of OpenAI Responses API traffic that respdeck's tests and demo always
use, so nothing depends on the external corpus. They are generated (deterministically) by
`tests/tools/make_recordings.py`; do not edit them by hand, change the script and rerun it:

    uv run python tests/tools/make_recordings.py            # rewrite
    uv run python tests/tools/make_recordings.py --check    # verify they are up to date

Prompts, answers, ids and API keys are made up (keys are obviously fake `sk-test-...`); the shapes
(field sets and key order, SSE framing, sequence numbers, obfuscation padding, id formats, usage
objects, headers, timings) follow real traffic. HAR files carry respdeck's stream-timing extension:
`response.content.text` is the exact raw body (`encoding: "base64"` when binary) and
`response.content._chunks` is `[[offset_ms, size], ...]` per network chunk, offsets since the
request started, sizes over the raw body; `response.content._truncated: true` marks a body cut
short by a dropped connection.

| file | contents |
|---|---|
""" + "".join(f"| `{name}` | {desc} |\n" for name, desc in FILES)


def dump_har(obj: Any, indent: int = 0) -> str:
    """Indented JSON, but small flat objects and arrays (headers, chunk pairs, WebSocket
    messages) stay on one line so the files stay short and diff well."""
    flat = isinstance(obj, (dict, list)) and not any(
        isinstance(v, (dict, list)) for v in (obj.values() if isinstance(obj, dict) else obj)
    )
    if not isinstance(obj, (dict, list)) or (flat and (len(obj) <= 2 or "data" in obj)):
        return json.dumps(obj, ensure_ascii=False)
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(obj, list):
        if not obj:
            return "[]"
        return "[\n" + ",\n".join(inner + dump_har(v, indent + 2) for v in obj) + f"\n{pad}]"
    if not obj:
        return "{}"
    items = (f"{inner}{json.dumps(k)}: {dump_har(v, indent + 2)}" for k, v in obj.items())
    return "{\n" + ",\n".join(items) + f"\n{pad}}}"


def build() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name, fn in HAR_SCENARIOS.items():
        doc = fn().document()
        text = dump_har(doc) + "\n"
        assert json.loads(text) == doc
        files[name] = text.encode()
    files["vcr_cassette.yaml"] = vcr_cassette().encode()
    files["raw_stream.sse"] = raw_stream()
    files["README.md"] = README.encode()
    return files


# --------------------------------------------------------------------------------------------
# self-check


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
        t, oi = ev["type"], ev.get("output_index")
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


def sdk_checks() -> dict[str, Callable[[Json], Any]]:
    from openai.types.conversations import (
        Conversation,
        ConversationDeletedResource,
        ConversationItemList,
    )
    from openai.types.responses import (
        CompactedResponse,
        InputTokenCountResponse,
        Response,
        ResponseCompactionItem,
        ResponseInputMessageItem,
        ResponseItemList,
        ResponsesClientEvent,
        ResponsesServerEvent,
        ResponseStreamEvent,
        ResponseUsage,
    )
    from pydantic import TypeAdapter

    def by_type(union: Any) -> Callable[[Json], Any]:
        """Validate against the union member named by the payload's `type` (the SDK's own
        discriminator), so errors are about that member only."""
        members = typing.get_args(typing.get_args(union)[0])
        table = {typing.get_args(m.model_fields["type"].annotation)[0]: m for m in members}
        fallback = TypeAdapter(union)

        def validate(obj: Json) -> Any:
            model = table.get(obj.get("type"))
            return model.model_validate(obj) if model else fallback.validate_python(obj)

        return validate

    stream_ev = by_type(ResponseStreamEvent)
    server_ev = by_type(ResponsesServerEvent)
    client_ev = TypeAdapter(ResponsesClientEvent)

    def compacted(obj: Json) -> None:
        # The SDK types CompactedResponse.output with the *output* item union, which has no
        # user-role message; the live API returns user messages there (see the corpus), so the
        # items are checked one by one instead.
        for item in obj["output"]:
            if item["type"] == "compaction":
                ResponseCompactionItem.model_validate(item)
            else:
                ResponseInputMessageItem.model_validate(item)
        CompactedResponse.model_validate(obj | {"output": obj["output"][-1:]})
        ResponseUsage.model_validate(obj["usage"])

    return {
        "response": Response.model_validate,
        "event": stream_ev,
        "ws_server": server_ev,
        "ws_client": client_ev.validate_python,
        "response.compaction": compacted,
        "response.input_tokens": InputTokenCountResponse.model_validate,
        "conversation": Conversation.model_validate,
        "conversation.deleted": ConversationDeletedResource.model_validate,
        "conversation_list": ConversationItemList.model_validate,
        "response_list": ResponseItemList.model_validate,
    }


def lacks_cache_write(obj: Any) -> bool:
    """True when some usage object in obj has no cache_write_tokens (older servers)."""
    if isinstance(obj, dict):
        d = obj.get("input_tokens_details")
        if isinstance(d, dict) and "cached_tokens" in d and "cache_write_tokens" not in d:
            return True
        return any(lacks_cache_write(v) for v in obj.values())
    if isinstance(obj, list):
        return any(lacks_cache_write(v) for v in obj)
    return False


def with_cache_write(obj: Any) -> Any:
    if isinstance(obj, dict):
        out = {k: with_cache_write(v) for k, v in obj.items()}
        d = out.get("input_tokens_details")
        if isinstance(d, dict) and "cached_tokens" in d:
            out["input_tokens_details"] = {"cache_write_tokens": 0} | d
        return out
    if isinstance(obj, list):
        return [with_cache_write(v) for v in obj]
    return obj


class Validator:
    def __init__(self) -> None:
        try:
            self.v = sdk_checks()
        except ImportError as exc:  # pragma: no cover - the project always has openai
            print(f"  (skipping SDK validation: {exc})")
            self.v = {}
        self.counts = {"ok": 0, "expected_fail": 0}

    def __call__(self, kind: str, obj: Json, where: str) -> None:
        if not self.v:
            return
        from pydantic import ValidationError

        fn = self.v[kind]
        nested_error = kind in ("event",) and obj.get("type") == "error" and "error" in obj
        if lacks_cache_write(obj) or nested_error:
            # on purpose: older usage objects and the nested error event do not fit the SDK
            try:
                fn(obj)
            except ValidationError as exc:
                locs = {".".join(map(str, e["loc"])) for e in exc.errors()}
                if nested_error:
                    expect(any(loc.endswith("message") for loc in locs), f"{where}: {locs}")
                else:
                    expect(all("cache_write_tokens" in loc for loc in locs), f"{where}: {locs}")
                    fn(with_cache_write(obj))
                self.counts["expected_fail"] += 1
                return
            raise CheckError(f"{where}: expected the SDK to reject {kind}")
        try:
            fn(obj)
        except ValidationError as exc:
            raise CheckError(f"{where}: SDK rejects {kind}: {exc}") from exc
        self.counts["ok"] += 1


def body_kind(path: str, method: str, obj: Json) -> str | None:
    o = obj.get("object")
    if "error" in obj and len(obj) == 1:
        return None
    if o == "list":
        return "conversation_list" if path.startswith("/v1/conversations") else "response_list"
    if o == "response" and "deleted" in obj:
        return None
    if o == "response.deleted":
        return None
    return {
        "response": "response",
        "response.compaction": "response.compaction",
        "response.input_tokens": "response.input_tokens",
        "conversation": "conversation",
        "conversation.deleted": "conversation.deleted",
    }.get(o)


def check_chunks(chunks: list[list[float | int]], size: int, where: str, *, streamed: bool) -> None:
    expect(sum(int(c[1]) for c in chunks) == size, f"{where}: chunk sizes != body length")
    offs = [float(c[0]) for c in chunks]
    expect(offs == sorted(offs), f"{where}: chunk offsets not monotonic")
    if streamed:
        expect(300 <= offs[0] <= 800, f"{where}: TTFB {offs[0]} outside 300-800 ms")


def check_har(name: str, doc: Json, val: Validator) -> dict[str, int]:
    stats = {"midline": 0, "utf8": 0, "streams": 0}
    for i, e in enumerate(doc["log"]["entries"]):
        where = f"{name}#{i}"
        req, resp = e["request"], e["response"]
        path = "/" + req["url"].split("/", 3)[3].partition("?")[0]
        t = e["timings"]
        total = sum(max(t[k], 0) for k in ("blocked", "dns", "connect", "send", "wait", "receive"))
        expect(abs(total - e["time"]) < 0.01, f"{where}: timings do not add up to time")
        auth = next(h["value"] for h in req["headers"] if h["name"].lower() == "authorization")
        expect(auth.startswith("Bearer sk-test-"), f"{where}: key")
        if "_webSocketMessages" in e:
            expect(resp["status"] == 101, f"{where}: websocket status")
            msgs = e["_webSocketMessages"]
            times = [m["time"] for m in msgs]
            expect(times == sorted(times), f"{where}: ws times")
            run: list[Json] = []
            for m in msgs:
                data = json.loads(m["data"])
                if m["type"] == "send":
                    val("ws_client", data, where)
                    if run:
                        check_events(run, where)
                    run = []
                else:
                    val("ws_server", data, where)
                    run.append(data)
                    if data["type"].startswith("response.") and "response" in data:
                        val("response", data["response"], where)
            check_events(run, where)
            continue
        c = resp["content"]
        raw = base64.b64decode(c["text"]) if c.get("encoding") == "base64" else c["text"].encode()
        expect(resp["bodySize"] == len(raw), f"{where}: bodySize")
        streamed = c["mimeType"].startswith("text/event-stream")
        check_chunks(c["_chunks"], len(raw), where, streamed=streamed)
        if req.get("postData"):
            body = req["postData"]["text"].encode()
            cl = next(h["value"] for h in req["headers"] if h["name"] == "content-length")
            expect(int(cl) == len(body), f"{where}: content-length")
        enc = next((h["value"] for h in resp["headers"] if h["name"] == "Content-Encoding"), None)
        if enc == "gzip":
            decoded = zlib.decompress(raw, 31)
            expect(c["size"] == len(decoded), f"{where}: decoded size")
            # every chunk boundary must be decodable incrementally
            d = zlib.decompressobj(31)
            pos, got = 0, b""
            for _, n in c["_chunks"]:
                got += d.decompress(raw[pos : pos + int(n)])
                pos += int(n)
            expect(got == decoded, f"{where}: incremental gzip")
        else:
            decoded = raw
        if not streamed:
            obj = json.loads(decoded)
            expect(decoded.decode() == pj(obj), f"{where}: body is not 2-space pretty JSON")
            kind = body_kind(path, req["method"], obj)
            if kind:
                val(kind, obj, where)
            continue
        stats["streams"] += 1
        text = decoded.decode("utf-8")
        evs, tail = parse_sse(text)
        for ev_name, data in evs:
            expect(ev_name == data["type"], f"{where}: event name != type")
            expect(f"data: {cj(data)}\n" in text, f"{where}: data line is not compact JSON")
            val("event", data, where)
            if "response" in data:
                val("response", data["response"], where)
        partial = bool(tail)
        if partial:
            expect(tail.startswith("event: response.output_text.delta\ndata: {"), f"{where}: cut")
        check_events([d for _, d in evs], where, partial=partial)
        # chunk boundary statistics over the raw body
        pos = 0
        for _, n in c["_chunks"][:-1]:
            pos += int(n)
            if enc != "gzip":
                line_start = raw.rfind(b"\n", 0, pos) + 1
                if raw[line_start:pos].startswith(b"data: ") and raw[pos - 1 : pos] != b"\n":
                    stats["midline"] += 1
                if 0x80 <= raw[pos] < 0xC0:
                    stats["utf8"] += 1
    return stats


def check_files(files: dict[str, bytes]) -> None:
    val = Validator()
    total = 0
    stats_all = {"midline": 0, "utf8": 0, "streams": 0}
    for name, data in sorted(files.items()):
        total += len(data)
        expect(len(data) < MAX_FILE, f"{name}: {len(data)} bytes >= {MAX_FILE}")
        if name.endswith(".har"):
            stats = check_har(name, json.loads(data), val)
            for k, v in stats.items():
                stats_all[k] += v
            if name == "stream_text.har":
                expect(stats["utf8"] >= 1, "stream_text: no chunk splits a UTF-8 character")
        elif name.endswith(".sse"):
            evs, tail = parse_sse(data.decode())
            expect(not tail, f"{name}: trailing bytes")
            for _, d in evs:
                val("event", d, name)
                if "response" in d:
                    val("response", d["response"], name)
            check_events([d for _, d in evs], name)
        elif name.endswith(".yaml"):
            cas = yaml.safe_load(data)
            for it in cas["interactions"]:
                obj = json.loads(it["response"]["body"]["string"])
                val("response", obj, name)
    expect(total < MAX_TOTAL, f"recordings total {total} bytes >= {MAX_TOTAL}")
    expect(stats_all["midline"] >= 3, "too few chunk boundaries inside data lines")
    print(
        f"  {len(files)} files, {total} bytes; {stats_all['streams']} SSE bodies; "
        f"{stats_all['midline']} mid-line and {stats_all['utf8']} mid-UTF-8 chunk boundaries; "
        f"SDK validations: {val.counts['ok']} ok, {val.counts['expected_fail']} rejected on "
        "purpose (no cache_write_tokens / nested error)"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--check",
        action="store_true",
        help="do not write; fail if recordings/ differs from a fresh generation",
    )
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (default recordings/)")
    args = ap.parse_args(argv)

    files = build()
    again = build()
    expect(files == again, "generation is not deterministic")
    check_files(files)
    if args.check:
        stale = [
            n
            for n, d in files.items()
            if not (args.out / n).exists() or (args.out / n).read_bytes() != d
        ]
        if stale:
            print("out of date: " + ", ".join(sorted(stale)))
            return 1
        print("recordings are up to date")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    print(f"wrote {len(files)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
