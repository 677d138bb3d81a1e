"""What the client had seen at a point of a recorded stream: the response (one per WebSocket
turn) assembled from the events up to the deck's cursor by the wire core's `Accumulator`, fed
as the parser feeds it, and the conversation rows the Conversation tab's renderer takes.

`load_recorded` runs in a worker: the exchange as stored, parsed again by `parse_exchange` (the
events with their payloads), and the store's detail (input items, findings)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from addon.store.load import load_exchange
from addon.store.reader import Query
from addon.wire.accumulate import Accumulator
from addon.wire.items import item_text
from addon.wire.parse import parse_exchange
from addon.wire.result import StreamEvent

from .conversation import render_items
from .fetch import Detail, Row, fetch_detail
from .tape import Tape, tape_of


@dataclass(slots=True)
class Recorded:
    """An exchange to play: the store's detail (its timeline rows made from `events`, so the
    two always agree) and the parsed events, one tape."""

    detail: Detail
    events: list[StreamEvent]
    tape: Tape


def timeline_rows(events: Sequence[StreamEvent]) -> list[Row]:
    """The events timeline's rows, as the store keeps them (`addon.store.rows`)."""
    rows = []
    for event in events:
        _, _, _, delta = event.columns or (None, None, None, None)
        rows.append(
            {
                "idx": event.index,
                "t_ms": event.t_ms,
                "type": event.type,
                "sequence_number": event.sequence_number,
                "delta": delta if isinstance(delta, str) else None,
                "from_client": event.from_client,
            }
        )
    return rows


def load_recorded(cur: Query, exchange_id: str, memo: dict[Any, Any]) -> Recorded | None:
    """The exchange to play (None: it is no longer stored)."""
    detail = fetch_detail(cur, exchange_id, None, memo)
    if detail is None:
        return None
    stored = load_exchange(cur, exchange_id)
    parsed = parse_exchange(stored)
    detail.events = timeline_rows(parsed.events)
    return Recorded(detail, parsed.events, tape_of(parsed.events, stored.websocket is not None))


class Assembly:
    """The responses so far: one accumulator per turn, fed the events before the cursor."""

    def __init__(self, recorded: Recorded) -> None:
        self.recorded = recorded
        self.fed = 0
        self.turns: dict[int, Accumulator] = {}

    def advance(self, cursor: int) -> None:
        """Fed up to `cursor` (going back starts again from the first event)."""
        if cursor < self.fed:
            self.fed, self.turns = 0, {}
        tape = self.recorded.tape.events
        for n in range(self.fed, cursor):
            event = self.recorded.events[n]
            data = event.data if not event.from_client else None
            if isinstance(data, dict):  # a fresh dict: the accumulator keeps and grows it
                self.turns.setdefault(tape[n].turn, Accumulator()).feed(event.index, data)
        self.fed = max(self.fed, cursor)

    def outputs(self) -> list[tuple[int, dict[str, Any]]]:
        """(turn, output item) so far, turn by turn."""
        out: list[tuple[int, dict[str, Any]]] = []
        for turn in sorted(self.turns):
            output = self.turns[turn].result().response.get("output") or []
            out += [(turn, item) for item in output if isinstance(item, dict)]
        return out

    def texts(self) -> list[str | None]:
        """The text of each output item so far (as the store's `items.text` says it)."""
        return [item_text(item) for _, item in self.outputs()]

    def seen_turns(self) -> set[int]:
        """Turns the client has a part of: an SSE request's one from the start (it was sent
        before anything came back), a session's as their first message goes by."""
        tape = self.recorded.tape
        if not tape.websocket:
            return {0}
        return {e.turn for e in tape.events[: self.fed]}

    def rows(self) -> list[Row]:
        """Conversation rows: each turn seen, its input items, then its output so far."""
        seen = self.seen_turns()
        detail = self.recorded.detail
        inputs = [
            i
            for i in detail.items
            if i.get("direction") == "input" and (i.get("response_index") or 0) in seen
        ]
        outputs = [
            {
                "direction": "output",
                "position": n,
                "type": item.get("type"),
                "role": item.get("role"),
                "status": item.get("status"),
                "call_id": item.get("call_id"),
                "raw": json.dumps(item, ensure_ascii=False),
                "response_index": turn,
            }
            for n, (turn, item) in enumerate(self.outputs())
        ]
        rows = inputs + outputs
        rows.sort(key=lambda r: (r.get("response_index") or 0, r["direction"] != "input"))
        return rows

    def renderable(self) -> RenderableType:
        blocks = render_items(self.rows(), self.recorded.detail.related)
        if not blocks:
            blocks = [Text("(nothing sent or received yet)", style="dim")]
        return Group(*blocks)
