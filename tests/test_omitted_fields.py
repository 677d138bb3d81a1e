"""The fields the openai SDK requires but real servers omit, re-derived from the corpus.

`lenient.OMITTED_BY_SERVERS` turns their absence from a schema mismatch (warning) into one
info finding per exchange; this test derives the list again, by the rule its comment states,
so that it names exactly what real traffic shows, nothing guessed and nothing left out.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from addon.wire.lenient import OMITTED_BY_SERVERS, Typed
from addon.wire.models import type_object
from addon.wire.result import ParsedExchange
from addon.wire.stream import type_payload

from .conftest import CORPUS, REPORT

pytestmark = pytest.mark.corpus

MIN_PROJECTS = 3
# MANIFEST notes that mark a file as made by hand rather than recorded from a server
SYNTHETIC = re.compile(r"synthetic|hand-written|hand-curated|placeholder|re-serialised SDK", re.I)
# recorded from a server the recording names (not "inferred", not "no URL in fixture")
NAMED_HOST = re.compile(r"provider=([\w.<>-]+) \|")


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


def derive(corpus_parsed: list[ParsedExchange]) -> dict[str, tuple[set[str], int]]:
    """SDK field -> (projects, exchanges) where it was the only thing missing from a payload."""
    real = real_sources()
    projects: dict[str, set[str]] = defaultdict(set)
    exchanges: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for parsed in corpus_parsed:
        source = Path(parsed.exchange.source).relative_to(CORPUS).as_posix()
        if source not in real:
            continue
        for typed in server_payloads(parsed):
            # otherwise valid: whatever failed validation is a missing field
            if not typed.missing or not all(m.endswith("(missing)") for m in typed.mismatches):
                continue
            for missing in typed.missing:
                projects[missing.field].add(source.split("/", 1)[0])
                exchanges[missing.field].add((source, parsed.exchange.index))
    return {name: (projects[name], len(exchanges[name])) for name in projects}


def test_omitted_by_servers_is_what_the_corpus_shows(corpus_parsed: list[ParsedExchange]) -> None:
    tally = derive(corpus_parsed)
    derived = {name for name, (projects, _) in tally.items() if len(projects) >= MIN_PROJECTS}
    REPORT["fields real servers omit"] = ", ".join(
        f"{name} {tally[name][1]} exchanges / {len(tally[name][0])} projects"
        for name in sorted(derived, key=lambda n: -tally[n][1])
    )
    assert "InputTokensDetails.cache_write_tokens" in derived  # the one every response lacks
    assert derived == OMITTED_BY_SERVERS, (
        f"listed but not shown: {sorted(OMITTED_BY_SERVERS - derived)}; "
        f"shown but not listed: {sorted(derived - OMITTED_BY_SERVERS)}"
    )
