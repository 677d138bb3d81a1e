"""`R` on the real app over a real DuckDB file, against a local replay upstream: the panel
edits the model, sends, the diff opens on the model change and the new exchange is listed and
linked; unchecked tools and a hand-edited raw JSON go out as shown; a request that cannot be
re-sent says why and sends nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Static, TextArea

from addon.store.reader import Reader
from addon.store.sql_text import literal
from inspector.replay import ReplayUpstream
from inspector.resend.edit import EditError, Edits, apply_edits
from inspector.tui.app import BrowseApp
from inspector.tui.diff_screen import DiffScreen
from inspector.tui.resend_form import Fields, edited_model, edits_of, fields_of, tool_label
from inspector.tui.resend_screen import ResendScreen
from tests.test_tui_support import (
    RECORDINGS,
    SIZE,
    apply_filter,
    main_screen,
    ready,
    run,
    seed,
    select_exchange,
    text_of,
    wait_for,
)

ROUNDTRIP = "function_call_roundtrip.har"  # a streamed call with one tool, then its output


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database of its own: a re-send writes to it."""
    return seed(tmp_path / "respdeck.duckdb", [RECORDINGS / ROUNDTRIP])


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayUpstream]:
    """The round trip served again, whatever model, tools or temperature are asked for;
    the panel's default upstream and key come from the environment."""
    upstream = ReplayUpstream.from_paths(
        [RECORDINGS / ROUNDTRIP], pace=0, ignore=["model", "tools", "temperature"]
    )
    upstream.start()
    monkeypatch.setenv("OPENAI_BASE_URL", upstream.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-tui-resend")
    try:
        yield upstream
    finally:
        upstream.stop()


BODY: dict[str, Any] = {
    "model": "gpt-5",
    "reasoning": {"effort": "low", "summary": "auto"},
    "temperature": 1,
    "input": "hi",
    "tools": [{"type": "function", "name": "a"}, {"type": "web_search"}, {"type": "mcp",
              "server_label": "docs"}],
}  # fmt: skip


def test_fields_read_a_body_and_give_back_the_edits_that_make_them() -> None:
    fields = fields_of(BODY)
    assert fields == Fields("gpt-5", "low", "1", "", (True, True, True))
    assert [tool_label(t) for t in BODY["tools"]] == ["function: a", "web_search", "mcp: docs"]
    assert edits_of(BODY, fields) == Edits()  # unchanged: the recorded bytes go out
    changed = Fields("gpt-5-mini", None, "0.2", "Be brief.", (True, False, False))
    edits = edits_of(BODY, changed)
    assert edits.described() == [
        'set model="gpt-5-mini"', "set temperature=0.2", 'set instructions="Be brief."',
        "unset reasoning.effort", "unset tools.1", "unset tools.2",
    ]  # fmt: skip
    after = apply_edits(BODY, edits)
    assert after["reasoning"] == {"summary": "auto"} and after["tools"] == [BODY["tools"][0]]
    assert fields_of(after) == Fields("gpt-5-mini", None, "0.2", "Be brief.", (True,))
    assert edited_model(BODY, edits) == "gpt-5-mini"
    assert edited_model(BODY, Edits(replacement={"model": "o3"})) == "o3"
    unset = edits_of(BODY, Fields("gpt-5", "high", "", "", (True, True, True)))
    assert unset.described() == ['set reasoning.effort="high"', "unset temperature"]
    with pytest.raises(EditError, match="not a number"):
        edits_of(BODY, Fields("gpt-5", "low", "warm", "", (True, True, True)))


def store_of(app: BrowseApp) -> Reader:
    assert app.store is not None
    return app.store


async def open_panel(pilot: Pilot[Any]) -> ResendScreen:
    app: BrowseApp = pilot.app  # type: ignore[assignment]
    await select_exchange(pilot, ROUNDTRIP, 0)
    await pilot.press("R")
    await wait_for(pilot, lambda: isinstance(app.screen, ResendScreen), what="the panel")
    panel = app.screen
    assert isinstance(panel, ResendScreen)
    await wait_for(pilot, lambda: panel.original is not None, what="the original read")
    return panel


def raw_json(panel: ResendScreen) -> str:
    return panel.query_one("#resend-raw", TextArea).text


def said(panel: ResendScreen, widget: str) -> str:
    return text_of(panel.query_one(f"#{widget}", Static), width=200)


async def sent_diff(pilot: Pilot[Any], panel: ResendScreen) -> DiffScreen:
    app: BrowseApp = pilot.app  # type: ignore[assignment]
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen), what="the diff")
    diff = app.screen
    assert isinstance(diff, DiffScreen)
    await wait_for(pilot, lambda: diff.doc is not None or bool(diff.error), what="diff loaded")
    assert diff.doc is not None, diff.error
    return diff


def resends(reader: Reader) -> list[tuple[Any, ...]]:
    return reader.fetchall("SELECT exchange_id::VARCHAR, resent_from::VARCHAR, edits FROM resends")


