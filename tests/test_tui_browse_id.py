"""`respdeck browse ID`: the browser opens on the one exchange a short id or response id names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from addon.store.queries import ListSpec, by_id, short_id
from addon.store.reader import Reader
from inspector.tui.app import BrowseApp
from inspector.tui.launch import prepare
from tests.test_tui_support import (
    SIZE,
    detail_id,
    exchange_in,
    ready,
    run,
    seeded_db,
    wait_for,
)

__all__ = ["seeded_db"]
ROOT = Path(__file__).resolve().parents[1]


def respdeck(*args: str) -> subprocess.CompletedProcess[str]:
    """The command without a terminal (stdin and stdout are pipes)."""
    return subprocess.run(
        [sys.executable, "-m", "inspector", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_browse_opens_on_the_exchange_an_id_names(seeded_db: Path) -> None:
    with Reader.open(seeded_db) as reader:
        target = exchange_in(reader, "function_call_roundtrip.har", 1)

    async def scenario() -> None:
        spec = ListSpec(where=by_id("exchange_id", target))
        app = BrowseApp(seeded_db, launch=prepare(seeded_db, spec=spec))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, 1)
            await wait_for(pilot, lambda: detail_id(app) == target)
            assert screen.filter_bar.where == spec.where  # shown, so Esc/edit clears it

    run(scenario)


def test_browse_resolves_the_id_first_with_one_line_errors(seeded_db: Path) -> None:
    with Reader.open(seeded_db) as reader:
        target = exchange_in(reader, "stream_text.har")
    unknown = respdeck("browse", "ffffffffffff", "--db", str(seeded_db))
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("respdeck: no exchange has the id")
    assert len(unknown.stderr.strip().splitlines()) == 1 and "Traceback" not in unknown.stderr
    # A good id resolves; then, without a terminal, browse says what to use instead.
    found = respdeck("browse", short_id(target), "--db", str(seeded_db))
    assert found.returncode == 2
    assert "browse needs a terminal" in found.stderr
