"""The fields the openai SDK requires but real traffic omits, re-derived from the corpus.

addon/wire/omitted.py turns their absence from a schema mismatch (warning) into one info
finding per exchange; this test derives both of its lists again, by the rules its docstring
states, so that they name exactly what real traffic shows: nothing guessed, nothing left out.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from addon.wire.lenient import Typed
from addon.wire.models import type_item, type_object, type_payload
from addon.wire.omitted import OMITTED_BY_CLIENTS, OMITTED_BY_SERVERS, SERVER_MIN_PROJECTS
from addon.wire.result import ParsedExchange

from .conftest import CORPUS, REPORT

pytestmark = pytest.mark.corpus

# MANIFEST notes that mark a file as made by hand rather than recorded from a server
SYNTHETIC = re.compile(r"synthetic|hand-written|hand-curated|placeholder|re-serialised SDK", re.I)
# recorded from a server the recording names (not "inferred", not "no URL in fixture")
NAMED_HOST = re.compile(r"provider=([\w.<>-]+) \|")

Tally = dict[str, tuple[set[str], set[tuple[str, int]]]]  # field -> (projects, exchanges)


def real_sources() -> set[str]:
    """Corpus files (paths under CORPUS) recorded from a named host and not synthetic."""
    with (CORPUS / "MANIFEST.tsv").open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return {
        row["local_file"]
        for row in rows
        if NAMED_HOST.search(row["notes"]) and not SYNTHETIC.search(row["notes"])
    }


def server_payloads(parsed: ParsedExchange) -> Iterator[Typed]:
    """Every payload the server sent, typed: stream events and a JSON object body."""
    for event in parsed.events:
        if event.valid and not event.from_client:
            yield type_payload(event.data)[1]
    typed = type_object(parsed.body)
    if typed is not None:
        yield typed


def accepted_input_items(parsed: ParsedExchange) -> Iterator[Typed]:
    """The input items of a request the server answered successfully, typed."""
    body = parsed.request.body
    if parsed.status is None or parsed.status >= 400 or parsed.error is not None:
        return
    items = body.get("input") if isinstance(body, dict) else None
    for item in items if isinstance(items, list) else []:
        yield type_item(item, "input")


def derive(
    corpus_parsed: list[ParsedExchange], payloads: Callable[[ParsedExchange], Iterator[Typed]]
) -> Tally:
    """SDK field -> where it was the only thing missing from an otherwise valid payload."""
    real = real_sources()
    tally: Tally = defaultdict(lambda: (set(), set()))
    for parsed in corpus_parsed:
        source = Path(parsed.exchange.source).relative_to(CORPUS).as_posix()
        if source not in real:
            continue
        for typed in payloads(parsed):
            if typed.mismatches:  # not otherwise valid
                continue
            for missing in typed.missing:
                projects, exchanges = tally[missing.field]
                projects.add(source.split("/", 1)[0])
                exchanges.add((source, parsed.exchange.index))
    return tally


def report(name: str, tally: Tally, derived: set[str]) -> None:
    REPORT[name] = ", ".join(
        f"{field} {len(tally[field][1])} exchanges / {len(tally[field][0])} projects"
        for field in sorted(derived, key=lambda f: (-len(tally[f][1]), f))
    )


def test_fields_servers_omit_are_what_the_corpus_shows(corpus_parsed: list[ParsedExchange]) -> None:
    tally = derive(corpus_parsed, server_payloads)
    derived = {f for f, (projects, _) in tally.items() if len(projects) >= SERVER_MIN_PROJECTS}
    report("fields real servers omit", tally, derived)
    assert "InputTokensDetails.cache_write_tokens" in derived  # every such response lacks it
    assert derived == OMITTED_BY_SERVERS, (
        f"listed but not shown: {sorted(OMITTED_BY_SERVERS - derived)}; "
        f"shown but not listed: {sorted(derived - OMITTED_BY_SERVERS)}"
    )


def test_fields_clients_omit_are_what_the_corpus_shows(corpus_parsed: list[ParsedExchange]) -> None:
    tally = derive(corpus_parsed, accepted_input_items)
    derived = set(tally)  # one request the server accepted shows the API does not need it
    report("fields real clients omit (and servers accept)", tally, derived)
    assert "ResponseReasoningItem.id" in derived  # as Codex sends reasoning back
    assert derived == OMITTED_BY_CLIENTS, (
        f"listed but not shown: {sorted(OMITTED_BY_CLIENTS - derived)}; "
        f"shown but not listed: {sorted(derived - OMITTED_BY_CLIENTS)}"
    )
