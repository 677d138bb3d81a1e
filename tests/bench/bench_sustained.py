"""Benchmark: the highest event rate `respdeck record` carries without falling behind, against
bare mitmdump (and the direct path, which bounds both on this machine).

Run on demand (not part of the test suite):

    uv run python tests/bench/bench_sustained.py [--seconds 6] [--stream-s 1] [--interval-ms 10]
        [--streams 4,8,16,32,64,128] [--lag-ms 100]

Each step keeps N streams going for `--seconds`, each stream a request answered by one
`output_text.delta` every interval for `--stream-s` seconds, the next request sent as one
ends (so N / interval events/s, and exchanges end all through the step), through each path
in turn (the order rotates, so machine noise hits all alike), from the same upstream process
as bench_proxy.py. A path *carries* a step when
  - every stream gets all its events, and the client's lag (arrival - send time) over the
    step's last second stays under `--lag-ms` at p99: the proxy keeps up; and
  - for `respdeck record`, its queue does not grow: the backlog (exchanges the proxy has
    taken, less those the ingester has stored), sampled every 0.2 s, is no higher over the
    step's last third than over its first (plus N), and it is gone within `--drain-s`
    seconds of the step's end.
Reported: per step and path, the lag and the recorder's backlog; then the highest rate each
path carried and respdeck / mitmdump (target issue 15: >= 0.8x).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
from bench_proxy import one_stream, pct, stop_all, wait_port  # noqa: E402

from addon.ports import free_port  # noqa: E402
from tests.recorder_harness import Recorder  # noqa: E402


@dataclass
class Step:
    path: str
    streams: int
    rate: float  # events/s offered
    complete: bool
    lag_p50: float
    lag_p99: float
    backlog: tuple[float, float] | None = None  # respdeck: mean over the first, last third
    drain_s: float | None = None  # respdeck: step end -> backlog gone
    carried: bool = False


async def keep_streaming(
    port: int, count: int, seconds: float, tail_events: int
) -> tuple[bool, list[float]]:
    """`count` streams back to back for `seconds`: (every stream got the same number of
    events, the latencies of the streams that ended in the step's last second)."""
    deadline = time.monotonic() + seconds
    tails: list[tuple[float, list[float]]] = []
    lengths: set[int] = set()

    async def slot() -> None:
        while time.monotonic() < deadline:
            ttft, latencies = await one_stream(port)
            lengths.add(len(latencies) if ttft > 0 else -1)
            tails.append((time.monotonic(), latencies[-tail_events:]))

    await asyncio.gather(*(slot() for _ in range(count)))
    end = max(at for at, _ in tails)
    last = [x for at, lat in tails if at >= end - 1.0 for x in lat]
    return len(lengths) == 1 and -1 not in lengths, last


def backlog(recorder: Recorder) -> int:
    """Exchanges the proxy has taken and the ingester has not stored yet."""
    status = recorder.proxy_status()
    stats = recorder.stats()
    taken = status.get("journaled", 0) + status.get("queued", 0)
    return taken - (stats.exchanges if stats else 0)


class Sampler:
    """The recorder's backlog every 0.2 s, on a thread, while a step runs."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.samples: list[int] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.wait(0.2):
            self.samples.append(backlog(self.recorder))

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        self.thread.join()

    def thirds(self) -> tuple[float, float]:
        third = max(1, len(self.samples) // 3)
        first, last = self.samples[:third], self.samples[-third:]
        return sum(first) / len(first), sum(last) / len(last)


def drain_time(recorder: Recorder, limit: float) -> float | None:
    """Seconds until the recorder's backlog is gone; None if not within `limit`."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if backlog(recorder) <= 0 and not recorder.proxy_status().get("queued", 0):
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--stream-s", type=float, default=1)
    parser.add_argument("--interval-ms", type=float, default=10)
    parser.add_argument("--streams", default="4,8,16,32,64,128")
    parser.add_argument("--lag-ms", type=float, default=100)
    parser.add_argument("--drain-s", type=float, default=5)
    args = parser.parse_args()
    counts = [int(n) for n in args.streams.split(",")]
    events = int(args.stream_s * 1000 / args.interval_ms)
    tail_events = int(1000 / args.interval_ms)  # a stream's last second
    tmp = Path(tempfile.mkdtemp(prefix="bench_sustained-"))
    up_port, bare_port = free_port(), free_port()
    upstream = f"http://127.0.0.1:{up_port}"
    mitmdump = str(Path(sys.executable).with_name("mitmdump"))
    procs = [
        subprocess.Popen([sys.executable, str(Path(__file__).with_name("bench_proxy.py")),
                          "--serve-upstream", str(up_port), "--events", str(events),
                          "--interval-ms", str(args.interval_ms)]),
        subprocess.Popen([mitmdump, "--mode", f"reverse:{upstream}", "--listen-host", "127.0.0.1",
                          "--listen-port", str(bare_port), "--set", "stream_large_bodies=1",
                          "--set", "flow_detail=0", "--set", "termlog_verbosity=warn"],
                         stdout=subprocess.DEVNULL),
    ]  # fmt: skip
    recorder = Recorder(upstream, tmp / "bench.duckdb")
    steps: list[Step] = []
    try:
        wait_port(up_port)
        wait_port(bare_port)
        recorder.start()
        paths = {"direct": up_port, "mitmdump": bare_port, "respdeck": recorder.port}
        for port in paths.values():  # warm up: connections, imports, the parser's first models
            asyncio.run(keep_streaming(port, 4, 1, tail_events))
        if drain_time(recorder, 60) is None:
            raise SystemExit(f"the recorder did not store the warm-up: {recorder.state()}")
        names = list(paths)
        for index, count in enumerate(counts):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                steps.append(run_step(name, paths[name], count, recorder, args, tail_events))
                print(_line(steps[-1]), flush=True)
        report(steps, names, args)
    finally:
        recorder.stop()
        stop_all(procs)


def run_step(
    name: str, port: int, count: int, recorder: Recorder, args: argparse.Namespace, tail: int
) -> Step:
    with Sampler(recorder) as sampler:
        complete, last = asyncio.run(keep_streaming(port, count, args.seconds, tail))
    step = Step(
        name, count, count * 1000 / args.interval_ms, complete,
        pct(last, 0.5) * 1000, pct(last, 0.99) * 1000,
    )  # fmt: skip
    step.carried = complete and step.lag_p99 <= args.lag_ms
    if name == "respdeck":
        step.backlog = sampler.thirds()
        step.drain_s = drain_time(recorder, args.drain_s)
        growing = step.backlog[1] > step.backlog[0] + count
        step.carried = step.carried and not growing and step.drain_s is not None
        if step.drain_s is None:  # let it catch up before the next step
            drain_time(recorder, 300)
    return step


def _line(step: Step) -> str:
    drain = ""
    if step.backlog is not None:
        drain = f" backlog {step.backlog[0]:.1f} -> {step.backlog[1]:.1f}, " + (
            "NOT drained" if step.drain_s is None else f"drained in {step.drain_s:.2f} s"
        )
    return (
        f"{step.path:<9} {step.streams:4d} streams {step.rate:8,.0f} ev/s  lag p50 "
        f"{step.lag_p50:7.1f} ms p99 {step.lag_p99:7.1f} ms"
        f"{'' if step.complete else ' INCOMPLETE'}{drain}  "
        f"{'carried' if step.carried else 'NOT carried'}"
    )


def report(steps: list[Step], names: list[str], args: argparse.Namespace) -> None:
    print(f"\nsteps of {args.seconds:g} s, streams of {args.stream_s:g} s back to back, one "
          f"event every {args.interval_ms:g} ms each; carried: complete, lag p99 <= "
          f"{args.lag_ms:g} ms over the last second (respdeck also: backlog not growing, "
          f"gone within {args.drain_s:g} s)")  # fmt: skip
    best = {}
    for name in names:
        carried = [s.rate for s in steps if s.path == name and s.carried]
        best[name] = max(carried) if carried else 0.0
        print(f"{name:<9} highest rate carried: {best[name]:8,.0f} events/s")
    if best["mitmdump"]:
        ratio = best["respdeck"] / best["mitmdump"]
        print(f"respdeck / mitmdump: {ratio:.2f}x (target >= 0.8x)")


if __name__ == "__main__":
    main()
