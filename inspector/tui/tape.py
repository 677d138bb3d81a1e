"""The tape deck's schedule: a recorded stream's events at their arrival offsets, and a deck
that plays them at a pace (x1, x2, x10), pauses, steps one event, jumps a turn.

Pure: the clock is an argument (`now`, seconds of any monotonic clock), so the playback
screen drives a deck from the app's timers and the tests drive it with made-up times. A deck
is a value: each operation returns the next deck.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from addon.wire.result import StreamEvent

PACES = (1, 2, 10)
UNTIMED_GAP_MS = 50.0  # events recorded without arrival times are played this far apart


@dataclass(frozen=True, slots=True)
class TapeEvent:
    index: int  # the event's index in the exchange (its row in the timeline)
    offset_ms: float  # arrival since the request began
    turn: int  # the response it belongs to: a WebSocket session's turn, else 0
    kind: str | None
    from_client: bool


@dataclass(frozen=True)
class Tape:
    events: tuple[TapeEvent, ...]
    timed: bool  # arrival times were recorded (else the events are spaced evenly)
    websocket: bool

    @cached_property
    def offsets(self) -> tuple[float, ...]:
        return tuple(e.offset_ms for e in self.events)

    @property
    def length_ms(self) -> float:
        return self.offsets[-1] if self.events else 0.0

    @property
    def turns(self) -> int:
        return self.events[-1].turn + 1 if self.events else 0

    def turn_start(self, turn: int) -> int | None:
        """The index of the first event of `turn` (None: no such turn)."""
        return next((i for i, e in enumerate(self.events) if e.turn == turn), None)


def turns_of(events: Sequence[StreamEvent], websocket: bool) -> list[int]:
    """The turn of each event, as the parser assembles them: on a WebSocket each server
    `response.created` starts a response of its own (`stream_assembly.parse_websocket`); a
    client message belongs to the response that answers it, the next one the server starts.
    An SSE body is one response."""
    if not websocket:
        return [0] * len(events)
    turns: list[int | None] = []
    current = -1
    for event in events:
        if event.from_client:
            turns.append(None)  # settled below, by the server event after it
            continue
        if event.type == "response.created" or current < 0:
            current += 1
        turns.append(current)
    settled: list[int] = []
    following = current + 1  # a message nothing answered: a turn of its own, after the last
    for turn in reversed(turns):
        following = turn if turn is not None else following
        settled.append(following)
    return settled[::-1]


def tape_of(events: Sequence[StreamEvent], websocket: bool) -> Tape:
    """The events on a timeline. Offsets never go back (an event completed by a later chunk
    cannot arrive before the one before it); an event with no recorded time arrives with the
    one before it, and a stream with no times at all plays its events UNTIMED_GAP_MS apart."""
    timed = any(e.t_ms is not None for e in events)
    turns = turns_of(events, websocket)
    out: list[TapeEvent] = []
    last = 0.0
    for n, (event, turn) in enumerate(zip(events, turns, strict=True)):
        if not timed:
            offset = (n + 1) * UNTIMED_GAP_MS
        else:
            offset = max(last, event.t_ms) if event.t_ms is not None else last
        last = offset
        out.append(TapeEvent(event.index, offset, turn, event.type, event.from_client))
    return Tape(tuple(out), timed, websocket)


@dataclass(frozen=True, slots=True)
class Deck:
    """Where a tape is: `cursor` events have arrived; the tape's clock reads `position_ms` at
    the moment `anchor` (None: paused, the tape's clock stopped)."""

    tape: Tape
    cursor: int = 0
    pace: int = 1
    position_ms: float = 0.0
    anchor: float | None = None

    @property
    def playing(self) -> bool:
        return self.anchor is not None

    @property
    def done(self) -> bool:
        return self.cursor >= len(self.tape.events)

    @property
    def turn(self) -> int:
        """The turn of the last event played (the first turn before any)."""
        return self.tape.events[self.cursor - 1].turn if self.cursor else 0

    def position(self, now: float) -> float:
        """The tape's clock at `now`: it runs `pace` times as fast as the wall's."""
        if self.anchor is None:
            return self.position_ms
        moved = self.position_ms + (now - self.anchor) * 1000.0 * self.pace
        return min(moved, self.tape.length_ms)

    def _at(self, now: float) -> Deck:
        """The same deck, its clock read now (and re-anchored there when playing)."""
        return replace(self, position_ms=self.position(now), anchor=now if self.playing else None)

    def play(self, now: float) -> Deck:
        """Play on; at the end, from the start again."""
        deck = Deck(self.tape, pace=self.pace) if self.done else self
        return replace(deck, anchor=now)

    def pause(self, now: float) -> Deck:
        return replace(self._at(now), anchor=None)

    def toggle(self, now: float) -> Deck:
        return self.pause(now) if self.playing else self.play(now)

    def with_pace(self, pace: int, now: float) -> Deck:
        return replace(self._at(now), pace=pace)

    def advance(self, now: float) -> Deck:
        """Every event due by now has arrived; the deck stops at the end."""
        deck = self._at(now)
        cursor = max(deck.cursor, bisect_right(self.tape.offsets, deck.position_ms))
        deck = replace(deck, cursor=cursor)
        return replace(deck, anchor=None) if deck.done else deck

    def step(self, now: float) -> Deck:
        """One event more, whatever its gap: the clock goes to its arrival."""
        if self.done:
            return self
        deck = self._at(now)
        arrival = self.tape.offsets[deck.cursor]
        return replace(deck, cursor=deck.cursor + 1, position_ms=max(deck.position_ms, arrival))

    def seek(self, cursor: int, now: float) -> Deck:
        """Right after event `cursor - 1` arrived (0: before the first)."""
        cursor = max(0, min(cursor, len(self.tape.events)))
        position = self.tape.offsets[cursor - 1] if cursor else 0.0
        return replace(
            self, cursor=cursor, position_ms=position, anchor=now if self.playing else None
        )

    def next_turn(self, now: float) -> Deck:
        """To the first event of the next turn, played (at the last turn: the end)."""
        start = self.tape.turn_start(self.turn + 1) if self.cursor else 0
        return self.seek(len(self.tape.events) if start is None else start + 1, now)

    def delay(self, now: float) -> float | None:
        """Seconds until the next event is due (None: paused or at the end)."""
        if not self.playing or self.done:
            return None
        ahead = self.tape.offsets[self.cursor] - self.position(now)
        return max(0.0, ahead) / 1000.0 / self.pace

    def waiting_ms(self, now: float) -> float:
        """Tape time since the last event arrived (since the request began, before the
        first): the gap the client was sitting in."""
        since = self.tape.offsets[self.cursor - 1] if self.cursor else 0.0
        return max(0.0, self.position(now) - since)
