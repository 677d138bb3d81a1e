"""From two names to a diff document and its rendering: what `respdeck diff` runs, for an
exchange, a thread (`--thread`) or a capture (`--capture`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import RenderableType

from .captures import diff_captures
from .document import diff_exchanges
from .render import exchange_renderables
from .render_runs import capture_renderables, thread_renderables
from .sides import Sources
from .threads import diff_threads, thread_turns

MODES = ("exchange", "thread", "capture")


def compare(
    sources: Sources,
    a: str,
    b: str,
    mode: str,
    *,
    ignore: Sequence[str] = (),
    strict: bool = False,
) -> tuple[dict[str, Any], list[RenderableType]]:
    """The diff document of what `a` and `b` name, and what prints it. DiffTrouble when
    either cannot be read."""
    if mode == "capture":
        a_id, a_sides = sources.capture(a)
        b_id, b_sides = sources.capture(b)
        doc = diff_captures(a_sides, b_sides, ignore=ignore, strict=strict, names=(a_id, b_id))
        return doc, capture_renderables(doc)
    a_store, a_side = sources.side(a)
    b_store, b_side = sources.side(b)
    if mode == "thread":
        a_thread, a_turns, a_keys = thread_turns(a_store, str(a_side.exchange_id))
        b_thread, b_turns, b_keys = thread_turns(b_store, str(b_side.exchange_id))
        doc = diff_threads(
            a_turns, b_turns, a_keys, b_keys, ignore=ignore, strict=strict,
            names=(a_thread, b_thread),
        )  # fmt: skip
        return doc, thread_renderables(doc)
    doc = diff_exchanges(a_side, b_side, ignore=ignore, strict=strict)
    return doc, exchange_renderables(doc, a, b)
