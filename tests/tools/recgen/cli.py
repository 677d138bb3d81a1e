"""Generate the small, synthetic Responses API recordings shipped in ``recordings/``.

Run from the repository root::

    uv run python tests/tools/make_recordings.py          # (re)write recordings/
    uv run python tests/tools/make_recordings.py --check  # fail if recordings/ is stale

Everything is deterministic: ids, timestamps, timings and chunk boundaries come from seeded
``random.Random`` instances, so running the script twice writes byte-identical files (the one
caveat: the gzip stream depends on the local zlib build).

The content (prompts, answers, ids, keys) is our own; only the *shapes* follow real OpenAI
traffic: field sets and key order of each server era, SSE framing (``event:`` + ``data:`` + blank
line), ``sequence_number`` on every event, obfuscation padding on delta events, id formats, usage
objects with and without ``cache_write_tokens``, response headers, and HAR timings.

HAR files use respdeck's extension for stream timing: ``response.content.text`` holds the exact
raw body (``encoding: "base64"`` when it is not UTF-8 text, e.g. gzip) and
``response.content._chunks`` lists ``[offset_ms, size]`` per network chunk, offsets in ms since the
request started, sizes over the raw body.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .catalogue import build
from .check import check_files
from .check_stream import expect
from .common import OUT_DIR


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument(
        "--check",
        action="store_true",
        help="do not write; fail if recordings/ differs from a fresh generation",
    )
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (default recordings/)")
    args = ap.parse_args(argv)

    files = build()
    again = build()
    expect(files == again, "generation is not deterministic")
    check_files(files)
    if args.check:
        stale = [
            n
            for n, d in files.items()
            if not (args.out / n).exists() or (args.out / n).read_bytes() != d
        ]
        if stale:
            print("out of date: " + ", ".join(sorted(stale)))
            return 1
        print("recordings are up to date")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    print(f"wrote {len(files)} files to {args.out}")
    return 0
