"""Benchmark: decode + type + accumulate every recorded stream, against json.loads alone.

Run on demand (not part of the test suite):

    uv run python tests/bench/bench_parse.py [--rounds 5] [--streams 10] [PATH ...]

Uses ../shared/corpus when present, else recordings/. The baseline is `json.loads` of exactly
the same SSE data payloads, measured in the same run, so the ratio is comparable across
machines. Targets (issue 15): >= 100,000 events/s on one core; <= 2x the time of json.loads
alone. `--streams N` also lists the N streams that cost the most, each against json.loads of
its own payloads: where the time goes (fat payloads such as logprobs cost pydantic far more
than they cost json).
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from addon.importers import ImportFailure, iter_paths, load_file
from addon.wire.accumulate import Accumulator
from addon.wire.body_events import decoded_body, sse_events
from addon.wire.collect import Collector
from addon.wire.exchange import Exchange, HttpResponse
from addon.wire.parse import parse_exchange
from addon.wire.sse import SseDecoder, decode_all
from addon.wire.verdicts import event_verdict, flat_validator

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"


def load_streams(paths: list[Path]) -> list[Exchange]:
    streams = []
    for path in iter_paths(paths):
        try:
            exchanges = load_file(path)
        except ImportFailure:
            continue
        for exchange in exchanges:
            parsed = parse_exchange(exchange)
            if parsed.streamed and exchange.websocket is None and parsed.events:
                streams.append(exchange)
    return streams


def payloads_of(exchange: Exchange) -> list[str]:
    """The JSON payloads respdeck parses: SSE data, split where events lack blank lines."""
    assert exchange.response is not None
    body = b"".join(piece for _, piece in decoded_body(exchange.response, Collector()))
    out = []
    for event in decode_all(body):
        for payload in event.data.split("\n") if "}\n{" in event.data else [event.data]:
            try:
                json.loads(payload)
            except ValueError:
                continue  # invalid JSON: not part of the baseline
            out.append(payload)
    return out


def best_of(rounds: int, *works: Callable[[], object]) -> list[float]:
    """Best CPU time of each work; rounds interleave the works so machine noise hits all."""
    best = [float("inf")] * len(works)
    for _ in range(rounds):
        for i, work in enumerate(works):
            gc.collect()
            start = time.process_time()
            work()
            best[i] = min(best[i], time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--streams", type=int, default=0, help="list the N costliest streams")
    parser.add_argument("--parts", action="store_true", help="time each part of the pipeline")
    parser.add_argument(
        "--work",
        choices=("none", "json", "pipeline", "parse"),
        help="run one pass of just this after setup and print nothing: for counting "
        "instructions under `valgrind --tool=callgrind`, which machine noise does not move",
    )
    args = parser.parse_args()
    paths = args.paths or [CORPUS if CORPUS.is_dir() else ROOT / "recordings"]
    streams = load_streams(paths)
    payloads = [p for ex in streams for p in payloads_of(ex)]

    def baseline() -> None:
        for payload in payloads:
            json.loads(payload)

    def pipeline() -> None:
        """What the target names: decode (content + SSE), type, accumulate."""
        for exchange in streams:
            assert exchange.response is not None
            acc = Accumulator()
            sse_events(exchange.response, Collector(), acc.feed)
            acc.result()

    def respdeck() -> None:
        """Everything `respdeck parse` does: also request, items, findings, final typing."""
        for exchange in streams:
            parse_exchange(exchange)

    # The loaded corpus is setup, not work: keep the collector from re-scanning it each run
    # (a recorder's heap holds no such pile). Both sides run under the same setting.
    gc.collect()
    gc.freeze()
    if args.work:
        {"none": lambda: None, "json": baseline, "pipeline": pipeline, "parse": respdeck}[
            args.work
        ]()
        return
    events = sum(len(parse_exchange(ex).events) for ex in streams)
    data_mb = sum(len(p) for p in payloads) / 1e6
    t_json, t_pipe, t_ours = best_of(args.rounds, baseline, pipeline, respdeck)
    print(f"input: {', '.join(map(str, paths))}")
    print(
        f"streams: {len(streams)}, events: {events}, data payloads: {len(payloads)} "
        f"({data_mb:.1f} MB)"
    )
    print(
        f"json.loads alone:       {t_json * 1e3:8.1f} ms  {len(payloads) / t_json:12,.0f} events/s"
    )
    print(
        f"decode+type+accumulate: {t_pipe * 1e3:8.1f} ms  {events / t_pipe:12,.0f} events/s"
        f"  {t_pipe / t_json:.2f}x json.loads"
    )
    print(
        f"whole parse_exchange:   {t_ours * 1e3:8.1f} ms  {events / t_ours:12,.0f} events/s"
        f"  {t_ours / t_json:.2f}x json.loads"
    )
    print(
        "targets (decode+type+accumulate): >= 100,000 events/s "
        f"[{'met' if events / t_pipe >= 100_000 else 'NOT met'}], <= 2x json.loads "
        f"[{'met' if t_pipe / t_json <= 2 else 'NOT met'}]"
    )
    if args.parts:
        parts(streams, payloads, args.rounds, t_json, t_pipe)
    if args.streams:
        costliest(streams, args.streams, args.rounds, t_pipe)


def parts(
    streams: list[Exchange], payloads: list[str], rounds: int, t_json: float, t_pipe: float
) -> None:
    """Each part of the pipeline alone, in the same run: where the time goes, and what the
    parts no parser can skip (framing, parsing, validating each flat event once) cost."""
    datas = [orjson.loads(p) for p in payloads]
    flat, other = [], []
    for data in datas:
        kind = data.get("type") if isinstance(data, dict) else None
        validator = flat_validator(kind) if isinstance(kind, str) else None
        if validator is not None and _validates(validator, data):
            flat.append((validator, data))
        elif isinstance(data, dict):
            other.append(data)

    def framing() -> None:
        for exchange in streams:
            assert exchange.response is not None
            decoder = SseDecoder()
            for _, data in decoded_body(exchange.response, Collector()):
                decoder.feed_fields(data)
            decoder.close_fields()

    def parsing() -> None:
        for payload in payloads:
            orjson.loads(payload)

    def flat_validation() -> None:
        for validator, data in flat:
            validator.validate_python(data)

    def other_typing() -> None:  # in arrival order: the memos work as in parsing
        for data in other:
            event_verdict(data)

    per_stream = [payloads_of(exchange) for exchange in streams]

    def parsing_and_accumulating() -> None:  # the accumulator owns what it is fed: fresh dicts
        for stream in per_stream:
            acc = Accumulator()
            for index, payload in enumerate(stream):
                data = orjson.loads(payload)
                if isinstance(data, dict):
                    acc.feed(index, data)
            acc.result()

    times = best_of(
        rounds, framing, parsing, flat_validation, other_typing, parsing_and_accumulating
    )
    t_frame, t_parse, t_flat, t_other, t_parse_acc = times
    rows = [
        ("content decoding + SSE framing", t_frame),
        ("orjson.loads", t_parse),
        (f"{len(flat)} flat events validated, no model", t_flat),
        (f"{len(other)} other events typed", t_other),
        ("accumulating (with parsing, less parsing)", t_parse_acc - t_parse),
    ]
    print("where the time goes (each part alone):")
    for label, t in rows:
        print(f"  {label:44s} {t * 1e3:8.1f} ms  {t / t_json:5.2f}x json.loads")
    total = sum(t for _, t in rows)
    print(f"  {'sum of the parts':44s} {total * 1e3:8.1f} ms  (the pipeline: {t_pipe * 1e3:.1f})")
    floor = t_frame + t_parse + t_flat
    print(f"framing + parsing + validating each flat event once: {floor / t_json:.2f}x json.loads")


def _validates(validator: Any, data: Any) -> bool:
    try:
        validator.validate_python(data)
    except ValidationError:
        return False
    return True


def costliest(streams: list[Exchange], count: int, rounds: int, total: float) -> None:
    """The streams that take the most of the pipeline's time, each against json.loads of its
    own payloads."""
    rows = []
    for exchange in streams:
        assert exchange.response is not None
        response = exchange.response
        payloads = payloads_of(exchange)

        def loads(payloads: list[str] = payloads) -> None:
            for payload in payloads:
                json.loads(payload)

        def pipe(response: HttpResponse = response) -> None:
            acc = Accumulator()
            sse_events(response, Collector(), acc.feed)
            acc.result()

        t_json, t_pipe = best_of(rounds, loads, pipe)
        rows.append((t_pipe, t_json, len(payloads), sum(map(len, payloads)), exchange.source))
    rows.sort(reverse=True)
    print(f"costliest {count} streams (share of the pipeline's {total * 1e3:.0f} ms):")
    for t_pipe, t_json, n, size, source in rows[:count]:
        print(
            f"  {t_pipe * 1e3:7.1f} ms {t_pipe / total:6.1%} {n:5d} events {size / 1e3:7.0f} kB "
            f"{t_pipe / max(t_json, 1e-9):5.1f}x json.loads  {Path(source).name[:60]}"
        )


if __name__ == "__main__":
    main()
