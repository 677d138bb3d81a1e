"""WebSocket mode: one ``wss://`` entry, two ``response.create`` turns on one socket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .common import KEY_2, NEW, Json, n_tokens
from .har import Har
from .headers import sdk_headers
from .responses import usage
from .scenario import completed, open_stream

TURNS = [
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


def websocket() -> Har:
    har = Har(
        "websocket",
        datetime(2026, 9, 21, 12, 0, 5, 5000, UTC),
        NEW,
        key=KEY_2,
        comment="WebSocket mode (wss://.../v1/responses): two responses on one socket.",
    )
    key, accept = har.ws_key()
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
    resp_headers = har.upgrade_headers(accept, har.now + timedelta(milliseconds=handshake))
    messages: list[Json] = []
    t = handshake + round(har.rng.uniform(30, 80), 1)
    prev = None
    for prompt, answer in TURNS:
        client: Json = {"type": "response.create", "input": prompt, "model": "gpt-4.1-mini"}
        if prev:
            client["previous_response_id"] = prev
        client["store"] = True
        messages.append(har.ws_frame("send", t, client))
        ev, spec = open_stream(
            har,
            (250, 420),
            40,
            "gpt-4.1-mini-2025-04-14",
            after=t,
            obfuscate=False,
            previous_response_id=prev,
        )
        msg = ev.message(0, har.ids.obj("msg", spec.created_at + 1), [answer])
        inp = 19 if prev is None else 58
        completed(ev, spec, [msg], usage(NEW, inp, n_tokens(answer)), har)
        messages += har.ws_frames(ev)
        prev = spec.id
        t = ev.t + round(har.rng.uniform(1500, 3000), 1)
    har.add_websocket(handshake, req_headers, resp_headers, messages)
    return har
