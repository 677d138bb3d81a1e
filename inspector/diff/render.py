"""A diff document rendered for people: the TUI's diff screen and `respdeck diff` without
`--json` print these (rich renderables).

Pure functions over the documented keys only (README, "The diff document"), so rendering does
not depend on how the diff was computed: equal runs fold into one line, word diffs are
highlighted. Where the output has no colour (a pipe, the text export, NO_COLOR) the word
diffs carry git's plain markers, `[-deleted-]` and `{+inserted+}`, since a style alone would
vanish: the sections are `ForConsole` renderables, built for the console that prints them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

Doc = Mapping[str, Any]
ADDED = "bold green"
REMOVED = "bold red strike"
CHANGED = "yellow"
MORE, LESS = "red", "green"  # a number that grew (tokens, cost, time), one that shrank
SECTIONS = ("request", "input", "output", "outcome")
TITLES = {
    "request": "Request",
    "input": "Input items",
    "output": "Output",
    "outcome": "Outcome (usage and timing)",
}
OP_MARK = {"equal": " ", "changed": "~", "added": "+", "removed": "-"}
OP_STYLE = {"equal": "dim", "changed": CHANGED, "added": ADDED, "removed": REMOVED}
# git's --word-diff=plain markers, for output without colour
PLAIN_MARKS = {"delete": ("[-", "-]"), "insert": ("{+", "+}")}


def is_plain(console: Console) -> bool:
    """Whether `console` shows no colour: styles alone would not show what changed."""
    return bool(console.no_color or console.color_system is None)


class ForConsole:
    """A renderable built when it is printed, plain (with markers) or styled as the console
    it goes to is: `respdeck diff` piped, the text export and the TUI share one rendering."""

    def __init__(self, build: Callable[[bool], RenderableType]) -> None:
        self.build = build

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.build(is_plain(console))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.build(is_plain(console)))


def _get(doc: Doc, dotted: str) -> Any:
    """`request.model` from the nested document (None when a part is missing)."""
    value: Any = doc
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def a_b(label: str, pair: Any) -> Text:
    """`label: a → b`, or `label: a` when both sides agree; `+ label: b` for a value only b
    has (op `added`), `- label: a` for one only a has."""
    pair = pair if isinstance(pair, Mapping) else {}
    a, b = pair.get("a"), pair.get("b")
    op = pair.get("op")
    indent = label[: len(label) - len(label.lstrip())]
    if op == "added":
        return Text(f"{indent}+ {label.strip()}: ", style=ADDED).append(_short(b))
    if op == "removed":
        return Text(f"{indent}- {label.strip()}: ", style=REMOVED).append(_short(a))
    line = Text(f"{label}: ", style="bold")
    if a == b:
        line.append(_short(a))
    else:
        line.append(_short(a), style=REMOVED).append(" → ").append(_short(b), style=ADDED)
    return line


def word_diff(label: str, part: Any, plain: bool = False, columns: bool = False) -> RenderableType:
    """A `{same, diff}` entry: one line when same; else the diff with its words highlighted."""
    part = part if isinstance(part, Mapping) else {}
    if part.get("same", True):
        return Text(f"{label}: same", style="dim")
    if columns:
        return Group(Text(f"{label}:", style="bold"), side_by_side(part.get("diff"), plain))
    return Group(Text(f"{label}:", style="bold"), diff_text(part.get("diff"), plain))


def diff_text(diff: Any, plain: bool = False) -> Text:
    """A word diff (`[op, text]` pieces, op `equal`, `delete` or `insert`) as one text:
    deleted words red and struck, inserted green, or with `plain` between git's markers;
    long equal runs keep only the words next to a change."""
    pieces = [p for p in diff or [] if isinstance(p, list | tuple) and len(p) == 2]
    out = Text()
    for n, (op, words) in enumerate(pieces):
        words = str(words)
        if op == "equal":
            out.append(fold_words(words, head=n > 0, tail=n < len(pieces) - 1))
        elif plain and op in PLAIN_MARKS:
            start, end = PLAIN_MARKS[op]
            out.append(f"{start}{words}{end}")
        else:
            out.append(words, style=REMOVED if op == "delete" else ADDED)
    return out


def side_by_side(diff: Any, plain: bool = False) -> Table:
    """A word diff in two columns: a's text (its deleted words marked) beside b's (its
    inserted words marked), equal runs folded the same way on both sides."""
    pieces = [p for p in diff or [] if isinstance(p, list | tuple) and len(p) == 2]
    a_text, b_text = Text(), Text()
    for n, (op, words) in enumerate(pieces):
        words = str(words)
        if op == "equal":
            shown = fold_words(words, head=n > 0, tail=n < len(pieces) - 1)
            a_text.append(shown)
            b_text.append(shown)
            continue
        target = a_text if op == "delete" else b_text
        if plain and op in PLAIN_MARKS:
            start, end = PLAIN_MARKS[op]
            target.append(f"{start}{words}{end}")
        else:
            target.append(words, style=REMOVED if op == "delete" else ADDED)
    table = Table(box=None, expand=True, pad_edge=False, show_edge=False)
    table.add_column("a", ratio=1, overflow="fold")
    table.add_column("b", ratio=1, overflow="fold")
    table.add_row(a_text, b_text)
    return table


_WORD = re.compile(r"\S+\s*")


def fold_words(text: str, head: bool = True, tail: bool = True, keep: int = 6) -> str:
    """An equal run, long ones folded: the `keep` words after a change before it (`head`) and
    before one after it (`tail`) stay, the rest is counted."""
    words = _WORD.findall(text)
    shown = keep * (head + tail)
    if len(words) <= shown + 2:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    first = lead + "".join(words[:keep]) if head else ""
    last = "".join(words[-keep:]) if tail else ""
    return f"{first}…({len(words) - shown} words)…" + (f" {last}" if tail else "")


def aligned(entries: Any, plain: bool = False, columns: bool = False) -> list[RenderableType]:
    """An aligned item list: changes shown, each run of equal items folded into one line."""
    lines: list[RenderableType] = []
    run = 0

    def fold() -> None:
        nonlocal run
        if run:
            lines.append(Text(f"  … {run} equal item{'s' if run != 1 else ''}", style="dim"))
            run = 0

    for entry in entries or []:
        op = entry.get("op", "equal")
        if op == "equal":
            run += 1
            continue
        fold()
        line = Text(f"{OP_MARK.get(op, '?')} {item_name(entry)} {where(entry)}")
        line.stylize(OP_STYLE.get(op, ""))
        if isinstance(entry.get("preview"), str):
            line.append(f"  {entry['preview']}", style="dim")
        lines.append(line)
        lines.extend(changes_lines(entry.get("changes"), plain, columns=columns))
    fold()
    return lines or [Text("(no items)", style="dim")]


def item_name(entry: Mapping[str, Any]) -> str:
    """`message (user)`, `function_call (get_weather)`, `function_call_output (→ get_weather)`."""
    named = " ".join(str(entry[k]) for k in ("role", "name") if isinstance(entry.get(k), str))
    if not named and isinstance(entry.get("call"), str):
        named = f"→ {entry['call']}"
    return f"{entry.get('type') or 'item'}" + (f" ({named})" if named else "")


def where(entry: Mapping[str, Any]) -> str:
    return f"a[{idx(entry.get('a_index'))}] b[{idx(entry.get('b_index'))}]"


def idx(value: Any) -> str:
    return "-" if value is None else str(value)


def changes_lines(
    changes: Any, plain: bool = False, indent: str = "    ", columns: bool = False
) -> list[RenderableType]:
    """`{path, op, a?, b?, diff?}` changes, one line each: a word diff where there is one."""
    out: list[RenderableType] = []
    for change in changes if isinstance(changes, list) else []:
        if not isinstance(change, Mapping):
            continue
        if change.get("diff") and columns:
            out.append(Text(f"{indent}{change.get('path', '')}:", style="bold"))
            out.append(side_by_side(change["diff"], plain))
        elif change.get("diff"):
            line = Text(f"{indent}{change.get('path', '')}: ", style="bold")
            out.append(line.append_text(diff_text(change["diff"], plain)))
        else:
            out.append(a_b(f"{indent}{change.get('path', '')}", change))
    return out


def request_section(doc: Doc, plain: bool = False, columns: bool = False) -> RenderableType:
    parts: list[RenderableType] = [
        a_b("model", _get(doc, "request.model")),
        word_diff("instructions", _get(doc, "request.instructions"), plain, columns),
    ]
    tools = _get(doc, "request.tools") or []
    changed_tools = [t for t in tools if t.get("op") != "equal"]
    parts.append(
        Text(
            f"tools: {len(tools)}, {len(changed_tools)} differ",
            style="bold" if changed_tools else "dim",
        )
    )
    for tool in changed_tools:
        op = tool.get("op", "changed")
        parts.append(
            Text(f"{OP_MARK.get(op, '?')} tool {tool.get('name')}", style=OP_STYLE.get(op, ""))
        )
        parts.extend(changes_lines(tool.get("changes"), plain, columns=columns))
    params = _get(doc, "request.params") or []
    parts.append(Text(f"parameters: {len(params)} differ", style="bold" if params else "dim"))
    parts.extend(changes_lines(params, plain, indent="", columns=columns))
    return Group(*parts)


def input_section(doc: Doc, plain: bool = False, columns: bool = False) -> RenderableType:
    return Group(*aligned(_get(doc, "request.input_items"), plain, columns))


def _differ(pair: Any) -> bool:
    """Whether an `{a, b, same}` pair differs (`same` says so when it is there)."""
    pair = pair if isinstance(pair, Mapping) else {}
    return not pair["same"] if "same" in pair else pair.get("a") != pair.get("b")


def output_section(doc: Doc, plain: bool = False, columns: bool = False) -> RenderableType:
    parts: list[RenderableType] = []
    http = _get(doc, "response.http_status") or {}
    if _differ(http) or (http.get("a") or 0) >= 400:  # an error status, even on both
        parts.append(a_b("HTTP status", http))
    parts.append(a_b("status", _get(doc, "response.status")))
    reason = _get(doc, "response.incomplete_reason") or {}
    if _differ(reason) or reason.get("a") is not None:
        parts.append(a_b("incomplete", reason))
    error = _get(doc, "response.error") or {}
    if error.get("changes"):
        parts.append(Text("error:", style="bold"))
        parts.extend(changes_lines(error["changes"], plain, columns=columns))
    elif error.get("a"):
        parts.append(Text(f"error (both): {_short(error['a'], 120)}"))
    parts.append(word_diff("output_text", _get(doc, "response.output_text"), plain, columns))
    parts.extend(aligned(_get(doc, "response.output_items"), plain, columns))
    return Group(*parts)


def _numbers(doc: Doc) -> list[tuple[str, Mapping[str, Any]]]:
    """The outcome's `{a, b, delta}` rows: usage, timing, and the event types whose count
    changed."""
    rows = []
    for group in ("usage", "timing", "events"):
        for name, value in (_get(doc, group) or {}).items():
            value = value if isinstance(value, Mapping) else {}
            if group != "events" or value.get("delta") or value.get("a") != value.get("b"):
                rows.append((str(name), value))
    return rows


def outcome_section(doc: Doc, plain: bool = False, columns: bool = False) -> RenderableType:
    """Usage, timing and event counts, a, b and delta each (right-aligned), and the finding
    codes one side has that the other has not."""
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("")
    for name in ("a", "b", "delta"):
        table.add_column(name, justify="right")
    for name, value in _numbers(doc):
        delta = value.get("delta")
        style = "" if not delta else (MORE if delta > 0 else LESS)
        table.add_row(
            name, _num(value.get("a")), _num(value.get("b")), Text(_num(delta, True), style=style)
        )
    findings = _get(doc, "findings") or {}
    lines: list[RenderableType] = [table]
    for key, mark, style in (("added", "+", ADDED), ("removed", "-", REMOVED)):
        if findings.get(key):
            lines.append(Text(f"{mark} findings: {', '.join(findings[key])}", style=style))
    if not (findings.get("added") or findings.get("removed")) and findings.get("a"):
        lines.append(Text(f"findings (both): {', '.join(findings['a'])}", style="dim"))
    return Group(*lines)


def _num(value: Any, signed: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:+.6f}" if signed else f"{value:.6f}"
        return text.rstrip("0")
    number = int(value) if isinstance(value, float) else value
    if not isinstance(number, int):
        return str(number)
    return f"{number:+,}" if signed else f"{number:,}"


RENDER: dict[str, Callable[[Doc, bool, bool], RenderableType]] = {
    "request": request_section,
    "input": input_section,
    "output": output_section,
    "outcome": outcome_section,
}


def section_renderable(section: str, doc: Doc, columns: bool = False) -> ForConsole:
    """One section, plain or styled as the console that prints it is; with `columns`, word
    diffs side by side (a on the left, b on the right), as the TUI shows them."""
    return ForConsole(lambda plain: RENDER[section](doc, plain, columns))


def summary(doc: Doc, a_label: str, b_label: str) -> str:
    """The screen's one-line heading."""
    verdict = "the same (volatile fields ignored)" if doc.get("same") else "different"
    return f"a {a_label} · b {b_label} · {verdict}"


