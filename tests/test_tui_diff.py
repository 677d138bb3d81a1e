"""The diff in the TUI and its rendering: `m` marks, `d` diffs real exchanges of a seeded
database, the thread view's `d` diffs a turn with the one before (two turns of one WebSocket
session too), `e`/`x` export; word diffs keep git's plain markers where there is no colour."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Collapsible, DataTable, Input, Static

from inspector.diff import Sources, diff_exchanges
from inspector.diff.render import (
    SECTIONS,
    diff_text,
    differs,
    exchange_renderables,
    fold_words,
    side_by_side,
)
from inspector.tui.app import BrowseApp
from inspector.tui.diff_screen import DiffExportScreen, DiffScreen
from inspector.tui.main_screen import MainScreen
from inspector.tui.thread_screen import ThreadScreen
from tests.test_tui_support import (
    RECORDINGS,
    SIZE,
    ready,
    run,
    seeded_db,
    select_exchange,
    text_of,
    wait_for,
)

__all__ = ["seeded_db"]

ROUNDTRIP = "function_call_roundtrip.har"  # a streamed call, then its output sent back
CODEX_WS = "websocket_codex.har"  # one WebSocket session: three turns of one exchange
TOTAL = 32
WORDS = [["equal", "Be "], ["delete", "coding"], ["insert", "careful"], ["equal", " now."]]


def printed(renderables: list[Any], colour: bool, width: int = 100) -> str:
    """What a console prints: without colour as `respdeck diff` into a pipe does."""
    console = Console(
        file=io.StringIO(),
        width=width,
        force_terminal=colour,
        color_system="truecolor" if colour else None,
    )
    for renderable in renderables:
        console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return str(out)


def roundtrip_doc() -> dict[str, Any]:
    with Sources(None) as sources:
        _, a = sources.side(f"{RECORDINGS / ROUNDTRIP}#0")
        _, b = sources.side(f"{RECORDINGS / ROUNDTRIP}#1")
        return diff_exchanges(a, b)


def test_word_diff_markers_without_colour_styles_with() -> None:
    assert diff_text(WORDS, plain=True).plain == "Be [-coding-]{+careful+} now."
    styled = diff_text(WORDS)
    assert styled.plain == "Be codingcareful now."
    assert {str(s.style) for s in styled.spans} == {"bold red strike", "bold green"}

    doc = roundtrip_doc()
    piped = printed(exchange_renderables(doc, "a", "b"), colour=False)
    assert "\x1b[" not in piped
    assert "{+It's 18 °C in Paris" in piped  # output_text: all of it is new in b
    on_terminal = printed(exchange_renderables(doc, "a", "b"), colour=True)
    assert "\x1b[" in on_terminal and "It's 18 °C" in on_terminal
    assert "{+It's" not in on_terminal and "+}" not in on_terminal  # the styles only


def test_side_by_side_puts_a_left_and_b_right() -> None:
    heading, row = printed([side_by_side(WORDS, plain=True)], colour=False, width=60).splitlines()
    assert heading.split() == ["a", "b"] and heading.index("b") >= 30
    left, right = row[:30], row[30:]
    assert "[-coding-]" in left and "{+" not in left and "careful" not in left
    assert "{+careful+}" in right and "coding" not in right
    assert left.startswith("Be ") and right.lstrip().startswith("Be ")


def test_sections_with_no_difference_fold() -> None:
    doc = roundtrip_doc()
    assert all(differs(doc, s) for s in SECTIONS)
    with Sources(None) as sources:
        _, a = sources.side(f"{RECORDINGS / ROUNDTRIP}#0")
        same = diff_exchanges(a, a)
    assert same["same"] is True
    assert not any(differs(same, s) for s in SECTIONS)
    shown = printed(exchange_renderables(same, "a", "a"), colour=False)
    assert "… 1 equal item" in shown and "output_text: same" in shown


def test_long_equal_runs_fold_around_the_change() -> None:
    words = " ".join(f"w{n}" for n in range(100))
    folded = diff_text(
        [["equal", words + " "], ["delete", "x"], ["insert", "y"], ["equal", " " + words]],
        plain=True,
    ).plain
    assert "w94 w95 w96 w97 w98 w99 [-x-]{+y+} w0 w1 w2 w3 w4 w5" in folded
    assert folded.count("…(94 words)…") == 2 and "w50" not in folded
    assert fold_words("a few words") == "a few words"


async def open_real_diff(pilot: Pilot[Any]) -> DiffScreen:
    """`m` on the round trip's first exchange, `d` on its second; the diff loaded."""
    app: BrowseApp = pilot.app  # type: ignore[assignment]
    screen = await select_exchange(pilot, ROUNDTRIP, 0)
    await pilot.press("m")
    assert "marked" in text_of(screen.query_one("#status", Static))
    await select_exchange(pilot, ROUNDTRIP, 1)
    await pilot.press("d")
    await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen), what="diff screen")
    diff = app.screen
    assert isinstance(diff, DiffScreen)
    await wait_for(pilot, lambda: diff.doc is not None or bool(diff.error), what="the diff")
    assert diff.doc is not None, diff.error
    return diff


