"""Export the shown exchange: every registry format listed with what it is, the path asked
for with a default; the file is written in a thread worker (`export.write_export`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import duckdb
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from addon.exporters import Format, formats
from addon.store.db import StoreError
from addon.store.load import NotStored, load_exchange
from addon.store.queries import short_id
from addon.store.reader import Reader, error_text

from .export import default_name, write_export

HINT = "↑↓ choose a format, Enter goes to the path, Enter there writes the file, Esc cancels."


def format_prompt(chosen: Format, width: int) -> Text:
    """One line of the list: the format's name, then what it is."""
    return Text.assemble((f"{chosen.name:<{width}}  ", "bold"), chosen.about)


class ExportScreen(ModalScreen[Path | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Cancel")]

    def __init__(self, store: Reader, exchange_id: str, chosen: str = "") -> None:
        super().__init__()
        self.store = store
        self.exchange_id = exchange_id
        self.formats = formats()
        names = [f.name for f in self.formats]
        self.chosen = self.formats[names.index(chosen)] if chosen in names else self.formats[0]
        self.preselected = chosen in names  # from the palette: straight to the path

    def compose(self) -> ComposeResult:
        width = max(len(f.name) for f in self.formats)
        with Vertical(id="export-box"):
            yield Static(f"Export exchange {short_id(self.exchange_id)} as:", markup=False)
            yield OptionList(
                *(Option(format_prompt(f, width), id=f.name) for f in self.formats),
                id="export-formats",
            )
            yield Static("to:")
            yield Input(value=default_name(self.exchange_id, self.chosen), id="export-path")
            yield Static(HINT, id="export-hint", markup=False)

    def on_mount(self) -> None:
        choices = self.query_one("#export-formats", OptionList)
        choices.highlighted = self.formats.index(self.chosen)
        (self.query_one(Input) if self.preselected else choices).focus()

    @on(OptionList.OptionHighlighted, "#export-formats")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """A new format: its suffix on the path, unless a path of one's own was typed."""
        event.stop()
        path = self.query_one("#export-path", Input)
        offered = path.value == default_name(self.exchange_id, self.chosen)
        self.chosen = self.formats[event.option_index]
        if offered:
            path.value = default_name(self.exchange_id, self.chosen)

    @on(OptionList.OptionSelected, "#export-formats")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.write(self.chosen, Path(event.value.strip()))

    @work(thread=True, exclusive=True, group="export")
    def write(self, chosen: Format, path: Path) -> None:
        """Load the exchange as stored (bytes, timings, WebSocket messages), then write it:
        the cursor is held for the load only, not while a large file is written."""
        try:
            with self.store.cursor("aux") as cur:
                exchange = load_exchange(cur, self.exchange_id)
        except NotStored:
            return self._trouble(f"✗ exchange {short_id(self.exchange_id)} is no longer stored")
        except (duckdb.Error, StoreError) as exc:
            return self._trouble(f"✗ cannot read the exchange: {error_text(exc)}")
        try:
            written = write_export(exchange, chosen, path)
        except OSError as exc:
            return self._trouble(f"✗ cannot write {path}: {exc.strerror or exc}")
        except Exception as exc:  # a format failing on an odd exchange: say so, keep the app
            return self._trouble(f"✗ cannot export as {chosen.name}: {type(exc).__name__}: {exc}")
        self.app.call_from_thread(self._done, chosen, written)

    def _trouble(self, text: str) -> None:
        """Say what went wrong, from the worker thread; the screen stays for another try."""
        self.app.call_from_thread(self._hint, text)

    def _hint(self, text: str) -> None:
        self.query_one("#export-hint", Static).update(text)

    def _done(self, chosen: Format, path: Path) -> None:
        self.app.notify(f"wrote {path} ({chosen.name})", title="Export")
        self.dismiss(path)
