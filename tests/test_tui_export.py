"""The TUI's export screen on the seeded database: every registry format offered with what it
is, the shown exchange written in each (private, atomic) and read back by its importer."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static

from addon.exporters import formats
from addon.importers import load_bytes_detected
from addon.store.load import load_exchange
from addon.store.queries import short_id
from addon.store.reader import Reader
from addon.wire.exchange import Exchange
from inspector.tui.app import BrowseApp
from inspector.tui.export_screen import ExportScreen
from inspector.tui.main_screen import MainScreen
from tests.roundtrip import PARTS, differences
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
RECORDING = "function_call_roundtrip.har"  # a streamed call with tools, a fingerprinted key
READ_BACK = ("har", "vcr", "jsonl", "raw")  # formats an importer reads again
# What "holds that exchange" means for every format read back: the request and the response
# bytes (each format's own tests check the rest it carries).
ONLY_BYTES = set(PARTS) - {"request", "response"}


def stored(db: Path, exchange_id: str) -> Exchange:
    reader = Reader.open(db)
    try:
        return load_exchange(reader, exchange_id)
    finally:
        reader.close()


async def open_export(pilot: Pilot[Any]) -> ExportScreen:
    app = pilot.app
    await pilot.press("e")
    await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), what="export screen")
    screen = app.screen
    assert isinstance(screen, ExportScreen)
    await focused(pilot, screen.query_one("#export-formats", OptionList))
    return screen


async def focused(pilot: Pilot[Any], widget: Widget) -> None:
    await wait_for(pilot, lambda: widget.has_focus, what=f"focus on {widget.id}")


async def write_to(pilot: Pilot[Any], screen: ExportScreen, path: Path) -> None:
    """Type the path, Enter, and wait for the file and the way back to the list."""
    screen.query_one("#export-path", Input).value = str(path)
    await pilot.press("enter")
    await wait_for(pilot, path.exists, what=f"the export {path.name}")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen), what="back")


def test_every_format_is_offered_and_writes_the_shown_exchange(
    seeded_db: Path, tmp_path: Path
) -> None:
    shown = ""

    async def scenario() -> None:
        nonlocal shown
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            main = await ready(pilot, TOTAL)
            await select_exchange(pilot, RECORDING)
            shown = exchange_in(main.store, RECORDING)
            for index, chosen in enumerate(formats()):
                screen = await open_export(pilot)
                choices = screen.query_one("#export-formats", OptionList)
                listed = [
                    text_of(choices.get_option_at_index(i).prompt)
                    for i in range(choices.option_count)
                ]
                assert [line.split()[0] for line in listed] == [f.name for f in formats()]
                assert all(f.about in line for f, line in zip(formats(), listed, strict=True))
                for _ in range(index):
                    await pilot.press("down")
                await pilot.press("enter")  # the format chosen: on to the path
                path_input = screen.query_one("#export-path", Input)
                await focused(pilot, path_input)
                assert path_input.value == f"exchange-{short_id(shown)}{chosen.suffix}"
                await write_to(pilot, screen, tmp_path / f"out-{chosen.name}{chosen.suffix}")

    run(scenario)
    expected = stored(seeded_db, shown)
    for chosen in formats():
        path = tmp_path / f"out-{chosen.name}{chosen.suffix}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, chosen.name  # it holds prompts
        data = path.read_bytes()
        assert b"sk-" not in data, chosen.name
        if chosen.name in READ_BACK:
            _, back = load_bytes_detected(path, data)
            assert differences([expected], back, without=ONLY_BYTES) == [], chosen.name
    batch = (tmp_path / "out-batch.jsonl").read_bytes()
    assert b'"url": "/v1/responses"' in batch or b'"url":"/v1/responses"' in batch
    assert b'"get_weather"' in batch
    script = (tmp_path / "out-curl.sh").read_text()
    assert f"# exchange 1 {shown}: POST https://api.openai.com/v1/responses" in script
    assert "${OPENAI_API_KEY}" in script and "fp:" not in script


def test_the_palette_offers_each_format_and_a_failed_write_keeps_the_screen(
    seeded_db: Path, tmp_path: Path
) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            main = await ready(pilot, TOTAL)
            await select_exchange(pilot, "gzip_stream.har")
            shown = exchange_in(main.store, "gzip_stream.har")
            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
            await pilot.press(*("space" if c == " " else c for c in "Export exchange as raw"))
            await pilot.pause()
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), what="export")
            screen = app.screen
            assert isinstance(screen, ExportScreen)
            path_input = screen.query_one("#export-path", Input)
            await focused(pilot, path_input)  # straight to the path
            assert path_input.value == f"exchange-{short_id(shown)}.http"
            # No such folder: the error is shown, nothing is written, the screen stays.
            missing = tmp_path / "no-such-dir" / "x.http"
            path_input.value = str(missing)
            await pilot.press("enter")
            hint = screen.query_one("#export-hint", Static)
            await wait_for(pilot, lambda: "cannot write" in text_of(hint), what="the error")
            assert app.screen is screen and not missing.parent.exists()
            # An existing readable file is replaced whole, and private.
            target = tmp_path / "existing.http"
            target.write_bytes(b"old content that is longer than nothing" * 1000)
            target.chmod(0o644)
            await write_to(pilot, screen, target)
            assert stat.S_IMODE(target.stat().st_mode) == 0o600
            data = target.read_bytes()
            assert data.startswith(f"### respdeck exchange 1 {shown} ".encode())
            assert b"old content" not in data
            assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
            _, back = load_bytes_detected(target, data)
            assert differences([load_exchange(main.store, shown)], back) == []

    run(scenario)
