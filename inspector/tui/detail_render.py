"""Usage and timing, Request parameters, Raw, Findings and the events timeline, as plain
rich renderables and rows (no Textual, no database)."""

from __future__ import annotations

import json
import statistics
from typing import Any

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from addon.store.queries import short_id
from addon.wire.decoding import BodyDecoder

from . import fmt
from .fetch import Detail

RAW_LIMIT = 256 * 1024  # characters of a body shown (export writes it all)
HIGHLIGHT_LIMIT = 64 * 1024  # beyond this, JSON is shown without colours (speed)
LONG_GAP_MS = 1000.0


def _kv(rows: list[tuple[str, str]], title: str | None = None) -> Table | Group:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, value in rows:
        table.add_row(key, value)
    return Group(Text(title, style="bold underline"), table) if title else table


def usage_renderable(detail: Detail) -> RenderableType:
    ex, row = detail.exchange, detail.row
    tokens = [
        ("input", fmt.tokens(row.get("input_tokens"))),
        ("  cached", fmt.tokens(row.get("cached_tokens"))),
        ("output", fmt.tokens(row.get("output_tokens"))),
        ("  reasoning", fmt.tokens(row.get("reasoning_tokens"))),
        ("total", fmt.tokens(row.get("total_tokens"))),
        (
            "cost (USD)",
            fmt.cost(row.get("cost_usd"), priced=row.get("input_tokens") is None) or "—",
        ),
    ]
    price = detail.price
    if price:
        cached = price.get("cached_input_usd_per_1m")
        tokens.append(
            (
                "price per 1M",
                f"in {price['input_usd_per_1m']} · cached {cached if cached is not None else '—'}"
                f" · out {price['output_usd_per_1m']} ({price['price_model']}, "
                f"{price['price_origin']}, {price.get('price_source_date') or '?'})",
            )
        )
    elif row.get("input_tokens") is not None:
        tokens.append(("price per 1M", "no price for this model: cost unknown"))
    for r in detail.responses:
        if r.get("service_tier") not in (None, "default", "auto"):
            tokens.append(("service tier", f"{r['service_tier']} (not priced)"))
    duration, ttft = ex.get("duration_ms"), row.get("ttft_ms")
    out_tokens = row.get("output_tokens")
    rate = ""
    if duration and ttft is not None and out_tokens and duration > ttft:
        rate = f"{out_tokens / ((duration - ttft) / 1000):,.1f} tokens/s after the first token"
    chunks = fmt.loads(ex.get("response_chunks")) or []
    timing = [
        ("started", fmt.when(ex.get("started_at"), full=True)),
        ("time to first byte", fmt.ms(ex.get("ttfb_ms")) or "—"),
        ("time to first token", fmt.ms(ttft) or "—"),
        ("duration", fmt.ms(duration) or "—"),
        ("output rate", rate or "—"),
        ("events", f"{len(detail.events):,}"),
        ("chunks", f"{len(chunks):,}"),
        ("request body", fmt.size(len(ex.get("request_body") or b""))),
        ("response body", fmt.size(len(ex.get("response_body") or b""))),
    ]
    states = [
        ("response status", ", ".join(str(r.get("status")) for r in detail.responses) or "—"),
        ("streamed", str(ex.get("streamed"))),
        ("partial", str(ex.get("partial"))),
        ("aborted", str(ex.get("aborted"))),
    ]
    for r in detail.responses:
        if r.get("incomplete_reason"):
            states.append(("incomplete", str(r["incomplete_reason"])))
    return Group(
        _kv(tokens, "Tokens and cost"), Text(), _kv(timing, "Timing"), Text(), _kv(states, "State")
    )


def request_renderable(detail: Detail) -> RenderableType:
    ex = detail.exchange
    head = [
        ("exchange", f"{short_id(ex.get('exchange_id'))} ({ex.get('exchange_id')})"),
        ("endpoint", str(ex.get("endpoint"))),
        ("request", f"{ex.get('method')} {ex.get('url') or ex.get('path')}"),
        ("key", str(ex.get("key_fingerprint") or "—")),
    ]
    body = fmt.loads(ex.get("request_body"))
    if not isinstance(body, dict):
        return Group(_kv(head), Text(), Text("no JSON request body", style="dim"))
    params: list[tuple[str, str]] = []
    for key, value in body.items():
        if key == "input":
            count = len(value) if isinstance(value, list) else 1
            params.append(("input", f"{count} item(s): see Conversation"))
        elif key == "tools" and isinstance(value, list):
            names = [
                f"{t.get('type')}:{t.get('name')}" if t.get("name") else str(t.get("type"))
                for t in value
                if isinstance(t, dict)
            ]
            params.append(("tools", ", ".join(names) or "[]"))
        elif key == "instructions" and isinstance(value, str):
            params.append(("instructions", fmt.one_line(value, 400)))
        else:
            params.append((key, fmt.compact(value, 300)))
    parts: list[RenderableType] = [_kv(head), Text(), _kv(params, "Parameters")]
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    if tools:
        parts += [Text(), Text("Tools", style="bold underline"), _json(json.dumps(tools))]
    return Group(*parts)


