"""The diff on real recordings (../shared/corpus), through the path `respdeck diff FILE#N` takes:
`Sources(None).side("FILE#N")` imports the file into a scratch store in memory and reads the
side back with the store's SQL.

- Every exchange diffed against itself is `same`, also with `--strict` (a sample over every
  project of the corpus, each recording format it has).
- Consecutive turns of a stateless agent session (each request resends the conversation) show
  the resent items `equal` and the new ones `added` at the end.
- A whole file diffed against itself as a capture pairs every exchange with itself.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from inspector.diff import DiffSide, Sources, diff_exchanges
from inspector.diff.captures import diff_captures

from .conftest import CORPUS, REPORT

pytestmark = pytest.mark.corpus

FILES_PER_PROJECT = 3  # at most, one of each recording format first
EXCHANGES_PER_FILE = 4

# Stateless sessions (found by their requests: each resends the one before it and adds to it),
# one or two per project: (file under the corpus, the turn n whose request turn n + 1 extends).
SESSIONS = [
    (
        "DataDog__dd-trace-py/tests__contrib__openai_agents__cassettes__test_multiple_agent_handoffs.yaml",
        1,
    ),
    (
        "Mirascope__mirascope/python__tests__e2e__input__cassettes__test_caching_multi_turn_conversation__openai_gpt_4o_responses.yaml",
        1,
    ),
    (
        "Mirascope__mirascope/python__tests__e2e__output__cassettes__test_call_with_tools__openai_gpt_4o_responses__stream.yaml",
        0,
    ),
    (
        "crmne__ruby_llm/spec__fixtures__vcr_cassettes__chat_function_calling_openai_gpt-5-nano_can_use_tools_in_multi-turn_conversations.yml",
        1,
    ),
    ("posit-dev__chatlas/tests___vcr__test_provider_openai__test_data_extraction.yaml", 1),
    ("posit-dev__chatlas/tests___vcr__test_provider_openai__test_openai_tool_variations.yaml", 0),
    (
        "pydantic__pydantic-ai/tests__cassettes__test_tool_search__test_openai_hosted_tool_search_stateless_continuation.yaml",
        1,
    ),
    (
        "pydantic__pydantic-ai/tests__models__cassettes__test_bedrock_mantle__test_reused_tool_call_ids[stream].yaml",
        1,
    ),
]


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus not present: corpus tests skipped")
    return CORPUS


def sample(corpus: Path) -> list[Path]:
    """Up to FILES_PER_PROJECT files of each project, a file of each format first (the
    manifest's order within a format), so every importer's sides are diffed."""
    with (corpus / "MANIFEST.tsv").open(newline="") as f:
        rows = sorted(csv.DictReader(f, delimiter="\t"), key=lambda r: r["local_file"])
    by_project: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_project[row["repo"]].append(row)
    chosen = []
    for project_rows in by_project.values():
        firsts = list({r["format"]: r for r in reversed(project_rows)}.values())
        rest = [r for r in project_rows if r not in firsts]
        for row in (firsts + rest)[:FILES_PER_PROJECT]:
            chosen.append(corpus / row["local_file"])
    return chosen


def json_plain(doc: dict[str, Any]) -> dict[str, Any]:
    """The document through JSON, as `--json` prints it (raises on anything not JSON)."""
    loaded: dict[str, Any] = json.loads(json.dumps(doc, allow_nan=False))
    return loaded


def test_every_sampled_exchange_is_same_as_itself(corpus: Path) -> None:
    files = sample(corpus)
    projects = {p.relative_to(corpus).parts[0] for p in files}
    assert len(projects) >= 10, "the sample covers the corpus's projects"
    compared = 0
    with Sources(None) as sources:
        for path in files:
            _, exchanges = sources.capture(str(path))
            assert exchanges, path
            for n in range(min(len(exchanges), EXCHANGES_PER_FILE)):
                _, a = sources.side(f"{path}#{n}")
                _, b = sources.side(f"{path}#{n}")
                for strict in (False, True):
                    doc = json_plain(diff_exchanges(a, b, strict=strict))
                    assert doc["same"] is True, (path, n, strict)
                    for items in (doc["request"]["input_items"], doc["response"]["output_items"]):
                        assert {e["op"] for e in items} <= {"equal"}
                    assert all(v["delta"] in (0, None) for v in doc["usage"].values())
                compared += 1
    REPORT["diff: exchanges diffed against themselves"] = f"{compared} in {len(files)} files"
    assert compared >= len(files)


def test_stateless_session_turns_resend_then_add(corpus: Path) -> None:
    with Sources(None) as sources:
        for name, n in SESSIONS:
            path = corpus / name
            _, a = sources.side(f"{path}#{n}")
            _, b = sources.side(f"{path}#{n + 1}")
            a_len, b_len = len(a.request["input"]), len(b.request["input"])
            assert b_len > a_len, name
            doc = json_plain(diff_exchanges(a, b))
            entries = doc["request"]["input_items"]
            assert [e["op"] for e in entries] == ["equal"] * a_len + ["added"] * (b_len - a_len)
            assert [e["b_index"] for e in entries] == list(range(b_len))
            assert [e["a_index"] for e in entries[:a_len]] == list(range(a_len))
            assert doc["same"] is False  # the new turn added to the conversation


def test_files_against_themselves_and_neighbours_as_captures(corpus: Path) -> None:
    files = sample(corpus)[::3]
    with Sources(None) as sources:
        for path in files:
            _, a = sources.capture(str(path))
            _, b = sources.capture(str(path))
            doc = json_plain(diff_captures(a, b))
            assert doc["same"] is True, path
            assert doc["counts"]["paired"] == len(a) and not doc["only_a"] and not doc["only_b"]
            # consecutive exchanges diffed against each other: whatever differs, nothing raises
            for x, y in pairwise(a):
                json_plain(diff_exchanges(x, y))
                json_plain(diff_exchanges(y, x, strict=True))


def test_sides_are_what_the_store_read(corpus: Path) -> None:
    """A file's side carries its request, response and numbers: the diff compares real data,
    not two empty sides (which would be trivially the same)."""
    name, n = SESSIONS[0]
    with Sources(None) as sources:
        _, side = sources.side(f"{corpus / name}#{n}")
    assert isinstance(side, DiffSide)
    assert side.request.get("model") and side.request.get("input")
    assert side.response is not None and side.response.get("output")
    assert side.http_status == 200 and side.usage.get("total_tokens")
