"""Fields the openai SDK requires that real traffic leaves out: usual, not a schema mismatch.

Each is named "Class.field", the SDK class that declares the field. Both lists are derived from
the shared corpus of real traffic, and re-derived by tests/test_omitted_fields.py so they stay
honest. Sources: the corpus files recorded from a named host and not marked synthetic or
hand-written in MANIFEST.tsv. A field counts where it was the only thing missing from an
otherwise valid payload.

- Servers (stream events and response bodies): listed when it was missing in the recordings of
  at least SERVER_MIN_PROJECTS independent projects. Counts when derived (exchanges /
  projects): cache_write_tokens 1293 / 15, from every server that does not send it; logprobs
  8 / 4 and sequence_number 6-8 / 3, from 2025 servers.
- Clients (request input items): listed when it was missing from a request that the server
  answered successfully, which shows the API does not require it: reasoning items without id
  36 exchanges (ruby_llm, against OpenAI, xAI and Azure; Codex does the same), an
  image_generation_call echoed without status 2 (pydantic-ai, OpenAI).

Their absence is one info finding per exchange and path (`field_omitted`).
"""

from __future__ import annotations

SERVER_MIN_PROJECTS = 3

OMITTED_BY_SERVERS: frozenset[str] = frozenset(
    {
        "InputTokensDetails.cache_write_tokens",
        "ResponseTextDeltaEvent.logprobs",
        "ResponseTextDoneEvent.logprobs",
        "ResponseCreatedEvent.sequence_number",
        "ResponseInProgressEvent.sequence_number",
        "ResponseOutputItemAddedEvent.sequence_number",
        "ResponseOutputItemDoneEvent.sequence_number",
        "ResponseContentPartAddedEvent.sequence_number",
        "ResponseContentPartDoneEvent.sequence_number",
        "ResponseTextDeltaEvent.sequence_number",
        "ResponseTextDoneEvent.sequence_number",
        "ResponseCompletedEvent.sequence_number",
    }
)

OMITTED_BY_CLIENTS: frozenset[str] = frozenset(
    {
        "ResponseReasoningItem.id",
        "ImageGenerationCall.status",
    }
)


def usually_omitted(field: str, in_request: bool) -> bool:
    """Whether real traffic leaves this SDK field out: servers anywhere, clients in requests."""
    return field in OMITTED_BY_SERVERS or (in_request and field in OMITTED_BY_CLIENTS)
