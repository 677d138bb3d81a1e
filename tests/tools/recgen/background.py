"""Background mode: create, poll, resume the stream with the stored key order, cancel."""

from __future__ import annotations

from datetime import UTC, datetime

from .common import FEB, n_tokens
from .events import Events, splits_at
from .har import Har
from .responses import scramble, usage
from .scenario import lifecycle_start, open_json


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
    wait, spec = open_json(har, (500, 750), 80, "gpt-4.1-mini-2025-04-14", background=True)
    created = spec.created_at
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
    wait, spec_b = open_json(har, (450, 700), 80, "gpt-4.1-mini-2025-04-14", background=True)
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
