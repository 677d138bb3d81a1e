"""The Conversation tab: input and output items as a reader wants them (rich renderables).

Messages become Markdown (with their phase), tool calls show their arguments pretty-printed
next to their outputs (found in this exchange or in the one that sent them back), reasoning
shows its summary and the size of its encrypted content, hosted tools a line or two each.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.padding import Padding
from rich.syntax import Syntax
from rich.text import Text

from addon.store.queries import short_id
from addon.wire.tool_calls import CALL_OUTPUT_TYPES, OUTPUT_CALL_TYPES

from . import fmt
from .fetch import Detail, Row

ROLE_STYLE = {
    "user": "bold cyan",
    "assistant": "bold green",
    "system": "bold magenta",
    "developer": "bold magenta",
    "tool": "bold yellow",
}
CALL_TYPES = CALL_OUTPUT_TYPES
OUTPUT_TYPES = OUTPUT_CALL_TYPES
TEXT_LIMIT = 100_000  # characters of one message shown as Markdown
STREAM_DELTAS = {
    "response.output_text.delta": "text",
    "response.refusal.delta": "refusal",
    "response.reasoning_summary_text.delta": "reasoning summary",
    "response.reasoning_text.delta": "reasoning",
    "response.function_call_arguments.delta": "arguments",
    "response.custom_tool_call_input.delta": "input",
}


def _raw(item: Row) -> dict[str, Any]:
    value = fmt.loads(item.get("raw"))
    if isinstance(value, str):  # a bare string input is one user message
        return {"type": "message", "role": "user", "content": value}
    return value if isinstance(value, dict) else {}


def _head(*parts: str | None, style: str = "bold") -> Text:
    text = Text("▌ ", style=style)
    text.append(" · ".join(p for p in parts if p), style=style)
    return text


def _body(renderable: RenderableType) -> Padding:
    return Padding(renderable, (0, 0, 1, 2))


def _code(text: str, lexer: str = "json") -> RenderableType:
    pretty = fmt.pretty_json(text) if lexer == "json" else None
    if lexer == "json" and pretty is None:
        return Text(text)
    return Syntax(
        pretty or text, lexer, theme="ansi_dark", word_wrap=True, background_color="default"
    )


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text", "summary_text", "reasoning_text"):
            parts.append(str(part.get("text", "")))
        elif kind == "refusal":
            parts.append(f"*refusal:* {part.get('refusal', '')}")
        elif kind == "input_image":
            parts.append(f"*[image {part.get('image_url') or part.get('file_id') or ''}]*")
        elif kind == "input_file":
            parts.append(f"*[file {part.get('filename') or part.get('file_id') or ''}]*")
        elif kind:
            parts.append(f"*[{kind}]*")
    return "\n\n".join(parts)


def _message(item: Row, raw: dict[str, Any]) -> list[RenderableType]:
    role = raw.get("role") or item.get("role") or "?"
    phase = raw.get("phase")
    status = item.get("status") if item.get("status") not in (None, "completed") else None
    head = _head(
        role,
        "message",
        f"phase: {phase}" if phase else None,
        status,
        style=ROLE_STYLE.get(role, "bold"),
    )
    text = _content_text(raw.get("content"))
    if len(text) > TEXT_LIMIT:  # Markdown of a huge text would stall the screen
        more = len(text) - TEXT_LIMIT
        text = text[:TEXT_LIMIT] + f"\n\n*… {more:,} more characters (Raw tab, or export)*"
    return [head, _body(Markdown(text) if text.strip() else Text("(empty)", style="dim"))]


def _reasoning(raw: dict[str, Any]) -> list[RenderableType]:
    out: list[RenderableType] = [_head("reasoning", style="bold blue")]
    summary = _content_text(raw.get("summary"))
    body: list[RenderableType] = []
    if summary.strip():
        body.append(Markdown(summary))
    content = _content_text(raw.get("content"))
    if content.strip():
        body.append(Markdown(content))
    encrypted = raw.get("encrypted_content")
    if encrypted:
        body.append(Text(f"encrypted reasoning ({len(encrypted):,} bytes)", style="dim italic"))
    if not body:
        body.append(Text("(no summary)", style="dim"))
    out.append(_body(Group(*body)))
    return out


def _call(item: Row, raw: dict[str, Any], outputs: list[Row]) -> list[RenderableType]:
    kind = raw.get("type", "")
    name = raw.get("name") or item.get("name")
    head = _head(kind, name, raw.get("call_id"), style="bold yellow")
    if kind == "function_call":
        args: RenderableType = _code(str(raw.get("arguments", "")))
    elif kind == "custom_tool_call":
        args = _code(str(raw.get("input", "")), "text")
    else:
        args = _code(json.dumps(raw.get("action") or raw.get("operation") or raw, indent=2))
    body = [args]
    for output in outputs:
        where = (
            f" (exchange {short_id(output['exchange_id'])})" if output.get("exchange_id") else ""
        )
        body.append(Text(f"↳ output{where}", style="yellow"))
        body.append(_output_body(_raw(output)))
    if not outputs:
        body.append(Text("↳ no output recorded", style="dim"))
    return [head, _body(Group(*body))]


def _output_body(raw: dict[str, Any]) -> RenderableType:
    output = raw.get("output")
    if isinstance(output, str):
        return _code(output) if fmt.pretty_json(output) else Text(output)
    if isinstance(output, list):
        return Markdown(_content_text(output))
    return _code(json.dumps(output, indent=2))


def _call_output(item: Row, raw: dict[str, Any], calls: list[Row]) -> list[RenderableType]:
    head = _head(raw.get("type"), raw.get("call_id"), style="bold yellow")
    body: list[RenderableType] = []
    for call in calls:
        call_raw = _raw(call)
        body.append(
            Text(
                f"↰ {call_raw.get('name') or call_raw.get('type')} "
                f"(exchange {short_id(call.get('exchange_id'))})",
                style="yellow",
            )
        )
        if call_raw.get("arguments"):
            body.append(_code(str(call_raw["arguments"])))
    body.append(_output_body(raw))
    return [head, _body(Group(*body))]


def _image(raw: dict[str, Any]) -> str:
    result = raw.get("result")
    size = None
    if isinstance(result, str):
        try:
            size = len(base64.b64decode(result, validate=False))
        except ValueError:
            size = len(result)
    parts = [raw.get("size"), raw.get("output_format"), raw.get("quality"), fmt.size(size)]
    return "image " + ", ".join(str(p) for p in parts if p)


def _hosted(raw: dict[str, Any]) -> list[RenderableType]:
    kind = str(raw.get("type", "?"))
    lines: list[str] = []
    found = raw.get("action")
    action: dict[str, Any] = found if isinstance(found, dict) else {}
    if kind == "web_search_call":
        query = action.get("query") or ", ".join(action.get("queries") or [])
        lines.append(f"{action.get('type', 'search')}: {query or action.get('url', '')}")
        sources = action.get("sources") or []
        if sources:
            lines.append(
                f"{len(sources)} source(s): "
                + ", ".join(str(s.get("url", "")) for s in sources[:3])
            )
    elif kind == "file_search_call":
        lines.append("queries: " + ", ".join(raw.get("queries") or []))
        lines.append(f"{len(raw.get('results') or [])} result(s)")
    elif kind == "code_interpreter_call":
        return [
            _head(kind, raw.get("status"), style="bold blue"),
            _body(
                Group(
                    _code(str(raw.get("code") or ""), "python"),
                    Text(f"{len(raw.get('outputs') or [])} output(s)", style="dim"),
                )
            ),
        ]
    elif kind == "image_generation_call":
        lines.append(_image(raw))
    elif kind.startswith("mcp_"):
        lines.append(f"server {raw.get('server_label', '?')} {raw.get('name') or ''}".strip())
        if raw.get("arguments"):
            lines.append(f"arguments: {fmt.compact(raw['arguments'])}")
        if raw.get("output"):
            lines.append(f"output: {fmt.compact(raw['output'], 300)}")
        if raw.get("error"):
            lines.append(f"error: {fmt.compact(raw['error'])}")
        if raw.get("tools"):
            lines.append("tools: " + ", ".join(str(t.get("name")) for t in raw["tools"][:20]))
    elif kind == "compaction":
        size = len(raw.get("encrypted_content") or "")
        lines.append(f"compacted context (encrypted, {size:,} bytes)")
    elif kind == "item_reference":
        lines.append(f"reference to {raw.get('id')}")
    else:
        lines.append(fmt.compact(raw, 400))
    return [_head(kind, raw.get("status"), style="bold blue"), _body(Text("\n".join(lines)))]


def streamed_text(events: Iterable[Row]) -> list[tuple[int, str, str]]:
    """(output_index, kind, text so far) from the deltas of a stream still arriving."""
    parts: dict[tuple[int, str], list[str]] = {}
    for event in events:
        kind = STREAM_DELTAS.get(str(event.get("type")))
        if kind and event.get("delta") is not None:
            parts.setdefault((event.get("output_index") or 0, kind), []).append(event["delta"])
    return [(index, kind, "".join(chunks)) for (index, kind), chunks in sorted(parts.items())]


def render_items(
    items: list[Row], related: list[Row], events: list[Row] | None = None
) -> list[RenderableType]:
    by_call: dict[str, list[Row]] = {}
    for other in [*items, *related]:
        if other.get("call_id"):
            by_call.setdefault(other["call_id"], []).append(other)
    out: list[RenderableType] = []
    section = None
    # a WebSocket session's items come response by response: say which one each part is
    several = len({i.get("response_index") for i in items}) > 1
    for item in items:
        key = (item.get("response_index"), item["direction"])
        if key != section:
            section = key
            which = key[0] + 1 if several and key[0] is not None else None
            label = f"{key[1]} · response {which}" if which else key[1]
            out.append(Text(f"── {label} ──", style="bold dim"))
        raw = _raw(item)
        kind = raw.get("type") or item.get("type") or "message"
        if kind == "message":
            out += _message(item, raw)
        elif kind == "reasoning":
            out += _reasoning(raw)
        elif kind in CALL_TYPES:
            outputs = [
                o
                for o in by_call.get(raw.get("call_id", ""), [])
                if o.get("type") == CALL_TYPES[kind]
            ]
            out += _call(item, raw, outputs)
        elif kind in OUTPUT_TYPES:
            calls = [
                c
                for c in by_call.get(raw.get("call_id", ""), [])
                if c.get("type") == OUTPUT_TYPES[kind] and c is not item
            ]
            out += _call_output(item, raw, calls)
        else:
            out += _hosted(raw)
    has_output = any(i["direction"] == "output" for i in items)
    growing = streamed_text(events or []) if not has_output else []
    if growing:
        out.append(Text("── output (streaming) ──", style="bold dim"))
        for index, kind, text in growing:
            out.append(_head(f"output {index}", kind, "in progress", style="bold green"))
            out.append(_body(Markdown(text) if kind == "text" else Text(text)))
    return out


def render_conversation(detail: Detail) -> RenderableType:
    ex = detail.exchange
    blocks = render_items(detail.items, detail.related, detail.events)
    if ex.get("error_code") or ex.get("error_message"):
        blocks.append(
            Text(
                f"error {ex.get('error_code') or ''}: {ex.get('error_message') or ''}",
                style="bold red",
            )
        )
    if not blocks:
        blocks.append(
            Text(
                f"No items: {ex.get('endpoint')} {ex.get('method')} "
                f"{ex.get('path')} → {ex.get('status')}",
                style="dim",
            )
        )
    return Group(*blocks)
