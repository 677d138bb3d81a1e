"""`respdeck diff` end to end, as a user runs it: on recording files (FILE#N, no database),
on a database (id prefixes, response ids), threads and captures; exit status as diff(1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import ROOT, respdeck

RECORDINGS = ROOT / "recordings"
CODEX = RECORDINGS / "whole_input_codex.har"  # one stateless Codex thread: 3 turns
ROUNDTRIP = RECORDINGS / "function_call_roundtrip.har"  # a call, then its output sent back


def har_with(path: Path, out: Path, edit: Any) -> Path:
    """A copy of a HAR whose request bodies `edit(index, body)` changed in place."""
    har = json.loads(path.read_text(encoding="utf-8"))
    entries = har["log"]["entries"]
    for index, entry in enumerate(list(entries)):
        body = json.loads(entry["request"]["postData"]["text"])
        if edit(index, body) is False:
            entries.remove(entry)
            continue
        entry["request"]["postData"]["text"] = json.dumps(body)
    out.write_text(json.dumps(har), encoding="utf-8")
    return out


def sql_rows(db: Path, sql: str) -> list[dict[str, Any]]:
    done = respdeck("sql", "--db", str(db), "--format", "json", sql)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def diff_json(*args: str) -> tuple[int, dict[str, Any]]:
    done = respdeck("diff", "--json", *args)
    assert done.returncode in (0, 1) and done.stdout.strip(), done.stderr
    return done.returncode, json.loads(done.stdout)


def test_two_exchanges_of_a_file_differ_by_meaning() -> None:
    code, doc = diff_json(f"{ROUNDTRIP}#0", f"{ROUNDTRIP}#1")
    assert code == 1 and doc["same"] is False
    assert doc["request"]["model"] == {"a": "gpt-4.1-mini", "b": "gpt-4.1-mini", "same": True}
    ops = [(e["op"], e["type"]) for e in doc["request"]["input_items"]]
    assert ops == [("removed", "message"), ("added", "function_call_output")]
    params = {p["path"]: p for p in doc["request"]["params"]}
    assert params["previous_response_id"]["op"] == "added"
    assert doc["response"]["status"] == {"a": "completed", "b": "completed", "same": True}
    assert doc["response"]["output_text"]["same"] is False
    assert [e["op"] for e in doc["response"]["output_items"]] == ["removed", "added"]
    assert doc["usage"]["input_tokens"] == {"a": 86, "b": 139, "delta": 53}
    assert doc["usage"]["cost_usd"]["a"] > 0 and doc["usage"]["cost_usd"]["delta"] > 0
    assert doc["timing"]["duration_ms"]["a"] > 0


def test_an_exchange_against_itself_is_the_same_and_exits_0() -> None:
    code, doc = diff_json(f"{ROUNDTRIP}#0", f"{ROUNDTRIP}#0")
    assert code == 0 and doc["same"] is True
    assert all(e["op"] == "equal" for e in doc["request"]["input_items"])


def test_one_word_of_the_instructions_and_new_ids_only(tmp_path: Path) -> None:
    def reword(index: int, body: dict[str, Any]) -> None:
        body["prompt_cache_key"] = "another-run"
        for item in body["input"]:
            if isinstance(item, dict) and "id" in item:
                item["id"] = item["id"] + "x"
        if index == 1:
            body["instructions"] = body["instructions"].replace("coding agent", "careful agent", 1)

    other = har_with(CODEX, tmp_path / "other.har", reword)
    code, doc = diff_json(f"{CODEX}#0", f"{other}#0")
    assert code == 0, "new ids and a new prompt_cache_key only: the same"
    code, doc = diff_json("--strict", f"{CODEX}#0", f"{other}#0")
    assert code == 1 and any(p["path"] == "prompt_cache_key" for p in doc["request"]["params"])

    code, doc = diff_json(f"{CODEX}#1", f"{other}#1")
    assert code == 1 and doc["request"]["instructions"]["same"] is False
    changed = [p for p in doc["request"]["instructions"]["diff"] if p[0] != "equal"]
    assert changed == [["delete", "coding"], ["insert", "careful"]]
    assert all(e["op"] == "equal" for e in doc["request"]["input_items"])
    code, _ = diff_json("--ignore", "instructions", f"{CODEX}#1", f"{other}#1")
    assert code == 0


def test_ids_and_response_ids_of_a_database(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    done = respdeck("import", "--db", str(db), str(ROUNDTRIP))
    assert done.returncode == 0, done.stderr
    rows = sql_rows(
        db, "SELECT exchange_id::VARCHAR AS id, response_id FROM exchanges ORDER BY seq"
    )
    first, second = rows[0], rows[1]
    by_prefix = diff_json("--db", str(db), first["id"][:8], second["id"][:6])
    by_response = diff_json("--db", str(db), first["response_id"], second["response_id"])
    from_files = diff_json(f"{ROUNDTRIP}#0", f"{ROUNDTRIP}#1")
    for code, doc in (by_prefix, by_response):
        assert code == 1
        for key in ("request", "response", "usage", "timing", "events", "findings"):
            assert doc[key] == from_files[1][key], key


def test_threads_turn_by_turn(tmp_path: Path) -> None:
    db = tmp_path / "threads.duckdb"
    assert respdeck("import", "--db", str(db), str(CODEX)).returncode == 0
    ids = [
        r["id"]
        for r in sql_rows(db, "SELECT exchange_id::VARCHAR AS id FROM exchanges ORDER BY seq")
    ]
    code, doc = diff_json("--db", str(db), "--thread", ids[0][:8], ids[2][:8])
    assert code == 0 and doc["a"]["turns"] == doc["b"]["turns"] == 3 and doc["same"] is True

    # the same run without its last turn, as a file (its own scratch store: the two threads
    # share response ids, which one store would take for one thread)
    shorter = har_with(CODEX, tmp_path / "shorter.har", lambda index, body: index < 2)
    code, doc = diff_json("--thread", f"{CODEX}#1", f"{shorter}#0")
    assert code == 1 and (doc["a"]["turns"], doc["b"]["turns"]) == (3, 2)
    assert [t["op"] for t in doc["turns"]] == ["equal", "equal", "removed"]
    total = doc["totals"]["usage"]["input_tokens"]
    assert total["delta"] == total["b"] - total["a"] < 0


def test_captures_pair_their_exchanges(tmp_path: Path) -> None:
    def edit(index: int, body: dict[str, Any]) -> bool:
        if index == 1:
            body["reasoning"]["effort"] = "high"
        return index != 2

    other = har_with(CODEX, tmp_path / "run2.har", edit)
    code, doc = diff_json("--capture", str(CODEX), str(other))
    assert code == 1
    assert doc["counts"] == {
        "a": 3, "b": 2, "paired": 2, "same": 1, "changed": 1, "only_a": 1, "only_b": 0,
    }  # fmt: skip
    changed = next(p for p in doc["pairs"] if not p["same"])
    assert (changed["a_index"], changed["b_index"]) == (1, 1)
    assert [p["path"] for p in changed["diff"]["request"]["params"]] == ["reasoning.effort"]
    assert doc["only_a"][0]["index"] == 2
    assert doc["totals"]["usage"]["total_tokens"]["delta"] < 0

    # the same two runs as captures of one database, named by id prefixes
    db = tmp_path / "runs.duckdb"
    assert respdeck("import", "--db", str(db), str(CODEX), str(other)).returncode == 0
    captures = sql_rows(db, "SELECT capture_id::VARCHAR AS id, source FROM captures")
    first = next(c["id"] for c in captures if c["source"].endswith("whole_input_codex.har"))
    second = next(c["id"] for c in captures if c["source"].endswith("run2.har"))
    code, in_db = diff_json("--db", str(db), "--capture", first[:8], second[:8])
    assert code == 1 and in_db["counts"] == doc["counts"]
    assert in_db["a"]["capture_id"] == first

    # as text: the changed pair's own diff (only its sections that differ), then the totals
    text = respdeck("diff", "--capture", str(CODEX), str(other)).stdout
    assert "~ a[1] b[1] responses.create: differs in request" in text
    pair = text[text.index("pair a[1] b[1]") : text.index("Totals")]
    assert "reasoning.effort" in pair
    assert "same: input, output" in pair and "Input items" not in pair
    assert "- a[2] responses.create" in text


def test_the_terminal_form_is_plain_when_piped() -> None:
    done = respdeck("diff", f"{ROUNDTRIP}#0", f"{ROUNDTRIP}#1")
    assert done.returncode == 1, done.stderr
    assert "\x1b[" not in done.stdout
    for title in ("Request", "Input items", "Output", "Outcome"):
        assert title in done.stdout
    assert "+ previous_response_id" in done.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nope.har#0", "x"], "nope.har: no such file"),
        ([f"{ROUNDTRIP}#9", f"{ROUNDTRIP}#0"], "has 2 exchanges"),
        ([str(ROUNDTRIP), f"{ROUNDTRIP}#0"], "#N"),
        (["--db", "{tmp}/none.duckdb", "abcd1234", "abcd"], "no database"),
        (["--db", "{tmp}/store.duckdb", "ffff0000", f"{ROUNDTRIP}#0"], "no exchange"),
        (["--db", "{tmp}/store.duckdb", "--capture", "zz", str(ROUNDTRIP)], "no capture"),
        (["--db", "{tmp}/store.duckdb", "--thread", f"{ROUNDTRIP}#0", "x"], "no exchange"),
    ],
)
def test_trouble_is_one_line_and_exit_2(tmp_path: Path, args: list[str], says: str) -> None:
    assert (
        respdeck("import", "--db", str(tmp_path / "store.duckdb"), str(ROUNDTRIP)).returncode == 0
    )
    done = respdeck("diff", *(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert done.returncode == 2
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
