"""What recording costs a client: direct vs bare mitmdump (streaming on) vs `respdeck record`.

All three paths lead to the same local upstream, a separate process that streams SSE events at
a fixed interval and stamps each event with its send time. A minimal asyncio client measures,
per path and in interleaved rounds (so machine noise hits all three alike):
  - time to first token (request sent -> first output_text.delta arrives), p50;
  - latency per event (arrival - send stamp), p50 and p99, with 1 and with 32 concurrent streams,
    and what the proxy adds to it over the direct path;
  - requests/s for small non-streamed responses over keep-alive connections.
Targets (issue 4): respdeck / bare mitmdump <= 1.05x TTFT p50, <= 1.2x per-event p99 at 32
streams, >= 0.9x requests/s.
Memory (issue 9): RSS, and PSS (shared pages divided among the processes that map them),
summed over each path's process tree from /proc: `respdeck record` is its own process, mitmdump
and the ingester. Idle is after the warm-up traffic, loaded the peak during the rounds.

    uv run python tests/bench/bench_proxy.py [--rounds 3] [--events 50] [--interval-ms 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from addon.ports import free_port  # noqa: E402

# -- the upstream (its own process) -----------------------------------------------------------

CREATED = {"type": "response.created", "sequence_number": 0, "response": {
    "id": "resp_bench", "object": "response", "created_at": 1, "status": "in_progress",
    "model": "gpt-4o", "output": [], "tools": [], "tool_choice": "auto",
    "parallel_tool_calls": True}}  # fmt: skip


def sse(event: dict) -> bytes:
    data = f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n".encode()
    return b"%x\r\n%s\r\n" % (len(data), data)


async def serve_upstream(port: int, events: int, interval: float) -> None:
    small = json.dumps({"id": "resp_small", "object": "response", "status": "completed",
                        "model": "gpt-4o", "output": []}).encode()  # fmt: skip

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                if b'"stream":true' in body.replace(b" ", b""):
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                                 b"transfer-encoding: chunked\r\n\r\n" + sse(CREATED))  # fmt: skip
                    await writer.drain()
                    for i in range(events):
                        await asyncio.sleep(interval)
                        writer.write(sse({
                            "type": "response.output_text.delta", "sequence_number": i + 1,
                            "item_id": "msg_1", "output_index": 0, "content_index": 0,
                            "delta": "tok ", "logprobs": [], "t": time.time()}))  # fmt: skip
                        await writer.drain()
                    done = {"type": "response.completed", "sequence_number": events + 1,
                            "response": {**CREATED["response"], "status": "completed",
                                         "usage": {"input_tokens": 10, "output_tokens": events,
                                                   "total_tokens": 10 + events}}}  # fmt: skip
                    writer.write(sse(done) + b"0\r\n\r\n")
                else:
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                                 b"content-length: %d\r\n\r\n%s" % (len(small), small))  # fmt: skip
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


# -- the client ---------------------------------------------------------------------------------


async def read_head(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


async def one_stream(port: int) -> tuple[float, list[float]]:
    """(time to first delta, per-event latencies) of one streamed request."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = b'{"model":"gpt-4o","input":"bench","stream":true}'
    start = time.time()
    writer.write(b"POST /v1/responses HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
                 b"authorization: Bearer sk-bench\r\ncontent-length: %d\r\n\r\n%s"
                 % (len(body), body))  # fmt: skip
    await read_head(reader)
    ttft, latencies = 0.0, []
    while True:
        size = int((await reader.readline()).strip() or b"0", 16)
        if size == 0:
            break
        chunk = await reader.readexactly(size + 2)
        now = time.time()
        for line in chunk.split(b"\n"):
            at = line.find(b'"t":')
            if line.startswith(b"data:") and at > 0:
                latencies.append(now - float(line[at + 4 : line.index(b"}", at)]))
                if not ttft:
                    ttft = now - start
    writer.close()
    return ttft, latencies


async def streams(port: int, concurrent: int) -> tuple[list[float], list[float]]:
    results = await asyncio.gather(*(one_stream(port) for _ in range(concurrent)))
    return [r[0] for r in results], [x for r in results for x in r[1]]


