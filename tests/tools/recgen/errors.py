"""Failures: in-stream errors (nested and flat), an HTTP 429, a stream cut mid-event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .common import API, FEB, NEW, cj, pj
from .events import splits_at
from .har import Har
from .scenario import open_stream


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
    ev, spec = open_stream(har, (400, 600), 70, "gpt-5-mini-2025-08-07", effort="medium")
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
    ev, spec = open_stream(har, (350, 500), 60, "gpt-4.1-mini-2025-04-14")
    ev.emit(
        "response.output_item.added",
        item={
            "id": har.ids.obj("msg", spec.created_at),
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
    ev, spec = open_stream(har, (300, 420), 50, "gpt-4.1-mini-2025-04-14")
    poem = (
        "Maple leaves drift down\nover the stones of Kiyomizu,\nred as lantern light.\n\n"
        "A temple bell hums;\nthe river carries autumn\nsoftly past Gion."
    )
    ev.message(0, har.ids.obj("msg", spec.created_at + 1), [poem], stop_after=24)
    # the connection drops 61 bytes into the data line of the last delta
    cut_at = splits_at((-1, len("event: response.output_text.delta\ndata: ") + 61))
    har.sse_exchange(
        "POST", "/responses", req, ev, splits=splits_at((6, 100)), cut=lambda b, s: cut_at(b, s)[0]
    )
    return har
