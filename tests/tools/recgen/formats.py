"""Recordings in the other formats respdeck imports: a VCR.py cassette and a bare SSE body."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import yaml

from .common import API, FEB, NEW, SDK_FOR_ERA, Ids, cj, epoch, http_date, n_tokens, pj
from .events import Events
from .har import Har
from .responses import RSpec, usage
from .scenario import assistant_message, completed, lifecycle_start


def vcr_cassette() -> str:
    """A VCR.py cassette: one non-streamed create (older server, no cache_write_tokens)."""
    rng = random.Random("respdeck-recordings:vcr_cassette")
    ids = Ids(rng)
    when = datetime(2026, 2, 3, 15, 26, 48, tzinfo=UTC)
    created = int(epoch(when))
    req = {"input": "Write a haiku about the sea.", "model": "gpt-4.1-mini", "temperature": 0.7}
    haiku = "Grey waves fold and break\nsalt wind carries the gulls' cries\nthe tide keeps its time"
    spec = RSpec(FEB, ids.obj("resp", created), created, "gpt-4.1-mini-2025-04-14", temperature=0.7)
    msg = assistant_message(ids.obj("msg", created + 1), haiku)
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
