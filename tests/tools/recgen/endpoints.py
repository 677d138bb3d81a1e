"""Non-streamed endpoints: compaction, input items and token counts, the Conversations API."""

from __future__ import annotations

from datetime import UTC, datetime

from .common import KEY_2, NEW, Json, epoch, fernet_like, n_tokens
from .har import Har
from .responses import RSpec, usage
from .scenario import WEATHER_TOOL, assistant_message


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
    req: Json = {
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
        assistant_message(har.ids.obj("msg", created + 2), answer),
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
    msg = assistant_message(har.ids.obj("msg", created + 1, shard), answer)
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
