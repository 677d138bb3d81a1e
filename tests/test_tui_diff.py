"""The diff in the TUI: marking, the diff screen's sections from a diff document, export."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Collapsible, Static

from inspector.tui.app import BrowseApp
from inspector.tui.diff_screen import DiffScreen, diff_text, write_diff
from tests.test_tui_support import SIZE, main_screen, ready, run, seeded_db, text_of, wait_for

__all__ = ["seeded_db"]

DOC = {
    "same": False,
    "request": {
        "model": {"a": "gpt-5", "b": "gpt-5-mini"},
        "instructions": {"same": False, "diff": [["equal", "Be "], ["replace", "brief", "terse"]]},
        "input_items": [
            {"op": "equal", "a_index": 0, "b_index": 0, "type": "message", "changes": []},
            {"op": "equal", "a_index": 1, "b_index": 1, "type": "message", "changes": []},
            {"op": "added", "a_index": None, "b_index": 2, "type": "message", "changes": []},
        ],
        "tools": [{"name": "get_weather", "op": "added", "changes": []}],
        "params": [{"path": "temperature", "a": 0.2, "b": 0.7}],
    },
    "response": {
        "status": {"a": "completed", "b": "completed"},
        "output_text": {"same": True, "diff": []},
        "output_items": [
            {"op": "equal", "a_index": 0, "b_index": 0, "type": "message", "changes": []}
        ],
    },
    "usage": {"input_tokens": {"a": 100, "b": 130, "delta": 30}},
    "timing": {"ttft_ms": {"a": 500, "b": 400, "delta": -100}},
}


def test_text_rendering_of_a_document() -> None:
    text = diff_text(DOC, "aaaa", "bbbb")
    assert "gpt-5 → gpt-5-mini" in text
    assert "brief" in text and "terse" in text
    assert "… 2 equal items" in text
    assert "+ message a[-] b[2]" in text
    assert "+ tool get_weather" in text
    assert "temperature: 0.2 → 0.7" in text
    assert "+30" in text and "-100" in text


def test_export_json_loads(tmp_path: Path) -> None:
    path = write_diff(DOC, "json", tmp_path / "d.json", "aaaa", "bbbb")
    assert json.loads(path.read_text())["same"] is False


def test_mark_unmark_and_diff_screen(seeded_db: Path) -> None:
    async def scenario() -> None:
        app = BrowseApp(seeded_db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, 32)
            await pilot.press("m")
            marked = screen.marked
            assert marked is not None
            assert "marked" in text_of(screen.query_one("#status", Static))
            await pilot.press("d")  # on the marked one: nothing opens
            assert app.screen is screen
            await pilot.press("down")
            await wait_for(pilot, lambda: screen.table.cursor == 1, what="next row")
            await pilot.press("m", "m")  # marks the second, then unmarks it
            assert screen.marked is None
            assert "marked" not in text_of(screen.query_one("#status", Static))
            # a diff screen over a hand-built document: sections, folding
            diff = DiffScreen(screen.store, marked, str(screen.table.selected["exchange_id"]))  # type: ignore[index]
            await app.push_screen(diff)
            await wait_for(pilot, lambda: diff.is_mounted, what="diff screen")
            diff.show(dict(DOC))
            body = text_of(diff.query_one("#diff-request-body", Static))
            assert "gpt-5 → gpt-5-mini" in body
            assert diff.query_one("#diff-output", Collapsible).collapsed  # nothing differs
            assert not diff.query_one("#diff-input", Collapsible).collapsed
            assert main_screen is not None

    run(scenario)
