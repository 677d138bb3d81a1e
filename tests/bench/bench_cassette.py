"""What the respdeck pytest plugin costs (run on demand, not in the suite: wall-clock figures
belong to an idle machine):

    uv run python tests/bench/bench_cassette.py [--rounds 5] [--tests 40]

Targets (issue 13 §2), each against a baseline measured in the same run:
  - importing the plugin into a pytest session: < 0.3 s (baseline: pytest's own startup, an
    empty session with plugin autoloading off, with and without `-p inspector.cassettes.plugin`);
  - replaying a 10-exchange cassette at pace 0: < 50 ms per test over the same test sending
    the same 10 requests to one replay server started once (no plugin); each test has a
    cassette file of its own, as in a suite; an empty test is shown too. Per-test times are
    pytest's own (JUnit XML: setup + call + teardown), the
    first test apart (it pays the one-time imports of the replay server and the SDK).
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from addon.exporters import export_bytes  # noqa: E402
from addon.importers import load_file  # noqa: E402
from addon.wire.exchange import Exchange  # noqa: E402

RECORDINGS = ROOT / "recordings"
MISSED: list[str] = []
REQUESTS = 10

TEST = """
import json
import os
from pathlib import Path

import httpx2
import pytest

CASSETTE = Path(os.environ["BENCH_CASSETTE"])
CALLS = json.loads(os.environ["BENCH_CALLS"])  # [method, path, body] of each exchange


def play(base_url):
    with httpx2.Client(base_url=base_url.removesuffix("/v1"), timeout=30) as client:
        for method, path, body in CALLS:
            response = client.request(method, path, content=body.encode(),
                                      headers={"content-type": "application/json"})
            response.read()
            assert "respdeck_no_match" not in response.text[:400], response.text[:400]

{tests}
"""
WITH_PLUGIN = """
@pytest.mark.respdeck(cassette=str(CASSETTE.with_name("ten_{n}.yaml")))
def test_replay_{n}(respdeck_cassette):
    play(respdeck_cassette.base_url)
"""
WITHOUT_PLUGIN = """
def test_replay_{n}(bare_server):
    play(bare_server)
"""
BARE_FIXTURE = """
@pytest.fixture(scope="session")
def bare_server():
    from inspector.replay import ReplayUpstream
    with ReplayUpstream.from_paths([CASSETTE], pace=0) as server:
        yield server.url + "/v1"
"""
EMPTY = """
def test_empty_{n}():
    pass
