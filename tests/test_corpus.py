"""Every exchange of the shared corpus of real traffic goes through the wire core.

Skipped, with a visible reason, when ../shared/corpus is absent.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import openai
import pytest

from addon.wire.accumulate import Accumulator, compare_output
from addon.wire.parse import parse_exchange
from addon.wire.result import ParsedExchange

from .conftest import REPORT
from .helpers import sdk_final

pytestmark = pytest.mark.corpus


def test_every_corpus_exchange_parses(corpus_parsed: list[ParsedExchange]) -> None:
    endpoints = Counter(p.endpoint for p in corpus_parsed)
    findings = Counter(f.code for p in corpus_parsed for f in p.findings)
    unknown: Counter[str] = Counter()
    for p in corpus_parsed:
        unknown.update(p.unknown_types)
    streams = sum(p.streamed for p in corpus_parsed)
    REPORT["exchanges"] = f"{len(corpus_parsed)} ({streams} streamed)"
    REPORT["by endpoint"] = ", ".join(f"{k} {v}" for k, v in endpoints.most_common())
    REPORT["findings"] = ", ".join(f"{k} {v}" for k, v in findings.most_common())
    REPORT["unknown types"] = ", ".join(f"{k} {v}" for k, v in unknown.most_common())
    responses_api = sum(n for e, n in endpoints.items() if e != "other")
    assert responses_api >= 1700
    assert streams >= 450
    # every response object came out typed, also those strict validation rejects
    typed = [p for p in corpus_parsed if p.response_raw is not None]
    assert typed and all(p.response is not None for p in typed)
    assert unknown["some_future_type"] >= 1 and unknown["keepalive"] >= 1


def _terminal(parsed: ParsedExchange) -> dict[str, Any] | None:
    for event in reversed(parsed.events):
        if event.type == "response.completed" and isinstance(event.get("response"), dict):
            return event.get("response")
    return None


def _completed_streams(corpus_parsed: list[ParsedExchange]) -> list[ParsedExchange]:
    return [
        p
        for p in corpus_parsed
        if p.streamed and p.endpoint != "responses.websocket" and _terminal(p) is not None
    ]


def test_accumulated_output_equals_response_completed(
    corpus_parsed: list[ParsedExchange],
) -> None:
    checked = skipped_empty = 0
    failures = []
    for parsed in _completed_streams(corpus_parsed):
        terminal = _terminal(parsed)
        assert terminal is not None
        if not terminal.get("output"):
            skipped_empty += 1  # synthetic fixtures whose completed event leaves output empty
            continue
        acc = Accumulator()
        for event in parsed.events:
            data = event.data
            if isinstance(data, dict) and not event.from_client:
                acc.feed(event.index, data)
        reason = compare_output(acc.result().response["output"], terminal["output"])
        if reason:
            failures.append(f"{parsed.exchange.source}#{parsed.exchange.index}: {reason}")
        checked += 1
    REPORT["accumulated == response.completed"] = (
        f"{checked} streams ({skipped_empty} more have an empty completed output)"
    )
    assert checked >= 300
    assert not failures, "\n".join(failures[:20])


# The SDK's SSE decoder is strict where respdeck is lenient: it merges events that have no
# blank line between them and drops a last event that has none after it; its helper also
# refuses streams whose item or response ids change midway (providers that rotate ids).
SDK_STRICTER = ("Didn't receive a `response.completed` event", "identit")
EXPLAINED_BY = {
    "sse_missing_blank_line",
    "sse_unterminated",
    "item_id_changed",
    "item_id_duplicate",
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # SDK to_dict() of leniently built models
def test_openai_sdk_agrees_on_every_completed_stream(corpus_parsed: list[ParsedExchange]) -> None:
    agreed = 0
    refused: list[str] = []
    failures = []
    for parsed in _completed_streams(corpus_parsed):
        if parsed.events[0].type != "response.created":
            continue  # the SDK helper requires response.created first
        name = f"{parsed.exchange.source}#{parsed.exchange.index}"
        try:
            final = sdk_final(parsed)
        except (openai.APIError, RuntimeError) as exc:
            codes = {f.code for f in parsed.findings}
            if any(s in str(exc) for s in SDK_STRICTER) and codes & EXPLAINED_BY:
                refused.append(f"{name}: {exc}")
                assert parsed.response is not None  # respdeck still has the final response
            else:
                failures.append(f"{name}: SDK raised {exc}")
            continue
        sdk_output = [item.to_dict() for item in final.output]
        ours = parsed.response_raw["output"] if parsed.response_raw else []
        reason = compare_output(ours, sdk_output)
        if reason:
            failures.append(f"{name}: {reason}")
        elif (final.output_text or None) != (parsed.output_text or None) and sum(
            i.get("type") == "message" for i in sdk_output
        ) <= 1:
            failures.append(f"{name}: output_text differs")
        else:
            agreed += 1
    REPORT["openai SDK stream helper agrees"] = (
        f"{agreed} streams; it refused {len(refused)} that respdeck parses: "
        + "; ".join(r.rsplit("/", 1)[-1] for r in refused)
    )
    assert agreed >= 300
    assert len(refused) <= agreed // 30
    assert not failures, "\n".join(failures[:20])


def test_corpus_parse_is_deterministic(corpus_parsed: list[ParsedExchange]) -> None:
    sample = corpus_parsed[:: max(1, len(corpus_parsed) // 50)]
    for parsed in sample:
        again = parse_exchange(parsed.exchange)
        assert [f.to_json() for f in again.findings] == [f.to_json() for f in parsed.findings]
        assert again.response_raw == parsed.response_raw
