"""The tape deck: the schedule (pure, with made-up clocks) and `p` on the real app over a
seeded database: a stream played fast ends on the stored final response, a paused deck moves
only when stepped, a WebSocket session plays turn by turn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from addon.store.reader import Reader
from addon.store.sql_text import literal
from addon.wire.items import item_text
from addon.wire.result import StreamEvent
from inspector.tui.app import BrowseApp
from inspector.tui.detail import EventsTable
from inspector.tui.playback_screen import PlaybackScreen, deck_status
from inspector.tui.tape import UNTIMED_GAP_MS, Deck, tape_of, turns_of
from tests.test_tui_support import (
    SIZE,
    exchange_in,
    ready,
    run,
    seeded_db,
    select_exchange,
    text_of,
    wait_for,
)

__all__ = ["seeded_db"]
TOTAL = 32


def event(index: int, t_ms: float | None, kind: str, from_client: bool = False) -> StreamEvent:
    return StreamEvent(index, t_ms, kind, None, "{}", True, None, from_client)


def session_events() -> list[StreamEvent]:
    """Two turns on one socket, as websocket.har has them."""
    kinds = [
        (0.0, "response.create", True), (10.0, "response.created", False),
        (30.0, "response.output_text.delta", False), (40.0, "response.completed", False),
        (1500.0, "response.create", True), (1600.0, "response.created", False),
        (1700.0, "response.completed", False),
    ]  # fmt: skip
    return [event(i, t, k, c) for i, (t, k, c) in enumerate(kinds)]


def test_a_tape_keeps_offsets_in_order_and_spaces_untimed_events() -> None:
    tape = tape_of([event(0, 5.0, "a"), event(1, None, "b"), event(2, 3.0, "c")], False)
    assert tape.offsets == (5.0, 5.0, 5.0) and tape.timed and tape.turns == 1
    untimed = tape_of([event(0, None, "a"), event(1, None, "b")], False)
    assert untimed.offsets == (UNTIMED_GAP_MS, 2 * UNTIMED_GAP_MS) and not untimed.timed


def test_turns_start_where_the_parser_starts_a_response() -> None:
    assert turns_of(session_events(), websocket=True) == [0, 0, 0, 0, 1, 1, 1]
    assert turns_of(session_events(), websocket=False) == [0] * 7
    unanswered = [*session_events(), event(7, 1800.0, "response.create", True)]
    assert turns_of(unanswered, websocket=True)[-1] == 2  # a turn of its own, after the last


def test_the_deck_plays_at_its_pace_pauses_steps_and_jumps_turns() -> None:
    tape = tape_of(session_events(), websocket=True)
    deck = Deck(tape).play(now=100.0)
    assert deck.advance(100.0).cursor == 1  # the client's message at 0 ms
    assert deck.advance(100.035).cursor == 3  # 35 ms later at x1
    fast = deck.with_pace(10, 100.0)
    assert fast.advance(100.004).cursor == 4  # 40 ms of tape in 4 ms
    assert fast.delay(100.0) == 0.0 and fast.advance(100.0).delay(100.0) == pytest.approx(0.001)

    paused = deck.advance(100.035).pause(100.035)
    assert paused.advance(500.0).cursor == 3 and paused.position(500.0) == pytest.approx(35.0)
    assert paused.delay(500.0) is None
    stepped = paused.step(500.0)
    assert (stepped.cursor, stepped.position_ms, stepped.playing) == (4, 40.0, False)
    assert stepped.step(501.0).cursor == 5 and stepped.step(501.0).position_ms == 1500.0

    assert stepped.turn == 0 and stepped.next_turn(0.0).cursor == 5  # turn 2's message played
    assert stepped.next_turn(0.0).turn == 1
    assert stepped.next_turn(0.0).next_turn(0.0).done  # no third turn: the end

    waiting = stepped.play(0.0)  # 40 ms in, the next event at 1500 ms
    assert waiting.waiting_ms(1.2) == pytest.approx(1200.0)
    ended = deck.advance(200.0)
    assert ended.done and not ended.playing and ended.cursor == 7
    again = ended.play(300.0)
    assert again.cursor == 0 and again.playing  # space at the end plays from the start


def test_the_status_shows_the_wait_and_a_long_one_stands_out() -> None:
    tape = tape_of(session_events(), websocket=True)
    deck = Deck(tape).seek(4, 0.0).with_pace(10, 0.0).play(0.0)
    short, long = deck_status(deck, 0.01), deck_status(deck, 0.12)
    assert "waiting 100ms" in short.plain and "turn 1/2" in short.plain
    assert "▶ x10" in short.plain and "event 4/7" in short.plain
    assert "waiting 1.2s" in long.plain and "140ms of 1.7s" in short.plain
    assert any("red" in str(span.style) for span in long.spans)
    assert not any("red" in str(span.style) for span in short.spans)
    assert "paused" in deck_status(deck.pause(0.01), 9.0).plain


def stored_texts(reader: Reader, exchange_id: str) -> list[str | None]:
    """The text of each output item of the stored final response(s), turn by turn."""
    rows = reader.fetchall(
        f"SELECT raw FROM responses WHERE exchange_id = {literal(exchange_id)} "
        "ORDER BY response_index"
    )
    return [item_text(item) for (raw,) in rows for item in json.loads(raw)["output"]]


def app_store(app: BrowseApp) -> Reader:
    assert app.store is not None
    return app.store


def deltas_before(reader: Reader, exchange_id: str, cursor: int) -> str:
    """The text the client had after `cursor` events: their text deltas, as stored."""
    rows = reader.fetchall(
        f"SELECT delta FROM events WHERE exchange_id = {literal(exchange_id)} AND idx < "
        f"{cursor} AND type = 'response.output_text.delta' ORDER BY idx"
    )
    return "".join(delta for (delta,) in rows)


async def open_deck(pilot: Pilot[Any], recording: str) -> PlaybackScreen:
    app: BrowseApp = pilot.app  # type: ignore[assignment]
    await select_exchange(pilot, recording)
    await pilot.press("p")
    await wait_for(pilot, lambda: isinstance(app.screen, PlaybackScreen), what="the deck")
    deck = app.screen
    assert isinstance(deck, PlaybackScreen)
    await wait_for(pilot, lambda: deck.deck is not None or bool(deck.error), what="loaded")
    assert deck.deck is not None, deck.error
    return deck


async def from_the_start(pilot: Pilot[Any], deck: PlaybackScreen) -> None:
    """Paused before the first event, whatever the deck was doing: `n` pauses it (one event
    on, or none at the end), `r` goes back to the start."""
    await pilot.press("n", "r")
    await wait_for(pilot, lambda: "paused x1 · event 0/" in status(deck), what="the start")


def shown(deck: PlaybackScreen) -> str:
    return text_of(deck.query_one("#playback-body", Static))


def status(deck: PlaybackScreen) -> str:
    return text_of(deck.query_one("#deck-status", Static), width=200)


def test_a_stream_played_fast_ends_on_the_stored_final_response(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            screen_deck = await open_deck(pilot, "stream_text.har")
            await from_the_start(pilot, screen_deck)
            assert "assistant" not in shown(screen_deck)  # the question only, so far
            await pilot.press("0", "space")
            await wait_for(pilot, lambda: bool(screen_deck.deck and screen_deck.deck.done))
            await pilot.pause()
            expected = stored_texts(screen.store, exchange_in(screen.store, "stream_text.har"))
            assembly = screen_deck.assembly
            assert assembly is not None and expected and assembly.texts() == expected
            final = expected[-1]
            assert final is not None
            assert " ".join(final.split()[:6]) in " ".join(shown(screen_deck).split())
            table = screen_deck.query_one(EventsTable)
            assert table.cursor_row == table.row_count - 1 == len(assembly.recorded.events) - 1
            assert "■ end" in status(screen_deck)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen, what="back to the list")

    run(scenario)


def test_a_paused_deck_moves_only_when_stepped(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, TOTAL)
            deck = await open_deck(pilot, "stream_text.har")
            await from_the_start(pilot, deck)
            await pilot.press("space")
            await wait_for(pilot, lambda: deck.deck is not None and deck.deck.cursor >= 3)
            await pilot.press("space")
            await wait_for(pilot, lambda: "paused" in status(deck), what="paused")
            assert deck.deck is not None
            cursor, frames = deck.deck.cursor, deck.frames
            # at x1 its events arrive tens of ms apart: 15 frames would have brought some
            await wait_for(pilot, lambda: deck.frames >= frames + 15, what="15 frames")
            assert deck.deck.cursor == cursor
            text = deck.assembly.texts() if deck.assembly else []
            await pilot.press("n")
            await wait_for(pilot, lambda: deck.frames >= frames + 17, what="2 frames more")
            assert deck.deck.cursor == cursor + 1 and not deck.deck.playing
            assert deck.assembly is not None and deck.assembly.fed == cursor + 1
            await pilot.press("n", "n")
            await wait_for(pilot, lambda: deck.frames >= frames + 20, what="3 frames more")
            assert deck.deck.cursor == cursor + 3
            assert deck.query_one(EventsTable).cursor_row == cursor + 2
            assert deck.assembly.texts() != text  # the deltas stepped through were added
            store = app_store(app)
            assert deck.assembly.texts()[-1] == deltas_before(store, deck.exchange_id, cursor + 3)
            assert f"event {cursor + 3}/" in status(deck)
            await pilot.press("space")
            await wait_for(pilot, lambda: deck.deck is not None and deck.deck.cursor > cursor + 3)

    run(scenario)


def test_a_websocket_session_plays_turn_by_turn(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            deck = await open_deck(pilot, "websocket.har")
            expected = stored_texts(screen.store, exchange_in(screen.store, "websocket.har"))
            assert len(expected) == 2  # one message per turn
            await from_the_start(pilot, deck)
            assert deck.deck is not None and deck.tape is not None and deck.tape.turns == 2
            assert "(nothing sent or received yet)" in shown(deck)
            await pilot.press("t")  # turn 1: its client message goes out
            await wait_for(pilot, lambda: "event 1/" in status(deck), what="turn 1")
            assert "── input ──" in shown(deck) and "output" not in shown(deck)
            await pilot.press("t")  # to turn 2: its client message has just gone out
            await wait_for(pilot, lambda: "turn 2/2" in status(deck), what="turn 2")
            assembly = deck.assembly
            assert assembly is not None and assembly.texts() == expected[:1]  # turn 1 whole
            assert deck.deck.cursor == deck.tape.turn_start(1) + 1  # type: ignore[operator]
            body = shown(deck)
            assert "response 2" in body and "output · response 2" not in body  # asked only
            await pilot.press("0", "space")
            await wait_for(pilot, lambda: bool(deck.deck and deck.deck.done), what="the end")
            await pilot.pause()
            assert assembly.texts() == expected
            assert "output · response 2" in shown(deck)

    run(scenario)


def test_an_answer_that_was_not_streamed_has_nothing_to_play(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, TOTAL)
            await select_exchange(pilot, "vcr_cassette.yaml")
            await pilot.press("p")
            await wait_for(pilot, lambda: isinstance(app.screen, PlaybackScreen), what="deck")
            deck = app.screen
            assert isinstance(deck, PlaybackScreen)
            await wait_for(pilot, lambda: bool(deck.error), what="why not")
            assert "not a stream" in status(deck) and deck.deck is None

    run(scenario)
