"""`python -m inspector.replay PATH... [--host H] [--port N] [--pace F]`: serve recordings
as a local Responses API until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from addon.importers import ImportFailure

from .upstream import ReplayUpstream


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Serve recordings until Ctrl-C; the URL goes to stdout, one line per request to stderr."""
    parser = argparse.ArgumentParser(
        prog="python -m inspector.replay",
        description="Serve recorded OpenAI Responses API exchanges as a local upstream.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="recording files or folders")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--pace", type=float, default=1.0, help="delay scale; 0 = no waiting")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        upstream = ReplayUpstream.from_paths(
            args.paths, pace=args.pace, host=args.host, port=args.port
        )
    except (ImportFailure, ValueError) as exc:
        return _fail(str(exc))
    if not upstream.http and not upstream.websockets:
        return _fail(f"no exchanges to serve in {' '.join(args.paths)}")
    try:
        upstream.start()
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    print(upstream.url, flush=True)
    print(
        f"serving {len(upstream.http)} exchange(s) and {len(upstream.websockets)} WebSocket "
        f"session(s), pace {args.pace}; Ctrl-C to stop",
        file=sys.stderr,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        upstream.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
