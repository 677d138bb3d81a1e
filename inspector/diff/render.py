"""A diff document rendered for people: the TUI's diff screen and `respdeck diff` without
`--json` print these (rich renderables: colour on a terminal, plain text otherwise).

Pure functions over the documented keys only, so rendering does not depend on how the diff
was computed: equal runs fold into one line, word diffs are highlighted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

Doc = Mapping[str, Any]
ADDED = "bold green"
REMOVED = "bold red strike"
CHANGED = "yellow"
SECTIONS = ("request", "input", "output", "outcome")
TITLES = {
    "request": "Request",
    "input": "Input items",
    "output": "Output",
    "outcome": "Outcome (usage and timing)",
}
OP_MARK = {"equal": " ", "changed": "~", "added": "+", "removed": "-"}
OP_STYLE = {"equal": "dim", "changed": CHANGED, "added": ADDED, "removed": REMOVED}


def _get(doc: Doc, dotted: str) -> Any:
    """`request.model` as a flat key or a nested one (both shapes are accepted)."""
    if dotted in doc:
        return doc[dotted]
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
    if op == "added":
        return Text(f"+ {label.strip()}: ", style=ADDED).append(_short(b))
    if op == "removed":
        return Text(f"- {label.strip()}: ", style=REMOVED).append(_short(a))
    line = Text(f"{label}: ", style="bold")
    if a == b:
        line.append(_short(a))
    else:
        line.append(_short(a), style=REMOVED).append(" → ").append(_short(b), style=ADDED)
    return line


def word_diff(label: str, part: Any) -> RenderableType:
    """A `{same, diff}` entry: one line when same; else the diff with its words highlighted."""
    part = part if isinstance(part, Mapping) else {}
    if part.get("same", True):
        return Text(f"{label}: same", style="dim")
    return Group(Text(f"{label}:", style="bold"), diff_text(part.get("diff")))


def diff_text(diff: Any) -> Text:
    """A word diff as text. Accepted forms: a list of `[op, text]` pairs or of `{op, text}`
    (op `equal`/`insert`/`delete`/`replace`, or `=`/`+`/`-`), or unified-diff lines."""
    out = Text()
    if isinstance(diff, str):
        for line in diff.splitlines():
            style = ADDED if line.startswith("+") else REMOVED if line.startswith("-") else ""
            out.append(line + "\n", style=style)
        return out
    for piece in diff or []:
        if isinstance(piece, Mapping):
            op, words = piece.get("op", "equal"), piece.get("text", "")
            if "a" in piece or "b" in piece:
                op, words = "replace", (piece.get("a") or "", piece.get("b") or "")
        elif isinstance(piece, Sequence) and len(piece) >= 2:
            op, words = piece[0], piece[1] if len(piece) == 2 else tuple(piece[1:3])
        else:
            out.append(str(piece))
            continue
        if op in ("replace", "~") and isinstance(words, tuple | list):
            out.append(str(words[0]), style=REMOVED).append(str(words[1]), style=ADDED)
        elif op in ("insert", "added", "+"):
            out.append(str(words), style=ADDED)
        elif op in ("delete", "removed", "-"):
            out.append(str(words), style=REMOVED)
        else:
            out.append(_fold_words(str(words)))
    return out


def _fold_words(text: str, keep: int = 6) -> str:
    """A long equal run keeps a few words at each end."""
    words = text.split(" ")
    if len(words) <= 2 * keep + 1:
        return text
    return " ".join(words[:keep]) + f" …({len(words) - 2 * keep} words)… " + " ".join(words[-keep:])


def aligned(entries: Any) -> list[Text]:
    """An aligned item list: changes shown, each run of equal items folded into one line."""
    lines: list[Text] = []
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
        where = f"a[{_idx(entry.get('a_index'))}] b[{_idx(entry.get('b_index'))}]"
        named = " ".join(
            str(entry[k]) for k in ("role", "name") if isinstance(entry.get(k), str)
        ) or (f"→ {entry['call']}" if isinstance(entry.get("call"), str) else "")
        what = f"{entry.get('type') or 'item'}" + (f" ({named})" if named else "")
        line = Text(f"{OP_MARK.get(op, '?')} {what} {where}")
        line.stylize(OP_STYLE.get(op, ""))
        lines.append(line)
        lines.extend(_changes(entry.get("changes")))
    fold()
    return lines or [Text("(no items)", style="dim")]


def _idx(value: Any) -> str:
    return "-" if value is None else str(value)


def _changes(changes: Any) -> list[Text]:
    """An entry's `changes`: a list of `{path, a, b}` or of strings, or a mapping path → value."""
    if not changes:
        return []
    if isinstance(changes, Mapping):
        changes = [
            {"path": k, **(v if isinstance(v, Mapping) else {"b": v})} for k, v in changes.items()
        ]
    out = []
    for change in changes if isinstance(changes, list) else [changes]:
        if isinstance(change, Mapping) and change.get("diff"):
            line = Text(f"    {change.get('path', '')}: ")
            out.append(line.append_text(diff_text(change["diff"])))
        elif isinstance(change, Mapping):
            out.append(a_b(f"    {change.get('path', '')}", change))
        else:
            out.append(Text(f"    {_short(change, 120)}"))
    return out


