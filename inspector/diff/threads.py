"""Two threads diffed turn by turn (`respdeck diff --thread`).

A thread is the store's (the `threads` view, walked as the TUI's thread screen walks it).
Turns align like items, keyed by what each turn added to the conversation and what came
back, so a thread with one extra turn shows one added turn and the turns after it still pair
with their counterparts. Each paired turn gets its exchange diff; totals add every turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from addon.store.load import Executes
from addon.store.queries import thread_walk_sql
from addon.store.queries.common import TOKEN_FIELDS, normal_row
from addon.store.queries.sides import turn_responses_sql
from addon.wire.canonical import canonical_text

from .align import align
from .document import diff_exchanges
from .outcome import totals
from .side import TIMING_FIELDS, DiffSide
from .sides import DiffTrouble, json_or_none, sides_from_store


def _rows(store: Executes, sql: str) -> list[dict[str, Any]]:
    result = store.execute(sql)
    names = [d[0] for d in result.description]
    return [normal_row(names, r) for r in result.fetchall()]


def thread_turns(store: Executes, exchange_id: str) -> tuple[str | None, list[DiffSide], list[str]]:
    """The thread holding an exchange: its id, one side per turn, and each turn's key."""
    walk = _rows(store, thread_walk_sql(exchange_id))
    if not walk:
        raise DiffTrouble(f"exchange {exchange_id} is in no thread (no response of its own)")
    ids = list(dict.fromkeys(str(t["exchange_id"]) for t in walk))
    base = {s.exchange_id: s for s in sides_from_store(store, ids)}
    responses = {
        (str(r["exchange_id"]), r["response_index"]): r
        for r in _rows(store, turn_responses_sql(ids))
    }
    per_exchange = {i: sum(1 for k in responses if k[0] == i) for i in ids}
    turns, keys = [], []
    for n, turn in enumerate(walk):
        side = base[str(turn["exchange_id"])]
        label = f"turn {n + 1}"
        if per_exchange[str(turn["exchange_id"])] > 1:  # one turn of a WebSocket session
            key = (str(turn["exchange_id"]), turn["response_index"])
            side = _one_turn(side, responses.get(key), turn)
        turns.append(replace(side, label=label))
        keys.append(canonical_text([turn.get("inputs") or [], turn.get("outputs") or []]))
    return walk[0].get("thread_id"), turns, keys


def _one_turn(side: DiffSide, response: dict[str, Any] | None, turn: dict[str, Any]) -> DiffSide:
    index = turn.get("response_index") or 0
    raw = json_or_none(response["raw"]) if response else None
    usage = {f: (response or {}).get(f) for f in (*TOKEN_FIELDS, "cost_usd")}
    request = side.turn_requests[index] if index < len(side.turn_requests) else side.request
    return replace(
        side,
        request=request,
        response=raw if isinstance(raw, dict) else None,
        response_id=turn.get("response_id"),
        usage=usage,
        timing=dict.fromkeys(TIMING_FIELDS),  # a session's turns are not timed one by one
        events={},
    )


def _known(index: int | None) -> int:
    assert index is not None
    return index


def diff_threads(
    a: Sequence[DiffSide],
    b: Sequence[DiffSide],
    a_keys: Sequence[str],
    b_keys: Sequence[str],
    *,
    ignore: Sequence[str] = (),
    strict: bool = False,
    names: tuple[str | None, str | None] = (None, None),
) -> dict[str, Any]:
    """`{same, a, b, turns: [{op, a_index, b_index, same, diff}], totals: {usage, timing}}`: each
    paired turn with its exchange diff (`diff`), an added or removed turn with its side's
    usage; totals over every turn of each thread."""
    steps = align(a_keys, b_keys, ["turn"] * len(a), ["turn"] * len(b))
    turns = []
    for step in steps:
        entry: dict[str, Any] = {"a_index": step.a_index, "b_index": step.b_index}
        if step.a_index is not None and step.b_index is not None:
            doc = diff_exchanges(a[step.a_index], b[step.b_index], ignore=ignore, strict=strict)
            entry |= {"op": "equal" if doc["same"] else "changed", "same": doc["same"], "diff": doc}
        else:
            only = a[step.a_index] if step.a_index is not None else b[_known(step.b_index)]
            entry |= {
                "op": step.op,
                "same": False,
                "label": only.label,
                "usage": dict(only.usage),
            }
        turns.append(entry)
    return {
        "same": all(t["same"] for t in turns) and len(a) == len(b),
        "a": {"thread_id": names[0], "turns": len(a)},
        "b": {"thread_id": names[1], "turns": len(b)},
        "turns": turns,
        "totals": totals(a, b),
    }
