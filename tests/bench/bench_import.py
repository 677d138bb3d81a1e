"""Benchmark: `respdeck import` against only reading and decoding the same files, serial and
with worker processes.

Run on demand (not part of the test suite):

    uv run python tests/bench/bench_import.py [--rounds 2] [--events 1000000]
        [--events-per-file 5000] [--only corpus|generated]

Two inputs: the corpus (../shared/corpus, else recordings/: 1,157 mostly small files, YAML
and JSON), and a generated one: HAR files of one streamed response each, `--events` events in
all, made from recordings/stream_text.har with its text delta repeated (each file a valid
stream: sequence numbers in order, the final response's text what the deltas add up to).
For each: the baseline is reading every file and decoding it (YAML or JSON, as detected:
`addon.importers.load_file`'s first step, not its building of exchanges), best of the rounds;
then `import_paths` into a new database, CHECKPOINT and close included, with `--jobs 1` (this
process alone) and with one worker per core. Reported: seconds, events/s, ratio to the
baseline. Targets (issue 15): the corpus import at most 2x its baseline, using both cores;
the generated import at least 60,000 events/s end to end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from addon.importers import iter_paths  # noqa: E402
from addon.importers.yamlload import load_yaml  # noqa: E402
from addon.store.db import open_for_write  # noqa: E402
from addon.store.importer import import_paths  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
TEMPLATE = ROOT / "recordings" / "stream_text.har"


def generate(folder: Path, events: int, per_file: int) -> int:
    """HAR files of one stream each, `events` deltas in all; returns the number of files."""
    har = json.loads(TEMPLATE.read_text())
    entry = har["log"]["entries"][0]
    blocks = [b for b in entry["response"]["content"]["text"].split("\n\n") if b]
    datas = [json.loads(b.split("data: ", 1)[1]) for b in blocks]
    head = [d for d in datas if not d["type"].endswith((".delta", ".done", ".completed"))]
    delta = next(d for d in datas if d["type"] == "response.output_text.delta")
    tail = [d for d in datas if d["type"].endswith((".done", ".completed"))]
    entry["response"]["content"].pop("_chunks", None)
    response_id = head[0]["response"]["id"]
    files = 0
    for start in range(0, events, per_file):
        count = min(per_file, events - start)
        text = "tok " * count
        out, seq = [], 0
        for d in head:
            out.append({**d, "sequence_number": seq})
            seq += 1
        for _ in range(count):
            out.append({**delta, "delta": "tok ", "sequence_number": seq})
            seq += 1
        for d in tail:
            out.append(_with_text({**d, "sequence_number": seq}, text))
            seq += 1
        body = "".join(
            f"event: {d['type']}\ndata: {json.dumps(d, separators=(',', ':'))}\n\n" for d in out
        ).replace(response_id, f"resp_bench{files:05d}")  # each file its own content
        entry["response"]["content"]["text"] = body
        entry["response"]["content"]["size"] = len(body.encode())
        (folder / f"stream-{files:05d}.har").write_text(json.dumps(har))
        files += 1
    return files


def _with_text(value: object, text: str) -> object:
    """The final events' text set to what the deltas add up to."""
    if isinstance(value, dict):
        if value.get("type") == "output_text" and "text" in value:
            return {**value, "text": text}
        return {k: (text if k == "text" else _with_text(v, text)) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_text(v, text) for v in value]
    return value


def read_and_decode(paths: list[Path]) -> None:
    """The baseline: every file read and decoded (JSON, else YAML), nothing built from it."""
    for path in iter_paths(paths):
        data = path.read_bytes()
        try:
            json.loads(data)
        except ValueError:
            with contextlib.suppress(Exception):  # raw SSE and other text: reading it is all
                load_yaml(data)


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def import_once(paths: list[Path], scratch: Path, jobs: int) -> tuple[float, int]:
    db = scratch / f"import-{jobs}.duckdb"
    for old in scratch.glob(db.name + "*"):
        old.unlink()
    start = time.perf_counter()
    conn = open_for_write(db)
    report = import_paths(conn, paths, jobs=jobs)
    conn.execute("CHECKPOINT")
    conn.close()
    return time.perf_counter() - start, report.events


def measure(name: str, paths: list[Path], scratch: Path, rounds: int, target: str) -> None:
    cores = len(os.sched_getaffinity(0))
    base = min(timed(lambda: read_and_decode(paths)) for _ in range(rounds))
    rows = []
    for jobs in (1, cores):
        runs = [import_once(paths, scratch, jobs) for _ in range(rounds)]
        seconds, events = min(runs)
        rows.append((jobs, seconds, events))
    print(f"\n{name}: read and decode {base:.2f} s (best of {rounds})")
    for jobs, seconds, events in rows:
        label = "1 process" if jobs == 1 else f"{jobs} workers"
        print(f"  import, {label:<10} {seconds:6.2f} s  {events / seconds:9,.0f} events/s  "
              f"{seconds / base:5.2f}x read and decode")  # fmt: skip
    print(f"  target: {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--events-per-file", type=int, default=5_000)
    parser.add_argument("--only", choices=("corpus", "generated"))
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="respdeck-bench-import-"))
    try:
        if args.only != "generated":
            corpus = CORPUS if CORPUS.is_dir() else ROOT / "recordings"
            measure(f"corpus ({corpus})", [corpus], scratch, args.rounds,
                    "import <= 2x read and decode, both cores")  # fmt: skip
        if args.only != "corpus":
            folder = scratch / "generated"
            folder.mkdir()
            files = generate(folder, args.events, args.events_per_file)
            measure(f"generated ({files} HAR files, {args.events:,} events)", [folder], scratch,
                    args.rounds, ">= 60,000 events/s end to end")  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