def body(diff: DiffScreen, section: str) -> str:
    return text_of(diff.query_one(f"#diff-{section}-body", Static))


def test_mark_then_diff_shows_the_real_differences(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, TOTAL)
            await pilot.press("d")  # nothing marked: a warning, no screen
            await wait_for(
                pilot,
                lambda: any("Mark an exchange" in n.message for n in app._notifications),
                what="the warning",
            )
            assert app.screen is screen and isinstance(screen, MainScreen)

            diff = await open_real_diff(pilot)
            assert diff.doc is not None and diff.doc["same"] is False
            assert "different" in text_of(diff.query_one("#diff-title", Static))
            request = body(diff, "request")
            assert "+ previous_response_id: (an id)" in request
            inputs = body(diff, "input")
            assert "- message (user) a[0] b[-]" in inputs
            assert "+ function_call_output a[-] b[0]" in inputs
            output = body(diff, "output")
            assert "{+It's 18 °C in Paris" in output  # plain text: the markers show
            assert "- function_call (get_weather) a[0] b[-]" in output
            assert "input_tokens" in body(diff, "outcome") and "+53" in body(diff, "outcome")
            for section in ("request", "input", "output"):  # each differs: open
                assert not diff.query_one(f"#diff-{section}", Collapsible).collapsed
            # side by side: the text only b has stands in the right column; `s` inlines it
            (line,) = [x for x in output.splitlines() if "{+It's" in x]
            assert line.index("{+It's") >= 60 and not line[:60].strip()
            await pilot.press("s")
            inline = body(diff, "output")
            (line,) = [x for x in inline.splitlines() if "{+It's" in x]
            assert line.startswith("{+It's")

    run(scenario)


async def export(pilot: Pilot[Any], key: str, path: Path) -> None:
    app: BrowseApp = pilot.app  # type: ignore[assignment]
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, DiffExportScreen), what="export box")
    app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen), what="written")
    assert path.is_file()


def test_export_json_and_text(seeded_db: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, TOTAL)
            diff = await open_real_diff(pilot)
            await export(pilot, "e", tmp_path / "d.json")
            doc = json.loads((tmp_path / "d.json").read_text())
            assert doc["same"] is False and doc == json.loads(json.dumps(diff.doc))
            assert doc["request"]["input_items"][1]["type"] == "function_call_output"
            await export(pilot, "x", tmp_path / "d.txt")
            text = (tmp_path / "d.txt").read_text()
            assert "\x1b[" not in text
            for title in ("Request", "Input items", "Output", "Outcome"):
                assert title in text
            assert "{+It's 18 °C in Paris" in text and "+ function_call_output" in text

    run(scenario)


async def turn_diff(pilot: Pilot[Any], recording: str, position: int, turn: int) -> DiffScreen:
    """The thread view of an exchange, `d` on turn `turn` (1-based); the diff loaded."""
    app: BrowseApp = pilot.app  # type: ignore[assignment]
    await select_exchange(pilot, recording, position)
    await pilot.press("t")
    await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen), what="thread view")
    thread = app.screen
    assert isinstance(thread, ThreadScreen)
    table = thread.query_one(DataTable)
    await wait_for(pilot, lambda: table.row_count >= turn, what=f"{turn} turns")
    table.move_cursor(row=turn - 1)
    await wait_for(pilot, lambda: table.cursor_row == turn - 1, what=f"turn {turn}")
    await pilot.press("d")
    await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen), what="diff screen")
    diff = app.screen
    assert isinstance(diff, DiffScreen)
    await wait_for(pilot, lambda: diff.doc is not None or bool(diff.error), what="the diff")
    assert diff.doc is not None, diff.error
    return diff


def test_thread_d_diffs_a_turn_with_the_previous_one(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, TOTAL)
            diff = await turn_diff(pilot, ROUNDTRIP, 0, 2)
            assert "turn 2 against turn 1" in text_of(diff.query_one(".title-bar", Static))
            assert "+ function_call_output a[-] b[0]" in body(diff, "input")  # what it added
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen), what="back")
            table = app.screen.query_one(DataTable)
            table.move_cursor(row=0)
            await wait_for(pilot, lambda: table.cursor_row == 0, what="turn 1")
            await pilot.press("d")  # the first turn has none before it
            await wait_for(
                pilot,
                lambda: any("no previous turn" in n.message for n in app._notifications),
                what="the warning",
            )
            assert isinstance(app.screen, ThreadScreen)

    run(scenario)


def test_thread_d_on_a_websocket_session_compares_its_turns(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, TOTAL)
            diff = await turn_diff(pilot, CODEX_WS, 0, 2)
            assert diff.doc is not None and diff.doc["same"] is False  # not one exchange twice
            assert "different" in text_of(diff.query_one("#diff-title", Static))
            assert "generate: false → true" in body(diff, "request")  # turn 1 only warmed up
            assert "+ function_call (shell)" in body(diff, "output")
            assert not diff.query_one("#diff-input", Collapsible).collapsed

    run(scenario)
