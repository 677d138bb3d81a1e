"""`p`: the tape deck. A recorded stream plays again at its recorded pace: the conversation
grows as the client saw it, the timeline's cursor moves with each event, and a gap shows as
a wait that grows until the next event arrives (a stall stands out in red).

The deck (`tape.Deck`) is read on a frame timer of the app's loop; the exchange is loaded in
a thread worker that posts it back."""

from __future__ import annotations

import time
from typing import ClassVar

import duckdb
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from addon.store.db import StoreError
from addon.store.load import NotStored
from addon.store.queries import short_id
from addon.store.reader import Reader, error_text

from . import fmt
from .detail import EVENTS_LIMIT, EventsTable
from .detail_render import LONG_GAP_MS
from .playback import Assembly, Recorded, load_recorded
from .tape import Deck, Tape

FRAME_SECONDS = 1 / 30  # how often the deck is read and the screen follows it


class PlaybackLoaded(Message, bubble=False):
    def __init__(self, recorded: Recorded | None, error: str = "") -> None:
        super().__init__()
        self.recorded = recorded
        self.error = error


def deck_status(deck: Deck, now: float) -> Text:
    """The deck's line: state and pace, where it is, the wait since the last event."""
    tape = deck.tape
    if deck.done:
        state = "■ end (space plays again)"
    elif deck.playing:
        state = f"▶ x{deck.pace}"
    else:
        state = f"⏸ paused x{deck.pace}"
    parts = [
        f"event {deck.cursor}/{len(tape.events)}",
        f"{fmt.ms(deck.position(now))} of {fmt.ms(tape.length_ms)}",
    ]
    if tape.websocket:
        parts.append(f"turn {deck.turn + 1}/{tape.turns}")
    if not tape.timed:
        parts.append("no arrival times recorded: events evenly spaced")
    text = Text(" · ".join([state, *parts]))
    if not deck.done:
        waiting = deck.waiting_ms(now)
        what = "waiting for the first event" if deck.cursor == 0 else "waiting"
        style = "bold red" if waiting >= LONG_GAP_MS else "yellow"
        text.append(" · ")
        text.append(f"{what} {fmt.ms(waiting)}", style=style if waiting else "dim")
    return text


class PlaybackScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "play_pause", "Pause/Play"),
        Binding("n", "step", "Step"),
        Binding("1", "pace(1)", "x1"),
        Binding("2", "pace(2)", "x2"),
        Binding("0", "pace(10)", "x10"),
        Binding("t", "next_turn", "Next turn"),
        Binding("r", "restart", "Restart"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, store: Reader, exchange_id: str) -> None:
        super().__init__()
        self.store = store
        self.exchange_id = exchange_id
        self.deck: Deck | None = None
        self.assembly: Assembly | None = None
        self.error = ""
        self.frames = 0  # frames shown: the progress a test can wait on
        self._shown = -1  # the cursor the conversation was last drawn at
        self._status = Text()

    def compose(self) -> ComposeResult:
        yield Static(
            f"respdeck · playing exchange {short_id(self.exchange_id)} as it arrived",
            classes="title-bar",
            markup=False,
        )
        yield Static("Loading the recording…", id="deck-status")
        with VerticalScroll(id="playback-scroll"):
            yield Static(id="playback-body")
        yield EventsTable(id="playback-events")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(EventsTable)
        table.can_focus = False  # the deck moves its cursor, not the arrow keys
        self.query_one("#playback-scroll").focus()
        self.load()
        self.set_interval(FRAME_SECONDS, self._frame)

    @work(thread=True, exclusive=True, group="playback")
    def load(self) -> None:
        try:
            with self.store.cursor("aux") as cur:
                recorded = load_recorded(cur, self.exchange_id, self.store.memo)
        except NotStored:
            recorded = None
        except (duckdb.Error, StoreError) as exc:
            self.post_message(PlaybackLoaded(None, error_text(exc)))
            return
        self.post_message(PlaybackLoaded(recorded, "" if recorded else "no longer stored"))

    def on_playback_loaded(self, message: PlaybackLoaded) -> None:
        recorded = message.recorded
        status = self.query_one("#deck-status", Static)
        if recorded is None:
            self.error = message.error
            status.update(Text(f"✗ {message.error}", style="bold red"))
            return
        if not recorded.tape.events:
            self.error = "not a stream: no events to play"
            status.update(Text(f"{self.error} (the Conversation tab shows the answer)"))
            return
        self.assembly = Assembly(recorded)
        self.query_one(EventsTable).show(recorded.detail)
        self.refresh_bindings()  # `t` is for a WebSocket session's turns
        self._show(Deck(recorded.tape).play(time.monotonic()))

    @property
    def tape(self) -> Tape | None:
        return self.deck.tape if self.deck is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_turn":
            return self.tape is not None and self.tape.websocket
        return True

    # -- the deck ---------------------------------------------------------------------------

    def _frame(self) -> None:
        self.frames += 1
        if self.deck is not None:
            now = time.monotonic()
            self._show(self.deck.advance(now) if self.deck.playing else self.deck, now)

    def _show(self, deck: Deck, now: float | None = None) -> None:
        """Follow the deck: the conversation and the timeline's cursor when an event came
        (or went, going back), the status line always (the wait grows)."""
        now = time.monotonic() if now is None else now
        self.deck = deck
        assembly = self.assembly
        if assembly is not None and deck.cursor != self._shown:
            self._shown = deck.cursor
            assembly.advance(deck.cursor)
            scroll = self.query_one("#playback-scroll", VerticalScroll)
            following = scroll.scroll_y >= scroll.max_scroll_y - 1
            self.query_one("#playback-body", Static).update(assembly.renderable())
            if following:
                scroll.call_after_refresh(scroll.scroll_end, animate=False)
            table = self.query_one(EventsTable)
            table.show_cursor = deck.cursor > 0
            if 0 < deck.cursor <= min(table.row_count, EVENTS_LIMIT):
                table.move_cursor(row=deck.cursor - 1)
        line = deck_status(deck, now)
        if line != self._status:  # a paused deck's line stays: nothing to draw again
            self._status = line
            self.query_one("#deck-status", Static).update(line)

    def _change(self, change: str, pace: int = 1) -> None:
        if self.deck is None:
            return
        now = time.monotonic()
        deck = self.deck.advance(now) if self.deck.playing else self.deck
        if change == "toggle":
            deck = deck.toggle(now)
        elif change == "step":
            deck = deck.pause(now).step(now)
        elif change == "pace":
            deck = deck.with_pace(pace, now)
        elif change == "next_turn":
            deck = deck.next_turn(now)
        elif change == "restart":
            deck = deck.seek(0, now)
        self._show(deck, now)

    def action_play_pause(self) -> None:
        self._change("toggle")

    def action_step(self) -> None:
        """One event more; the deck pauses (space plays on)."""
        self._change("step")

    def action_pace(self, pace: int) -> None:
        self._change("pace", pace)

    def action_next_turn(self) -> None:
        self._change("next_turn")

    def action_restart(self) -> None:
        """Back to the request going out (playing on if it was playing)."""
        self._change("restart")
