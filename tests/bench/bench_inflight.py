"""Benchmark a long stream in flight: the ingester's CPU time per event as the stream grows.

Run on demand (not part of the test suite):

    uv run python tests/bench/bench_inflight.py [--events 100000] [--every 1000] [--window 10000]

A generated stream (one message, `--events` events, one chunk each, realistic payloads)
grows in a snapshot file the way the proxy writes it (addon/recorder/snapshot: a head, then an
append of the new chunks every `--every` events), and the ingester's in-flight path shows it
after each append, into a fresh local store:

- incremental: what the ingester does now (addon/recorder/in_flight: the file read on from
  its offset, the new bytes parsed on from where they were, new event rows appended, the
  response, items and findings rows replaced);
- whole: the old path, the baseline, in the same run: the whole partial exchange parsed at
  each snapshot (`parse_record`) and all its rows rewritten (`Writer.show_in_flight`).

Figures: CPU time (this process, all its threads: DuckDB's included) per event over each
`--window` events of the stream, in µs, for both; the target is that the incremental path's
figure stays flat from the first window to the last (time linear in the events), where the
baseline's grows with the stream (quadratic). `--skip-whole` leaves the baseline out.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from addon.recorder.in_flight import InFlight
from addon.recorder.ingest import parse_record
from addon.recorder.journal import Record
from addon.recorder.snapshot import append_more, write_head
from addon.store.db import open_for_write
from addon.store.writer import Writer
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings
from tests.helpers import API, sse_body, text_stream

WORDS = ["the ", "quick ", "brown ", "fox ", "jumps ", "over ", "a ", "lazy ", "dog. "]


def stream_chunks(events: int) -> list[bytes]:
    """`events` SSE events of one streamed message, each event its own chunk."""
    deltas = [WORDS[i % len(WORDS)] for i in range(max(1, events - 8))]
    return [sse_body([event]) for event in text_stream(deltas)][:events]


def head(chunks: list[bytes]) -> Exchange:
    request = json.dumps({"model": "gpt-4.1-mini", "input": "tell a story", "stream": True})
    body = b"".join(chunks)
    return Exchange(
        HttpRequest(
            "POST", f"{API}/responses", [("content-type", "application/json")], request.encode()
        ),
        HttpResponse(
            200,
            [("content-type", "text/event-stream")],
            body,
            [(float(i), len(c)) for i, c in enumerate(chunks)],
        ),
        Timings(None, 1.0, float(len(chunks))),
    )


def run(chunks: list[bytes], every: int, window: int, whole: bool, tmp: Path) -> list[float]:
    """CPU seconds spent showing the stream, per window of events."""
    folder = tmp / ("whole" if whole else "incremental") / "run.inflight"
    conn = open_for_write(folder.parent / "db.duckdb")
    writer = Writer(conn)
    capture = writer.add_capture("record", "run.rdj")
    writer.flush()
    in_flight = InFlight()
    spent = [0.0] * (-(-len(chunks) // window))
    done = 0
    while done < len(chunks):
        upto = min(len(chunks), done + every)
        if whole:  # the old path: the whole partial exchange each time
            record = Record(head(chunks[:upto]), None, "f1")
            started = time.process_time()
            record.exchange.index = -1
            writer.show_in_flight(capture, "f1", parse_record(record))
        else:  # the proxy's appends; the ingester's work is what is timed
            if done == 0:
                write_head(folder, "f1", head(chunks[:upto]))
            else:
                new = chunks[done:upto]
                rows = [(float(done + i), len(c)) for i, c in enumerate(new)]
                append_more(folder, "f1", rows, new, float(upto))
            started = time.process_time()
            in_flight.refresh(writer, capture, folder, ())
        spent[(upto - 1) // window] += time.process_time() - started
        done = upto
    count = conn.execute("SELECT count(*) FROM events").fetchone()
    assert count == (len(chunks),), count
    conn.close()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=1000, help="events per snapshot")
    parser.add_argument("--window", type=int, default=10_000)
    parser.add_argument("--skip-whole", action="store_true")
    args = parser.parse_args()
    chunks = stream_chunks(args.events)
    print(
        f"{len(chunks):,} events, {sum(map(len, chunks)):,} bytes, a snapshot every "
        f"{args.every:,} events; CPU µs per event, per {args.window:,} events"
    )
    with tempfile.TemporaryDirectory() as tmp:
        paths = [("incremental", False)] + ([] if args.skip_whole else [("whole", True)])
        results = {}
        for name, whole in paths:
            started = time.process_time()
            results[name] = run(chunks, args.every, args.window, whole, Path(tmp))
            print(f"{name}: {time.process_time() - started:.2f} s CPU in all", flush=True)
    print(f"{'events':>17}  " + "  ".join(f"{name:>12}" for name in results))
    for i in range(len(results["incremental"])):
        low, high = i * args.window, min(len(chunks), (i + 1) * args.window)
        figures = "  ".join(f"{spent[i] / (high - low) * 1e6:12.1f}" for spent in results.values())
        print(f"{low:>8,}-{high:<8,}  {figures}")
    inc = results["incremental"]
    last = min(len(chunks), len(inc) * args.window) - (len(inc) - 1) * args.window
    ratio = (inc[-1] / last) / (inc[0] / min(args.window, len(chunks)))
    print(f"incremental: last window / first window = {ratio:.2f} (flat: about 1)")


if __name__ == "__main__":
    main()