async def requests_per_second(port: int, connections: int, seconds: float) -> float:
    body = b'{"model":"gpt-4o","input":"small"}'
    request = (b"POST /v1/responses HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
               b"content-length: %d\r\n\r\n%s" % (len(body), body))  # fmt: skip
    done = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.monotonic() < deadline:
            writer.write(request)
            head = await read_head(reader)
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")))  # fmt: skip
            await reader.readexactly(length)
            done += 1
        writer.close()

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return done / (time.monotonic() - start)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# -- memory -----------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """The process and its descendants, from /proc/PID/task/*/children."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):  # a thread or process just ended
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def process_memory(pid: int) -> tuple[int, int, int]:
    """(RSS, PSS, threads) of one process, in bytes; zeros once it is gone."""
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        fields = dict(line.split(":", 1) for line in lines if ":" in line)
        threads = len(list(Path(f"/proc/{pid}/task").iterdir()))
    except OSError:
        return 0, 0, 0
    kb = {k: int(v.split()[0]) * 1024 for k, v in fields.items() if v.strip().endswith("kB")}
    return kb.get("Rss", 0), kb.get("Pss", 0), threads


def tree_memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) summed over the process tree."""
    parts = [process_memory(p) for p in process_tree(pid)]
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


class PeakMemory(threading.Thread):
    """Samples each tree's RSS and PSS every 50 ms; keeps the peaks."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = {name: (0, 0) for name in pids}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            for name, pid in self.pids.items():
                rss, pss = tree_memory(pid)
                old = self.peak[name]
                self.peak[name] = (max(old[0], rss), max(old[1], pss))


def memory_report(idle: dict[str, tuple[int, int]], loaded: dict[str, tuple[int, int]],
                  breakdown: list[tuple[str, int, int, int]]) -> None:  # fmt: skip
    mb = 1 << 20
    print("\nmemory, summed over each process tree: RSS (PSS), MB")
    for name in idle:
        print(f"{name:<10} idle {idle[name][0] / mb:6.1f} ({idle[name][1] / mb:6.1f})   "
              f"loaded peak {loaded[name][0] / mb:6.1f} ({loaded[name][1] / mb:6.1f})")  # fmt: skip
    print("respdeck record, idle, by process:")
    for command, rss, pss, threads in breakdown:
        print(f"  {rss / mb:6.1f} ({pss / mb:6.1f}) MB {threads:4d} threads  {command}")
    for label, figures in (("idle", idle), ("loaded", loaded)):
        rss = figures["respdeck"][0] / figures["mitmdump"][0]
        pss = figures["respdeck"][1] / figures["mitmdump"][1]
        print(f"respdeck / mitmdump {label}: RSS {rss:.2f}x, PSS {pss:.2f}x (target <= 2)")


# -- orchestration ----------------------------------------------------------------------------


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


