"""Export the selected exchange to a file: the path is asked for, with a default."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from .export import default_name, write_export
from .fetch import Detail


class ExportScreen(ModalScreen[Path | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Cancel")]

    def __init__(self, detail: Detail, kind: str) -> None:
        super().__init__()
        self.detail = detail
        self.kind = kind

    def compose(self) -> ComposeResult:
        what = "JSON" if self.kind == "json" else "a curl command"
        with Vertical(id="export-box"):
            yield Static(f"Export exchange {self.detail.exchange_id} as {what} to:")
            yield Input(value=default_name(self.detail, self.kind), id="export-path")
            yield Static("Enter writes the file, Esc cancels.", id="export-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.write(Path(event.value.strip()))

    @work(thread=True, exclusive=True, group="export")
    def write(self, path: Path) -> None:
        try:
            written = write_export(self.detail, self.kind, path)
        except OSError as exc:
            self.app.call_from_thread(
                self.query_one("#export-hint", Static).update,
                f"✗ cannot write {path}: {exc.strerror or exc}",
            )
            return
        self.app.call_from_thread(self._done, written)

    def _done(self, path: Path) -> None:
        self.app.notify(f"wrote {path}", title="Export")
        self.dismiss(path)