"""


def check(name: str, value: float, target: float, unit: str = "ms") -> None:
    ok = value < target
    print(f"  {name}: {value:.1f} {unit} (target < {target:g}){'' if ok else '  MISSED'}")
    if not ok:
        MISSED.append(name)


def ten_exchanges() -> list[Exchange]:
    """Ten HTTP exchanges of the shipped recordings (streams, a tool round trip, polls)."""
    files = ("stream_text.har", "function_call_roundtrip.har", "background.har", "reasoning.har",
             "conversation.har")  # fmt: skip
    found = [e for f in files for e in load_file(RECORDINGS / f) if e.websocket is None]
    return found[:REQUESTS]


def pytest_run(folder: Path, *args: str, env: dict[str, str] | None = None) -> float:
    """Wall time of an inner pytest session (plugin autoloading off: only what is named)."""
    import time

    environment = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **(env or {})}
    environment.pop("CI", None)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=folder, env=environment, capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 5):  # 5: no tests collected
        raise SystemExit(f"inner pytest failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def import_cost(rounds: int) -> None:
    print("Importing the plugin")
    code = (
        "import time, pytest\nt = time.perf_counter()\nimport inspector.cassettes.plugin\n"
        "print(time.perf_counter() - t)"
    )
    command = [sys.executable, "-c", code]
    alone = [
        float(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        for _ in range(rounds)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bare = [pytest_run(folder) for _ in range(rounds)]
        # by module name: `-p respdeck` would add a scan of every installed package's entry
        # points, which the baseline (autoloading off) skips and a normal session always does
        loaded = [pytest_run(folder, "-p", "inspector.cassettes.plugin") for _ in range(rounds)]
    base, with_plugin = min(bare), min(loaded)  # the least disturbed of the rounds
    print(f"  empty pytest session: {base * 1000:.0f} ms; with the plugin: "
          f"{with_plugin * 1000:.0f} ms (x{with_plugin / base:.2f})")  # fmt: skip
    check("import inspector.cassettes.plugin (best)", min(alone) * 1000, 300)
    check("session startup added by the plugin", (with_plugin - base) * 1000, 300)


def test_times(report: Path) -> list[float]:
    cases = ET.parse(report).getroot().iter("testcase")
    return [float(case.get("time") or 0) for case in cases]


def replay_cost(count: int) -> None:
    print(f"Replaying a {REQUESTS}-exchange cassette at pace 0 ({count} tests a session)")
    exchanges = ten_exchanges()
    calls = [
        [e.request.method, e.request.path + (f"?{e.request.query}" if e.request.query else ""),
         e.request.body.decode()]
        for e in exchanges
    ]  # fmt: skip
    import json

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cassette = folder / "ten.yaml"
        cassette.write_bytes(export_bytes("vcr", exchanges))
        for n in range(count):  # a cassette of its own per test, as a suite has
            (folder / f"ten_{n}.yaml").write_bytes(cassette.read_bytes())
        env = {"BENCH_CASSETTE": str(cassette), "BENCH_CALLS": json.dumps(calls)}
        runs = {
            "plugin": TEST.replace(
                "{tests}", "".join(WITH_PLUGIN.format(n=n) for n in range(count))
            ),
            "bare": TEST.replace(
                "{tests}", BARE_FIXTURE + "".join(WITHOUT_PLUGIN.format(n=n) for n in range(count))
            ),
            "empty": TEST.replace("{tests}", "".join(EMPTY.format(n=n) for n in range(count))),
        }
        times: dict[str, list[float]] = {}
        for name, source in runs.items():
            (folder / f"test_{name}.py").write_text(textwrap.dedent(source))
            report = folder / f"{name}.xml"
            pytest_run(folder, "-p", "respdeck", f"test_{name}.py", f"--junitxml={report}",
                       "--respdeck-record-mode", "none", env=env)  # fmt: skip
            times[name] = test_times(report)
    steady = {name: statistics.median(t[1:]) * 1000 for name, t in times.items()}
    print(f"  empty test: {steady['empty']:.1f} ms; {REQUESTS} requests to a running replay "
          f"server: {steady['bare']:.1f} ms; with the plugin's cassette: {steady['plugin']:.1f} "
          f"ms (median per test; first test with the plugin {times['plugin'][0] * 1000:.0f} "
          f"ms, bare {times['bare'][0] * 1000:.0f} ms)")  # fmt: skip
    check("per test added by the cassette (median)", steady["plugin"] - steady["bare"], 50)


def breakdown(rounds: int) -> None:
    """The same cycle in this process, part by part (medians): what the cassette costs
    without pytest around it."""
    import time

    import httpx2

    from inspector.cassettes import cassette, replaying

    exchanges = ten_exchanges()

    def play(url: str) -> None:
        with httpx2.Client(base_url=url, timeout=30) as client:
            for e in exchanges:
                target = e.request.path + (f"?{e.request.query}" if e.request.query else "")
                client.request(e.request.method, target, content=e.request.body).read()

    parts: dict[str, list[float]] = {"load": [], "start": [], "play": [], "report+stop": []}
    bare: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ten.yaml"
        path.write_bytes(export_bytes("vcr", exchanges))
        for _ in range(rounds + 2):
            t0 = time.perf_counter()
            loaded = cassette.load(path)
            t1 = time.perf_counter()
            server = replaying.start(loaded, 0, ())
            t2 = time.perf_counter()
            play(server.url)
            t3 = time.perf_counter()
            replaying.misses(server), replaying.unplayed(server)
            server.stop()
            t4 = time.perf_counter()
            for name, took in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                parts[name].append(took * 1000)
        with replaying.start(exchanges, 0, ()) as server:
            for _ in range(rounds + 2):
                t0 = time.perf_counter()
                play(server.url)
                bare.append((time.perf_counter() - t0) * 1000)
    med = {name: statistics.median(v[2:]) for name, v in parts.items()}
    print(
        "  in process: "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in med.items())
        + f"; the same requests to a running server {statistics.median(bare[2:]):.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tests", type=int, default=40)
    args = parser.parse_args()
    import_cost(args.rounds)
    replay_cost(args.tests)
    breakdown(args.rounds)
    if MISSED:
        print("missed: " + ", ".join(MISSED))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
