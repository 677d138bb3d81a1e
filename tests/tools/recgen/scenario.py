"""What every scenario repeats: open a response (its first byte, creation time and echoed
request fields), start and complete its event lifecycle, write a finished message item."""

from __future__ import annotations

from typing import Any

from .common import Json
from .events import Events
from .har import Har
from .responses import RSpec

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


def open_stream(
    har: Har,
    first_byte: tuple[float, float],
    lag: float,
    model: str,
    *,
    after: float = 0,
    obfuscate: bool = True,
    start: bool = True,
    shard: str | None = None,
    **fields: Any,
) -> tuple[Events, RSpec]:
    """A streamed response: its first event leaves ``after`` plus a random ``first_byte`` ms
    into the request, it was created ``lag`` ms before that, and (``start``) its
    created / in_progress events are emitted. The random draws happen in the order every
    recording was generated with, so the files do not change."""
    ev = Events(har.rng, after + round(har.rng.uniform(*first_byte), 1), obfuscate=obfuscate)
    created = int(har.at(ev.t - lag))
    spec = RSpec(har.era, har.ids.obj("resp", created, shard), created, model, **fields)
    if start:
        lifecycle_start(ev, spec)
    return ev, spec


def open_json(
    har: Har, wait: tuple[float, float], lag: float, model: str, **fields: Any
) -> tuple[float, RSpec]:
    """A non-streamed response: the ms its body takes, and its spec (created ``lag`` ms before
    the body arrives)."""
    wait_ms = round(har.rng.uniform(*wait), 1)
    created = int(har.at(wait_ms - lag))
    return wait_ms, RSpec(har.era, har.ids.obj("resp", created), created, model, **fields)


def assistant_message(msg_id: str, text: str) -> Json:
    """A finished assistant message as a non-streamed body carries it."""
    return {
        "id": msg_id,
        "type": "message",
        "status": "completed",
        "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": text}],
        "role": "assistant",
    }