def request_section(doc: Doc) -> RenderableType:
    parts: list[RenderableType] = [
        a_b("model", _get(doc, "request.model")),
        word_diff("instructions", _get(doc, "request.instructions")),
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
        parts.extend(_changes(tool.get("changes")))
    params = _get(doc, "request.params") or []
    parts.append(Text(f"parameters: {len(params)} differ", style="bold" if params else "dim"))
    parts.extend(a_b(f"  {p.get('path')}", p) for p in params)
    return Group(*parts)


def input_section(doc: Doc) -> RenderableType:
    return Group(*aligned(_get(doc, "request.input_items")))


def output_section(doc: Doc) -> RenderableType:
    parts: list[RenderableType] = []
    http = _get(doc, "response.http_status") or {}
    if http.get("a") != http.get("b"):
        parts.append(a_b("HTTP status", http))
    parts.append(a_b("status", _get(doc, "response.status")))
    reason = _get(doc, "response.incomplete_reason") or {}
    if reason.get("a") != reason.get("b") or reason.get("a") is not None:
        parts.append(a_b("incomplete", reason))
    error = _get(doc, "response.error") or {}
    if error.get("changes") or error.get("a"):
        parts.append(Text("error:", style="bold"))
        parts.extend(_changes(error.get("changes")) or [Text(f"    {_short(error.get('a'), 120)}")])
    parts.append(word_diff("output_text", _get(doc, "response.output_text")))
    parts.extend(aligned(_get(doc, "response.output_items")))
    return Group(*parts)


def outcome_section(doc: Doc) -> RenderableType:
    """Usage and timing, a, b and delta each (the numbers, right-aligned)."""
    table = Table(box=None, pad_edge=False, show_edge=False)
    for name, justify in (("", "left"), ("a", "right"), ("b", "right"), ("delta", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for group in ("usage", "timing", "events"):
        for name, value in (_get(doc, group) or {}).items():
            if group == "events" and not (value or {}).get("delta"):
                continue  # only the event types whose count changed
            value = value if isinstance(value, Mapping) else {}
            delta = value.get("delta")
            style = "" if not delta else (ADDED if delta < 0 else REMOVED)
            table.add_row(
                name,
                _num(value.get("a")),
                _num(value.get("b")),
                Text(_num(delta, True), style=style),
            )
    findings = _get(doc, "findings") or {}
    lines: list[RenderableType] = [table]
    for key, mark, style in (("added", "+", ADDED), ("removed", "-", REMOVED)):
        if findings.get(key):
            lines.append(Text(f"{mark} findings: {', '.join(findings[key])}", style=style))
    return Group(*lines)


def _num(value: Any, signed: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:+.6f}" if signed else f"{value:.6f}"
        return text.rstrip("0")
    number = int(value) if isinstance(value, float) else value
    return (
        f"{number:+,}"
        if signed and isinstance(number, int)
        else f"{number:,}"
        if isinstance(number, int)
        else str(number)
    )


RENDER = {
    "request": request_section,
    "input": input_section,
    "output": output_section,
    "outcome": outcome_section,
}


def summary(doc: Doc, a_label: str, b_label: str) -> str:
    """The screen's one-line heading."""
    verdict = "the same (volatile fields ignored)" if doc.get("same") else "different"
    return f"a {a_label} · b {b_label} · {verdict}"


def differs(doc: Doc, section: str) -> bool:
    """Whether a section has anything to show beyond equal parts (equal sections start folded)."""
    if section == "request":
        model = _get(doc, "request.model") or {}
        instr = _get(doc, "request.instructions") or {}
        tools = _get(doc, "request.tools") or []
        return bool(
            model.get("a") != model.get("b")
            or not instr.get("same", True)
            or any(t.get("op") != "equal" for t in tools)
            or _get(doc, "request.params")
        )
    if section == "input":
        return any(e.get("op") != "equal" for e in _get(doc, "request.input_items") or [])
    if section == "output":
        status = _get(doc, "response.status") or {}
        http = _get(doc, "response.http_status") or {}
        error = _get(doc, "response.error") or {}
        text = _get(doc, "response.output_text") or {}
        items = _get(doc, "response.output_items") or []
        return bool(
            status.get("a") != status.get("b")
            or http.get("a") != http.get("b")
            or error.get("changes")
            or not text.get("same", True)
            or any(e.get("op") != "equal" for e in items)
        )
    return True  # the outcome's numbers always differ somewhere worth seeing


def exchange_renderables(doc: Doc, a_label: str, b_label: str) -> list[RenderableType]:
    """The whole exchange diff, every section shown: what `respdeck diff` prints."""
    out: list[RenderableType] = [Text(summary(doc, a_label, b_label), style="bold")]
    for section in SECTIONS:
        out.append(Rule(TITLES[section], align="left"))
        out.append(RENDER[section](doc))
    return out


def _brief(doc: Doc) -> Text:
    """One line of what an exchange diff found: the sections that differ."""
    if doc.get("same"):
        return Text("same", style="dim")
    found = [TITLES[s].split(" ")[0].lower() for s in SECTIONS[:3] if differs(doc, s)]
    return Text("differs in " + (", ".join(found) or "outcome"), style=CHANGED)


def totals_table(totals: Any) -> RenderableType:
    """Totals of a thread or capture diff: a, b and delta of each number."""
    totals = totals if isinstance(totals, Mapping) else {}
    return outcome_section({"usage": totals.get("usage"), "timing": totals.get("timing")})


def thread_renderables(doc: Doc) -> list[RenderableType]:
    """`respdeck diff --thread`: a line per aligned turn, the changed turns' diffs, totals."""
    a, b = doc.get("a") or {}, doc.get("b") or {}
    verdict = "the same" if doc.get("same") else "different"
    out: list[RenderableType] = [
        Text(
            f"thread a {a.get('thread_id')} ({a.get('turns')} turns) · "
            f"b {b.get('thread_id')} ({b.get('turns')} turns) · {verdict}",
            style="bold",
        )
    ]
    for turn in doc.get("turns") or []:
        op = turn.get("op", "equal")
        where = f"a[{_idx(turn.get('a_index'))}] b[{_idx(turn.get('b_index'))}]"
        line = Text(f"{OP_MARK.get(op, '?')} turn {where}: ", style=OP_STYLE.get(op, ""))
        if turn.get("diff") is not None:
            line.append_text(_brief(turn["diff"]))
        else:
            line.append(f"only in {'a' if op == 'removed' else 'b'}")
        out.append(line)
    for turn in doc.get("turns") or []:
        if turn.get("op") == "changed":
            where = f"a[{_idx(turn.get('a_index'))}] b[{_idx(turn.get('b_index'))}]"
            out.append(Rule(f"turn {where}", align="left", style="bold"))
            out.extend(exchange_renderables(turn["diff"], "", "")[1:])
    out.append(Rule("Totals", align="left"))
    out.append(totals_table(doc.get("totals")))
    return out


def capture_renderables(doc: Doc) -> list[RenderableType]:
    """`respdeck diff --capture`: counts, a line per pair that changed, the unpaired, totals."""
    counts = doc.get("counts") or {}
    a, b = doc.get("a") or {}, doc.get("b") or {}
    out: list[RenderableType] = [
        Text(
            f"capture a {a.get('capture_id')} ({counts.get('a')} exchanges) · "
            f"b {b.get('capture_id')} ({counts.get('b')} exchanges)",
            style="bold",
        ),
        Text(
            f"{counts.get('paired')} paired: {counts.get('same')} same, "
            f"{counts.get('changed')} changed; {counts.get('only_a')} only in a, "
            f"{counts.get('only_b')} only in b"
        ),
    ]
    for pair in doc.get("pairs") or []:
        if pair.get("same"):
            continue
        diff = pair.get("diff") or {}
        line = Text(f"~ a[{pair.get('a_index')}] b[{pair.get('b_index')}] ", style=CHANGED)
        line.append(f"{(diff.get('b') or {}).get('endpoint') or ''}: ").append_text(_brief(diff))
        out.append(line)
    for key, mark, style in (("only_a", "-", REMOVED), ("only_b", "+", ADDED)):
        for alone in doc.get(key) or []:
            out.append(
                Text(
                    f"{mark} {key[-1]}[{alone.get('index')}] {alone.get('endpoint') or ''} "
                    f"{alone.get('model') or ''}",
                    style=style,
                )
            )
    out.append(Rule("Totals", align="left"))
    out.append(totals_table(doc.get("totals")))
    return out