def stop_all(procs: list[subprocess.Popen], timeout: float = 60) -> None:
    """Ctrl-C each process, last started first; kill what has not ended within `timeout`."""
    for proc in reversed(procs):
        proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--interval-ms", type=float, default=10)
    parser.add_argument("--rps-seconds", type=float, default=3)
    parser.add_argument(
        "--addon-only",
        action="store_true",
        help="also measure mitmdump with the addon but no ingester",
    )
    parser.add_argument("--serve-upstream", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_upstream:
        signal.signal(signal.SIGINT, lambda *_: os._exit(0))
        asyncio.run(serve_upstream(args.serve_upstream, args.events, args.interval_ms / 1000))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench_proxy-"))
    up_port, bare_port, rec_port, addon_port = free_port(), free_port(), free_port(), free_port()
    upstream = f"http://127.0.0.1:{up_port}"
    quiet = ["--set", "flow_detail=0", "--set", "termlog_verbosity=warn"]
    mitmdump = str(Path(sys.executable).with_name("mitmdump"))
    procs = [
        subprocess.Popen([sys.executable, __file__, "--serve-upstream", str(up_port),
                          "--events", str(args.events), "--interval-ms", str(args.interval_ms)]),
        subprocess.Popen([mitmdump, "--mode", f"reverse:{upstream}", "--listen-host", "127.0.0.1",
                          "--listen-port", str(bare_port), "--set", "stream_large_bodies=1",
                          *quiet],
                         stdout=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "inspector", "record", "--port", str(rec_port),
                          "--upstream", upstream, "--db", str(tmp / "bench.duckdb")],
                         cwd=ROOT, stderr=subprocess.DEVNULL),
    ]  # fmt: skip
    if args.addon_only:  # the hooks and journal alone, nothing parsed or stored: splits the cost
        procs.append(subprocess.Popen(
            [mitmdump, "--mode", f"reverse:{upstream}", "--listen-host", "127.0.0.1",
             "--listen-port", str(addon_port), "-s", str(ROOT / "addon/recorder/script.py"),
             "--set", f"respdeck_db={tmp / 'addon.duckdb'}", "--set", "respdeck_ingest=false",
             *quiet], cwd=ROOT, stdout=subprocess.DEVNULL))  # fmt: skip
    try:
        paths = {"direct": up_port, "mitmdump": bare_port, "respdeck": rec_port}
        if args.addon_only:
            paths["addon"] = addon_port
        for port in paths.values():
            wait_port(port)
        for port in paths.values():  # warm up: connections, imports, the parser's first models
            asyncio.run(streams(port, 4))
        time.sleep(2)  # let the ingester store the warm-up traffic: then it is idle
        trees = {"mitmdump": procs[1].pid, "respdeck": procs[2].pid}
        if args.addon_only:
            trees["addon"] = procs[3].pid
        idle = {name: tree_memory(pid) for name, pid in trees.items()}
        breakdown = []
        for pid in process_tree(procs[2].pid):
            rss, pss, threads = process_memory(pid)
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            command = " ".join(a.decode() for a in argv[:4] if a).replace(sys.executable, "python")
            breakdown.append((command[:70], rss, pss, threads))
        peaks = PeakMemory(trees)
        peaks.start()
        ttft: dict[str, list[float]] = {p: [] for p in paths}
        lat: dict[tuple[str, int], list[float]] = {(p, n): [] for p in paths for n in (1, 32)}
        rps: dict[str, list[float]] = {p: [] for p in paths}
        for _ in range(args.rounds):
            for name, port in paths.items():
                for _ in range(5):
                    first, events = asyncio.run(streams(port, 1))
                    ttft[name] += first
                    lat[(name, 1)] += events
                first, events = asyncio.run(streams(port, 32))
                lat[(name, 32)] += events
                rps[name].append(asyncio.run(requests_per_second(port, 8, args.rps_seconds)))
        peaks.done.set()
        peaks.join()
        report(paths, ttft, lat, rps, args)
        memory_report(idle, peaks.peak, breakdown)
    finally:
        stop_all(procs)


def report(
    paths: dict[str, int], ttft: dict, lat: dict, rps: dict, args: argparse.Namespace
) -> None:
    ms = 1000
    print(f"\n{args.rounds} rounds, {args.events} events/stream every {args.interval_ms:g} ms, "
          f"{os.cpu_count()} CPUs\n")  # fmt: skip
    print(f"{'path':<10} {'TTFT p50':>9} {'ev p50 x1':>10} {'ev p99 x1':>10} "
          f"{'ev p50 x32':>11} {'ev p99 x32':>11} {'req/s':>8}")  # fmt: skip
    for name in paths:
        print(f"{name:<10} {statistics.median(ttft[name]) * ms:8.2f}m "
              f"{pct(lat[(name, 1)], .5) * ms:9.2f}m {pct(lat[(name, 1)], .99) * ms:9.2f}m "
              f"{pct(lat[(name, 32)], .5) * ms:10.2f}m {pct(lat[(name, 32)], .99) * ms:10.2f}m "
              f"{statistics.median(rps[name]):8.0f}")  # fmt: skip
    for n in (1, 32):
        for q in (0.5, 0.99):
            added = {p: (pct(lat[(p, n)], q) - pct(lat[("direct", n)], q)) * ms for p in paths}
            print(
                f"added per event p{int(q * 100)} x{n}: "
                + ", ".join(f"{p} {added[p]:.2f} ms" for p in paths if p != "direct")
            )
    t_ratio = statistics.median(ttft["respdeck"]) / statistics.median(ttft["mitmdump"])
    p_ratio = pct(lat[("respdeck", 32)], 0.99) / pct(lat[("mitmdump", 32)], 0.99)
    r_ratio = statistics.median(rps["respdeck"]) / statistics.median(rps["mitmdump"])
    print(f"\nrespdeck / mitmdump: TTFT p50 {t_ratio:.3f}x (target <= 1.05), "
          f"per-event p99 x32 {p_ratio:.3f}x (target <= 1.2), "
          f"req/s {r_ratio:.3f}x (target >= 0.9)")  # fmt: skip


if __name__ == "__main__":
    main()
