"""`respdeck parse PATH...`: read recordings, print a line (or a JSON object) per exchange."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import click

from addon.importers import ImportFailure, iter_paths, load_file
from addon.wire.parse import parse_exchange
from addon.wire.result import ParsedExchange


def exchange_json(parsed: ParsedExchange) -> dict[str, Any]:
    """The documented JSON form of one parsed exchange (`respdeck parse --json`)."""
    ex = parsed.exchange
    raw = parsed.response_raw or {}
    previous = parsed.request.previous_response_id or raw.get("previous_response_id")
    return {
        "source": ex.source,
        "index": ex.index,
        "endpoint": parsed.endpoint,
        "method": ex.request.method,
        "path": ex.request.path,
        "status": parsed.status,
        "streamed": parsed.streamed,
        "partial": parsed.partial,
        "model": parsed.model,
        "response_id": parsed.response_id,
        "previous_response_id": previous if isinstance(previous, str) else None,
        "conversation_id": parsed.request.conversation_id,
        "usage": parsed.usage.to_json() if parsed.usage else None,
        "event_types": dict(Counter(e.type or "<invalid>" for e in parsed.events)),
        "input_item_types": [i.type for i in parsed.items if i.direction == "input"],
        "output_item_types": [i.type for i in parsed.items if i.direction == "output"],
        "listed_item_types": [i.type for i in parsed.items if i.direction == "listed"],
        "output_text": parsed.output_text,
        "error": None
        if parsed.error is None
        else {
            "source": parsed.error.source,
            "code": parsed.error.code,
            "type": parsed.error.type,
            "message": parsed.error.message,
        },
        "unknown_types": dict(parsed.unknown_types),
        "findings": [f.to_json() for f in parsed.findings],
    }


def exchange_line(parsed: ParsedExchange) -> str:
    """One readable line: where, what, outcome, tokens, findings."""
    ex = parsed.exchange
    bits = [
        f"{Path(ex.source).name}#{ex.index}",
        parsed.endpoint,
        str(parsed.status if parsed.status is not None else "-"),
    ]
    if parsed.streamed:
        bits.append(f"stream({len(parsed.events)} events{', partial' if parsed.partial else ''})")
    if parsed.model:
        bits.append(parsed.model)
    if parsed.response_id:
        bits.append(parsed.response_id)
    usage = parsed.usage
    if usage is not None:
        tokens = f"in {usage.input_tokens}"
        if usage.cached_tokens:
            tokens += f" (cached {usage.cached_tokens})"
        tokens += f" out {usage.output_tokens}"
        if usage.reasoning_tokens:
            tokens += f" (reasoning {usage.reasoning_tokens})"
        bits.append(tokens)
    if parsed.error is not None:
        bits.append(f"error {parsed.error.code or parsed.error.type or ''}".strip())
    if parsed.findings:
        codes = Counter(f.code for f in parsed.findings)
        bits.append("findings: " + ", ".join(f"{c} x{n}" if n > 1 else c for c, n in codes.items()))
    return "  ".join(bits)


class Summary:
    def __init__(self) -> None:
        self.files = 0
        self.exchanges = 0
        self.streams = 0
        self.endpoints: Counter[str] = Counter()
        self.findings: Counter[str] = Counter()
        self.unknown: Counter[str] = Counter()
        self.failed: list[str] = []

    def add(self, parsed: ParsedExchange) -> None:
        self.exchanges += 1
        self.streams += parsed.streamed
        self.endpoints[parsed.endpoint] += 1
        self.findings.update(f.code for f in parsed.findings)
        self.unknown.update(parsed.unknown_types)

    def lines(self) -> list[str]:
        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{k} {v}" for k, v in counter.most_common()) or "none"

        out = [
            f"{self.files} file(s), {self.exchanges} exchange(s), {self.streams} streamed",
            f"by endpoint: {counts(self.endpoints)}",
            f"findings: {counts(self.findings)}",
            f"unknown types: {counts(self.unknown)}",
        ]
        if self.failed:
            out.append(f"unreadable: {len(self.failed)} file(s)")
        return out


def run_parse(
    paths: Iterable[Path], as_json: bool, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Parse every file; returns the exit code (2 if any path was unreadable)."""
    out = out or sys.stdout
    err = err or sys.stderr
    summary = Summary()
    try:
        files = list(iter_paths(paths))
    except ImportFailure as exc:
        print(f"respdeck: {exc}", file=err)
        return 2
    for path in files:
        try:
            exchanges = load_file(path)
        except ImportFailure as exc:
            summary.failed.append(str(path))
            print(f"respdeck: {exc}", file=err)
            continue
        summary.files += 1
        for exchange in exchanges:
            parsed = parse_exchange(exchange)
            summary.add(parsed)
            if as_json:
                out.write(json.dumps(exchange_json(parsed), ensure_ascii=False) + "\n")
            else:
                out.write(exchange_line(parsed) + "\n")
    for line in summary.lines():
        print(line, file=err if as_json else out)
    return 2 if summary.failed else 0


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per exchange on stdout.")
def parse(paths: tuple[Path, ...], as_json: bool) -> None:
    """Parse recordings (cassettes, HAR, raw SSE, Response JSON) in files or folders.

    Prints one line per exchange and a summary. Findings are data: the exit code is 0 when every
    file was read, 2 when a path is unreadable or in no known format.
    """
    code = run_parse(paths, as_json)
    if code:
        raise click.exceptions.Exit(code)
