"""Thread and capture diffs rendered for people (`respdeck diff --thread` / `--capture`):
a line per aligned turn or pair, the changed ones' exchange diffs, then the totals. Built from
the exchange rendering (render.py) and, like it, over the documented keys only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import RenderableType
from rich.rule import Rule
from rich.text import Text

from .render import (
    ADDED,
    CHANGED,
    OP_MARK,
    OP_STYLE,
    REMOVED,
    SECTIONS,
    TITLES,
    Doc,
    differs,
    idx,
    outcome_section,
    section_renderable,
)


def differing_sections(doc: Doc) -> list[RenderableType]:
    """A turn's or pair's exchange diff inside a longer one: only its sections that differ,
    then one line naming those that do not."""
    out: list[RenderableType] = []
    same = []
    for section in SECTIONS:
        if differs(doc, section):
            out.append(Rule(TITLES[section], align="left"))
            out.append(section_renderable(section, doc))
        else:
            same.append(TITLES[section].split(" ")[0].lower())
    if same:
        out.append(Text(f"same: {', '.join(same)}", style="dim"))
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
        where = f"a[{idx(turn.get('a_index'))}] b[{idx(turn.get('b_index'))}]"
        line = Text(f"{OP_MARK.get(op, '?')} turn {where}: ", style=OP_STYLE.get(op, ""))
        if turn.get("diff") is not None:
            line.append_text(_brief(turn["diff"]))
        else:
            line.append(f"only in {'a' if op == 'removed' else 'b'}")
        out.append(line)
    for turn in doc.get("turns") or []:
        if turn.get("op") == "changed":
            where = f"a[{idx(turn.get('a_index'))}] b[{idx(turn.get('b_index'))}]"
            out.append(Rule(f"turn {where}", align="left", style="bold"))
            out.extend(differing_sections(turn["diff"]))
    out.append(Rule("Totals", align="left"))
    out.append(totals_table(doc.get("totals")))
    return out


def capture_renderables(doc: Doc) -> list[RenderableType]:
    """`respdeck diff --capture`: counts, a line per pair that changed and per unpaired
    exchange, the changed pairs' diffs, totals."""
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
    for pair in doc.get("pairs") or []:
        if not pair.get("same") and pair.get("diff") is not None:
            where = f"a[{pair.get('a_index')}] b[{pair.get('b_index')}]"
            out.append(Rule(f"pair {where}", align="left", style="bold"))
            out.extend(differing_sections(pair["diff"]))
    out.append(Rule("Totals", align="left"))
    out.append(totals_table(doc.get("totals")))
    return out