def test_an_edited_model_is_sent_linked_listed_and_diffed(db: Path, replay: ReplayUpstream) -> None:
    async def scenario() -> None:
        app = BrowseApp(db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, 2)
            panel = await open_panel(pilot)
            original = panel.exchange_id
            assert panel.query_one("#resend-upstream", Input).value == replay.url
            assert "key: recorded fp:" in said(panel, "resend-facts")
            assert '"model": "gpt-4.1-mini"' in raw_json(panel)
            assert [str(c.label) for c in panel.query(Checkbox)] == ["function: get_weather"]
            await wait_for(pilot, lambda: "estimate: $" in said(panel, "resend-estimate"))

            model = panel.query_one("#resend-model", Input)
            model.value = ""
            model.focus()
            await pilot.press(*"gpt-5")
            await wait_for(pilot, lambda: '"model": "gpt-5"' in raw_json(panel), what="raw")
            assert 'edited: set model="gpt-5"' in said(panel, "resend-progress")

            diff = await sent_diff(pilot, panel)
            request = text_of(diff.query_one("#diff-request-body", Static))
            assert "model" in request and "gpt-4.1-mini" in request and "gpt-5" in request
            assert not replay.misses
            # the answer was shown growing while it came: its events, as parsed in flight
            assert panel.answer is not None and panel.answer.events > 0

            (link,) = resends(store_of(app))
            new, resent_from, edits = link
            assert resent_from == original and json.loads(edits) == ['set model="gpt-5"']
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is main_screen(app), what="the list")
            await apply_filter(pilot, "")  # it was on the original only
            await wait_for(pilot, lambda: main_screen(app).table.total == 3, what="listed")
            await apply_filter(pilot, f"id:{new}")
            await wait_for(pilot, lambda: main_screen(app).table.total == 1, what="found")
            selected = main_screen(app).table.selected
            assert selected is not None and selected["exchange_id"] == new

    run(scenario)


def test_the_answer_so_far_grows_with_the_pieces() -> None:
    """A stream cut anywhere reads as the text its deltas have built so far; every piece is
    kept, and `show` is called on the first piece, then at most every `every` seconds."""
    from addon.importers import load_file
    from inspector.tui.resend_work import answer_so_far, watch_answer

    (recorded,) = [e for e in load_file(RECORDINGS / "stream_text.har") if e.response]
    assert recorded.response is not None
    body = recorded.response.body
    whole = answer_so_far([body], websocket=False)
    assert whole.text and whole.events > 10 and whole.size == len(body)
    half = answer_so_far([body[: len(body) // 2]], websocket=False)
    assert half.text and whole.text.startswith(half.text) and half.text != whole.text
    assert 0 < half.events < whole.events

    shown: list[int] = []
    on_data = watch_answer(False, lambda so_far: shown.append(so_far.size), every=3600)
    for n in range(0, len(body), 100):
        on_data(body[n : n + 100])
    assert shown == [100]  # the first piece, then nothing within the hour
    everything: list[str] = []
    on_data = watch_answer(False, lambda so_far: everything.append(so_far.text), every=0)
    for n in range(0, len(body), 100):
        on_data(body[n : n + 100])
    assert everything[-1] == whole.text


def test_unchecked_tools_and_a_hand_edited_body_go_out_as_shown(
    db: Path, replay: ReplayUpstream
) -> None:
    async def scenario() -> None:
        app = BrowseApp(db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, 2)
            panel = await open_panel(pilot)
            panel.query_one(Checkbox).value = False
            await wait_for(pilot, lambda: '"tools": []' in raw_json(panel), what="no tools")
            assert "unset tools.0" in said(panel, "resend-progress")

            edited = json.loads(raw_json(panel)) | {"temperature": 0.25}
            panel.query_one("#resend-raw", TextArea).load_text(json.dumps(edited, indent=1))
            await wait_for(pilot, lambda: "as written" in said(panel, "resend-progress"))
            await pilot.press("ctrl+r")  # the fields make it again: the hand edit is gone
            await wait_for(pilot, lambda: "temperature" not in raw_json(panel), what="reset")
            panel.query_one("#resend-raw", TextArea).load_text(json.dumps(edited, indent=1))
            await wait_for(pilot, lambda: "as written" in said(panel, "resend-progress"))

            await sent_diff(pilot, panel)
            (link,) = resends(store_of(app))
            body = store_of(app).fetchone(
                f"SELECT request_body FROM exchanges WHERE exchange_id = {literal(link[0])}"
            )
            assert body is not None and json.loads(body[0]) == edited
            assert json.loads(link[2]) == ["edit"]

    run(scenario)


def test_a_request_that_cannot_be_resent_says_why_and_sends_nothing(
    db: Path, replay: ReplayUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")

    async def scenario() -> None:
        app = BrowseApp(db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, 2)
            panel = await open_panel(pilot)
            assert "not sent:" in said(panel, "resend-facts")
            assert "$OPENAI_API_KEY is not set" in said(panel, "resend-facts")
            await pilot.press("ctrl+s")
            await wait_for(
                pilot,
                lambda: any("Nothing to send" in n.message for n in app._notifications),
                what="the warning",
            )
            assert isinstance(app.screen, ResendScreen) and not replay.played
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is main_screen(app), what="the list")
            await apply_filter(pilot, "")
            await wait_for(pilot, lambda: main_screen(app).table.total == 2, what="unchanged")
            assert resends(store_of(app)) == []

    run(scenario)
