"""Every shipped recording in the order recordings/README.md lists it, and that README."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import background, codex, endpoints, errors, formats, streaming, websocket
from .har import Har, render


@dataclass(frozen=True)
class Recording:
    name: str
    build: Callable[[], bytes]
    description: str


def har(scenario: Callable[[], Har]) -> Callable[[], bytes]:
    return lambda: render(scenario())


RECORDINGS = [
    Recording(
        "stream_text.har",
        har(streaming.stream_text),
        "streamed text answer (café, \u2615, \U0001f950; one chunk boundary "
        "splits a UTF-8 character), usage with cached tokens",
    ),
    Recording(
        "function_call_roundtrip.har",
        har(streaming.function_call_roundtrip),
        "streamed `get_weather` function call, then a non-streamed "
        "create with `previous_response_id` and the `function_call_output`",
    ),
    Recording(
        "reasoning.har",
        har(streaming.reasoning),
        "gpt-5 stream with reasoning summary events, `encrypted_content`, "
        "`store: false`, reasoning tokens",
    ),
    Recording(
        "web_search.har",
        har(streaming.web_search),
        "hosted web search (`web_search_call` in_progress/searching/completed, "
        "action with sources) and `url_citation` annotations; older server, usage without "
        "`cache_write_tokens`",
    ),
    Recording(
        "stream_error.har",
        har(errors.stream_error),
        "in-stream `error` event in the nested form followed by "
        "`response.failed`; the flat form ending the stream; an HTTP 429 JSON error",
    ),
    Recording(
        "stream_cut.har",
        har(errors.stream_cut),
        "a stream cut off in the middle of an `output_text.delta` data line, no terminal event",
    ),
    Recording(
        "compact.har",
        har(endpoints.compact),
        "`POST /v1/responses/compact` returning a `response.compaction` (user "
        "messages + `compaction` item)",
    ),
    Recording(
        "input_items.har",
        har(endpoints.input_items),
        "`GET /v1/responses/{id}/input_items`, `GET /v1/responses/{id}`, "
        "`POST /v1/responses/input_tokens`",
    ),
    Recording(
        "conversation.har",
        har(endpoints.conversation),
        "Conversations API: create, add items, a create with `conversation`, list items, delete",
    ),
    Recording(
        "gzip_stream.har",
        har(streaming.gzip_stream_scenario),
        "a stream with `Content-Encoding: gzip` (body base64 in the HAR, chunks "
        "over the compressed bytes)",
    ),
    Recording(
        "background.har",
        har(background.background),
        "background mode: create (queued), poll (in_progress), resumed stream "
        "`?stream=true&starting_after=3` (replayed key order, no obfuscation), delete; a second "
        "response created and cancelled; older server, usage without `cache_write_tokens`",
    ),
    Recording(
        "websocket.har",
        har(websocket.websocket),
        "WebSocket mode: one `wss://` entry (101) with Chrome-style "
        "`_webSocketMessages`, two `response.create` turns on one socket",
    ),
    Recording(
        "websocket_codex.har",
        har(codex.websocket_codex),
        "Codex over the WebSocket mode: a warm-up `response.create` with `generate: false`, "
        "the request, then only the `function_call_output` with `previous_response_id`",
    ),
    Recording(
        "whole_input_codex.har",
        har(codex.whole_input_codex),
        "a Codex session over HTTP/SSE: `store: false`, four turns each resending the whole "
        "input (ids dropped), shell tool calls, encrypted reasoning, `prompt_cache_key` and "
        "`session-id` / `thread-id` headers, no `previous_response_id`",
    ),
    Recording(
        "vcr_cassette.yaml",
        lambda: formats.vcr_cassette().encode(),
        "VCR.py cassette with one non-streamed create (body as a string); "
        "older server, usage without `cache_write_tokens`",
    ),
    Recording(
        "raw_stream.sse",
        formats.raw_stream,
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
""" + "".join(f"| `{r.name}` | {r.description} |\n" for r in RECORDINGS)


def build() -> dict[str, bytes]:
    """Every file's bytes, README.md last."""
    files = {r.name: r.build() for r in RECORDINGS}
    files["README.md"] = README.encode()
    return files
