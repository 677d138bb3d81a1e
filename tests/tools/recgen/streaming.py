"""Streamed answers: text, a function call and its result, reasoning, web search, gzip."""

from __future__ import annotations

from datetime import UTC, datetime

from .common import MAY, NEW, Json, cj, epoch, fernet_like, n_tokens
from .events import splits_at
from .har import Har
from .responses import usage
from .scenario import (
    WEATHER_TOOL,
    WEATHER_TOOL_ECHO,
    assistant_message,
    completed,
    open_json,
    open_stream,
)


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
    ev, spec = open_stream(
        har, (380, 520), 60, "gpt-4.1-mini-2025-04-14", previous_response_id=prev
    )
    text = (
        "Here are three cosy spots in the Marais for a rainy afternoon \u2615:\n\n"
        "1. **Café des Archives** \u2013 big windows, deep armchairs and a proper café crème.\n"
        "2. **La Petite Théière** \u2013 mismatched teacups and a towering lemon tart.\n"
        "3. **Brûlerie Saint-Paul** \u2013 roasts its own beans; grab a croissant "
        "\U0001f950 too.\n\n"
        "Bonne après-midi !"
    )
    msg = ev.message(0, har.ids.obj("msg", spec.created_at + 1), [text])
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
    ev, spec = open_stream(
        har, (420, 640), 80, "gpt-4.1-mini-2025-04-14", tools=[WEATHER_TOOL_ECHO]
    )
    call_id = har.ids.call()
    deltas = ['{"', "city", '":"', "Paris", '","', "unit", '":"', "c", "elsius", '"}']
    fc = ev.function_call(0, har.ids.obj("fc", spec.created_at + 1), call_id, "get_weather", deltas)
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
    wait, spec2 = open_json(
        har,
        (900, 1400),
        700,
        "gpt-4.1-mini-2025-04-14",
        previous_response_id=spec.id,
        tools=[WEATHER_TOOL_ECHO],
    )
    created2 = spec2.created_at
    answer = (
        "It's 18 °C in Paris right now with light rain and 82% humidity \u2014 "
        "take an umbrella if you're heading out."
    )
    msg = assistant_message(har.ids.obj("msg", created2 + 1), answer)
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
    # the server reports the summary mode it resolved "auto" to
    ev, spec = open_stream(
        har,
        (560, 780),
        90,
        "gpt-5-2025-08-07",
        effort="medium",
        summary="detailed",
        store=False,
    )
    created = spec.created_at
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
    ev, spec = open_stream(
        har, (330, 460), 70, "gpt-4.1-2025-04-14", tools=[tool_echo], web_searches=1
    )
    created = spec.created_at
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
    ev, spec = open_stream(har, (300, 450), 50, "gpt-4.1-nano-2025-04-14")
    tip = (
        "Grind your beans right before brewing and weigh them: about 60 g of coffee per "
        "litre of water is a reliable starting ratio."
    )
    msg = ev.message(0, har.ids.obj("msg", spec.created_at + 1), [tip])
    completed(ev, spec, [msg], usage(NEW, 19, n_tokens(tip)), har)
    har.sse_exchange("POST", "/responses", req, ev, gzip=True)
    return har