def _json(text: str) -> RenderableType:
    pretty = fmt.pretty_json(text)
    if pretty is None:
        return Text(text[:RAW_LIMIT])
    if len(pretty) > HIGHLIGHT_LIMIT:
        return Text(pretty[:RAW_LIMIT])
    return Syntax(pretty, "json", theme="ansi_dark", word_wrap=True, background_color="default")


def decoded_body(body: bytes | None, headers: list[tuple[str, str]]) -> str:
    """A stored body as text, its Content-Encoding undone."""
    if not body:
        return ""
    encoding = next((v for k, v in headers if k.lower() == "content-encoding"), None)
    decoder = BodyDecoder(encoding)
    data = decoder.feed(body) + decoder.close()
    if decoder.error:
        data = body
    return data.decode("utf-8", "replace")


def _headers(pairs: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="cyan", no_wrap=True)
    table.add_column()
    for name, value in pairs:
        table.add_row(f"{name}:", value)
    return table


def raw_renderable(detail: Detail) -> RenderableType:
    ex = detail.exchange
    req_headers = fmt.headers(ex.get("request_headers"))
    resp_headers = fmt.headers(ex.get("response_headers"))
    parts: list[RenderableType] = [
        Text(f"{ex.get('method')} {ex.get('url') or ex.get('path')}", style="bold"),
        _headers(req_headers),
        Text(),
    ]
    request = decoded_body(ex.get("request_body"), req_headers)
    if request:
        parts += [_json(request), Text()]
    parts += [Text(f"→ {ex.get('status')}", style="bold"), _headers(resp_headers), Text()]
    response = decoded_body(ex.get("response_body"), resp_headers)
    if response:
        if fmt.pretty_json(response[:RAW_LIMIT]) is not None or response.lstrip()[:1] in "{[":
            parts.append(_json(response))
        else:
            parts.append(Text(response[:RAW_LIMIT]))
        if len(response) > RAW_LIMIT:
            parts.append(
                Text(
                    f"… {len(response) - RAW_LIMIT:,} more characters (export to see them all)",
                    style="dim",
                )
            )
    messages = fmt.loads(ex.get("websocket")) or []
    if messages:
        parts.append(Text(f"WebSocket: {len(messages)} message(s)", style="bold"))
        for offset, from_client, text in messages[:500]:
            arrow = "→" if from_client else "←"
            parts.append(Text(f"{fmt.ms(offset):>7} {arrow} {fmt.one_line(text, 300)}"))
    return Group(*parts)


def findings_renderable(detail: Detail) -> RenderableType:
    if not detail.findings:
        return Text("No findings.", style="dim")
    table = Table(expand=True, box=None, header_style="bold")
    for name in ("code", "severity", "where", "event", "message"):
        table.add_column(name, overflow="fold")
    for f in detail.findings:
        style = {"error": "red", "warning": "yellow"}.get(str(f.get("severity")), "")
        event = f.get("event_index")
        table.add_row(
            Text(str(f["code"]), style=style),
            str(f["severity"]),
            str(f.get("where") or ""),
            "" if event is None else str(event),
            str(f.get("message") or ""),
        )
    return table


def event_rows(detail: Detail) -> list[tuple[Any, ...]]:
    """Timeline rows: index, offset, gap, sequence number, type, delta, marks.

    A gap is long when it is at least a second and ten times the median gap; events named by
    a finding carry its code."""
    events = detail.events
    gaps: list[float | None] = []
    previous = None
    for event in events:
        t = event.get("t_ms")
        gaps.append(None if t is None or previous is None else t - previous)
        previous = t if t is not None else previous
    known = [g for g in gaps if g is not None]
    median = statistics.median(known) if known else 0.0
    by_event: dict[int, list[str]] = {}
    for f in detail.findings:
        if f.get("event_index") is not None:
            by_event.setdefault(int(f["event_index"]), []).append(str(f["code"]))
    rows = []
    for event, gap in zip(events, gaps, strict=True):
        long_gap = gap is not None and gap >= max(LONG_GAP_MS, 10 * median)
        codes = by_event.get(int(event["idx"]), [])
        delta = event.get("delta")
        rows.append(
            (
                event["idx"],
                event.get("t_ms"),
                gap,
                event.get("sequence_number"),
                ("→ " if event.get("from_client") else "") + str(event.get("type")),
                fmt.one_line(delta, 120) if delta is not None else "",
                long_gap,
                codes,
            )
        )
    return rows