def differs(doc: Doc, section: str) -> bool:
    """Whether a section has anything to show beyond equal parts (equal sections start folded)."""
    if section == "request":
        return bool(
            _differ(_get(doc, "request.model"))
            or not (_get(doc, "request.instructions") or {}).get("same", True)
            or any(t.get("op") != "equal" for t in _get(doc, "request.tools") or [])
            or _get(doc, "request.params")
        )
    if section == "input":
        return any(e.get("op") != "equal" for e in _get(doc, "request.input_items") or [])
    if section == "output":
        return bool(
            any(_differ(_get(doc, f"response.{k}")) for k in PAIRS)
            or (_get(doc, "response.error") or {}).get("changes")
            or not (_get(doc, "response.output_text") or {}).get("same", True)
            or any(e.get("op") != "equal" for e in _get(doc, "response.output_items") or [])
        )
    findings = _get(doc, "findings") or {}
    return bool(
        any(value.get("delta") or value.get("a") != value.get("b") for _, value in _numbers(doc))
        or findings.get("added")
        or findings.get("removed")
    )


PAIRS = ("http_status", "status", "incomplete_reason")


def exchange_renderables(doc: Doc, a_label: str, b_label: str) -> list[RenderableType]:
    """The whole exchange diff, every section shown: what `respdeck diff` prints."""
    out: list[RenderableType] = [Text(summary(doc, a_label, b_label), style="bold")]
    for section in SECTIONS:
        out.append(Rule(TITLES[section], align="left"))
        out.append(section_renderable(section, doc))
    return out
