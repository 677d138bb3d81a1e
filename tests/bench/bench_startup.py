"""Benchmark: how long respdeck's commands take to start, against `mitmdump --version`.

Run on demand (not part of the test suite):

    uv run python tests/bench/bench_startup.py [--rounds 9]

Each command runs as its own process, the way a user runs it; the baseline is
`mitmdump --version` from the same environment, run in the same rounds (the order rotates each
round, so machine noise hits every command alike). Bytecode is compiled first for all of them
(into a private PYTHONPYCACHEPREFIX: the environment's own files are not touched, and a
PYTHONDONTWRITEBYTECODE setting cannot make the run measure compiling). Reported: the median
wall time and the median CPU time (user + system, which load on the machine moves less) of
each, as a ratio to the baseline's. Reference rows (`python -c "import openai"`...) show what
bounds a command that needs that package.

Targets (issue 15): `parse` of one small recording <= 0.5x the baseline; `sql`, `usage` and
`--help` <= 0.3x.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RECORDING = ROOT / "recordings" / "stream_text.har"


@dataclass
class Command:
    name: str
    argv: list[str]
    target: float | None  # at most this ratio to the baseline; None for reference rows
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def run_once(command: Command, env: dict[str, str]) -> None:
    """One run: wall time around the process, CPU time from the children's rusage."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command.argv, env=env, cwd=ROOT, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{command.name} failed ({done.returncode}): {done.stderr.decode()}")
    command.wall.append(wall)
    command.cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def commands(db: Path) -> tuple[Command, list[Command]]:
    respdeck = str(BIN / "respdeck")
    python = sys.executable
    baseline = Command("mitmdump --version", [str(BIN / "mitmdump"), "--version"], None)
    measured = [
        Command("respdeck parse stream_text.har", [respdeck, "parse", str(RECORDING)], 0.5),
        Command('respdeck sql "select 1"', [respdeck, "sql", "--db", str(db), "select 1"], 0.3),
        Command("respdeck usage", [respdeck, "usage", "--db", str(db)], 0.3),
        Command("respdeck --help", [respdeck, "--help"], 0.3),
        Command("(python -c pass)", [python, "-c", "pass"], None),
        Command("(import openai)", [python, "-c", "import openai"], None),
        Command("(import pydantic)", [python, "-c", "import pydantic.main"], None),
        # What parsing needs of openai, loaded the wire core's way (addon/wire/sdk_types).
        Command(
            "(import the sdk's type modules)", [python, "-c", "import addon.wire.sdk_types"], None
        ),
        Command("(import the wire core)", [python, "-c", "import addon.wire.parse"], None),
        Command("(import duckdb)", [python, "-c", "import duckdb"], None),
        Command("(import duckdb, pyarrow)", [python, "-c", "import duckdb, pyarrow"], None),
        Command("(import click)", [python, "-c", "import click"], None),
    ]
    return baseline, measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument(
        "--pycache", type=Path, help="bytecode cache to use (default: a fresh temporary one)"
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="respdeck-bench-startup-"))
    try:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(args.pycache or scratch / "pycache")
        env.pop("RESPDECK_DB", None)
        db = scratch / "bench.duckdb"
        subprocess.run(
            [str(BIN / "respdeck"), "import", "--db", str(db), str(RECORDING)],
            env=env, cwd=ROOT, capture_output=True, check=True,
        )  # fmt: skip
        baseline, measured = commands(db)
        everything = [baseline, *measured]
        for command in everything:  # compile bytecode; these runs are not counted
            run_once(command, env)
            command.wall.clear()
            command.cpu.clear()
        for round_index in range(args.rounds):
            shift = round_index % len(everything)
            for command in everything[shift:] + everything[:shift]:
                run_once(command, env)
        report(baseline, measured, args.rounds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def report(baseline: Command, measured: list[Command], rounds: int) -> None:
    base_wall = statistics.median(baseline.wall)
    base_cpu = statistics.median(baseline.cpu)
    print(f"medians of {rounds} alternated runs; baseline {baseline.name}: ", end="")
    print(f"wall {base_wall * 1e3:.0f} ms, cpu {base_cpu * 1e3:.0f} ms")
    print(f"{'command':34s} {'wall ms':>8s} {'ratio':>6s} {'cpu ms':>8s} {'ratio':>6s}  target")
    for command in measured:
        wall = statistics.median(command.wall)
        cpu = statistics.median(command.cpu)
        verdict = ""
        if command.target is not None:
            met = wall / base_wall <= command.target
            verdict = f"<= {command.target}x [{'met' if met else 'NOT met'}]"
        print(
            f"{command.name:34s} {wall * 1e3:8.0f} {wall / base_wall:5.2f}x "
            f"{cpu * 1e3:8.0f} {cpu / base_cpu:5.2f}x  {verdict}"
        )


if __name__ == "__main__":
    main()
