"""Constants, JSON and time formatting, the id factory and the tokeniser every scenario uses."""

from __future__ import annotations

import base64
import json
import random
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
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


def n_tokens(text: str) -> int:
    return len(tokens(text, random.Random(0)))
