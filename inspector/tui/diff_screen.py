"""Two exchanges side by side by meaning: request, input items, output and outcome sections,
each collapsible (sections with no difference start collapsed). `e`/`x` export the diff."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, ClassVar

import duckdb
from rich.console import Console
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Collapsible, Footer, Input, Static

from addon.store.db import StoreError
from addon.store.queries import short_id
from addon.store.reader import Reader, error_text
from inspector.diff.render import RENDER, SECTIONS, TITLES, differs, summary

from .messages import DiffLoaded


def compute_diff(store: Reader, a_id: str, b_id: str) -> dict[str, Any]:
    """Both sides read from the store and compared (run in a worker thread)."""
    from inspector.diff import diff_exchanges, side_from_store

    return dict(diff_exchanges(side_from_store(store, a_id), side_from_store(store, b_id)))


def diff_text(doc: dict[str, Any], a_label: str, b_label: str, width: int = 100) -> str:
    """The diff as plain text: the screen's sections, every one expanded."""
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(summary(doc, a_label, b_label))
    for section in SECTIONS:
        console.rule(TITLES[section], align="left")
        console.print(RENDER[section](doc))
    return console.export_text()


def write_diff(doc: dict[str, Any], kind: str, path: Path, a_label: str, b_label: str) -> Path:
    """Write the diff as JSON (the document) or text; returns the path. Raises OSError."""
    path = path.expanduser()
    if kind == "json":
        text = json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"
    else:
        text = diff_text(doc, a_label, b_label)
    path.write_text(text, encoding="utf-8")
    return path


class DiffScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,d", "app.pop_screen", "Back"),
        Binding("e", "export('json')", "Export JSON"),
        Binding("x", "export('text')", "Export text"),
        Binding("plus", "fold(False)", "Expand all"),
        Binding("minus", "fold(True)", "Collapse all"),
    ]

    def __init__(self, store: Reader, a_id: str, b_id: str, what: str = "") -> None:
        super().__init__()
        self.store = store
        self.a_id, self.b_id = a_id, b_id
        self.what = what or "exchange diff"
        self.doc: dict[str, Any] | None = None

    @property
    def labels(self) -> tuple[str, str]:
        return short_id(self.a_id), short_id(self.b_id)

    def compose(self) -> ComposeResult:
        a, b = self.labels
        yield Static(f"respdeck · {self.what} · a {a} → b {b}", classes="title-bar")
        yield Static("Comparing…", id="diff-title")
        with VerticalScroll(id="diff-scroll"):
            for section in SECTIONS:
                with Collapsible(title=TITLES[section], id=f"diff-{section}", collapsed=False):
                    yield Static("", id=f"diff-{section}-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#diff-scroll").focus()
        self.load()

    @work(thread=True, exclusive=True, group="diff")
    def load(self) -> None:
        try:
            doc = compute_diff(self.store, self.a_id, self.b_id)
        except (duckdb.Error, StoreError) as exc:
            self.post_message(DiffLoaded(None, error_text(exc)))
            return
        except (ImportError, LookupError, ValueError) as exc:  # no diff core, an unknown id
            self.post_message(DiffLoaded(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(DiffLoaded(doc))

    def on_diff_loaded(self, message: DiffLoaded) -> None:
        title = self.query_one("#diff-title", Static)
        if message.doc is None:
            title.update(f"✗ {message.error}")
            return
        self.show(dict(message.doc))

    def show(self, doc: dict[str, Any]) -> None:
        """Fill the sections from a diff document."""
        self.doc = doc
        self.query_one("#diff-title", Static).update(summary(doc, *self.labels))
        for section in SECTIONS:
            self.query_one(f"#diff-{section}-body", Static).update(RENDER[section](doc))
            self.query_one(f"#diff-{section}", Collapsible).collapsed = not differs(doc, section)

    def action_fold(self, collapsed: bool) -> None:
        for widget in self.query(Collapsible):
            widget.collapsed = collapsed

    def action_export(self, kind: str) -> None:
        if self.doc is None:
            self.notify("The diff is not ready yet.", severity="warning")
            return
        self.app.push_screen(DiffExportScreen(self.doc, kind, *self.labels))


class DiffExportScreen(ModalScreen[Path | None]):
    """The path to write the diff to, with a default (as the exchange export asks)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Cancel")]

    def __init__(self, doc: dict[str, Any], kind: str, a_label: str, b_label: str) -> None:
        super().__init__()
        self.doc, self.kind = doc, kind
        self.a_label, self.b_label = a_label, b_label

    def compose(self) -> ComposeResult:
        name = f"diff-{self.a_label}-{self.b_label}.{'json' if self.kind == 'json' else 'txt'}"
        with Vertical(id="export-box"):
            yield Static(f"Export the diff as {'JSON' if self.kind == 'json' else 'text'} to:")
            yield Input(value=name, id="export-path")
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
            written = write_diff(self.doc, self.kind, path, self.a_label, self.b_label)
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
