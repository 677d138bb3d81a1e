"""Two exchanges (or two turns of a thread) side by side by meaning: request, input items,
output and outcome sections, each collapsible (sections with no difference start collapsed).
`e`/`x` export the diff document as JSON or as the text `respdeck diff` prints; `s` shows word
diffs side by side (a left, b right, the default) or inline."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
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
from addon.store.load import Executes
from addon.store.queries import short_id
from addon.store.reader import Reader, error_text
from inspector.diff import DiffTrouble, diff_exchanges, side_from_store
from inspector.diff.render import (
    SECTIONS,
    TITLES,
    differs,
    exchange_renderables,
    section_renderable,
    summary,
)
from inspector.diff.threads import thread_turns

from .messages import DiffLoaded

# What a diff screen runs in its worker: the document, from a cursor of the store.
Compute = Callable[[Executes], dict[str, Any]]


def compute_diff(store: Executes, a_id: str, b_id: str) -> dict[str, Any]:
    """Two exchanges of the store compared."""
    a = side_from_store(store, a_id, short_id(a_id))
    b = side_from_store(store, b_id, short_id(b_id))
    return diff_exchanges(a, b)


def compute_turn_diff(store: Executes, exchange_id: str, turn: int) -> dict[str, Any]:
    """Turn `turn` (0-based) of the thread holding an exchange against the turn before it:
    each side is that turn's own request and response, so two turns of one WebSocket session
    compare as two requests."""
    _, turns, _ = thread_turns(store, exchange_id)
    if not 0 < turn < len(turns):
        raise DiffTrouble(f"the thread has {len(turns)} turns: no turn {turn + 1} after another")
    return diff_exchanges(turns[turn - 1], turns[turn])


def diff_text(doc: dict[str, Any], a_label: str, b_label: str, width: int = 100) -> str:
    """The diff as plain text, every section expanded, word diffs with git's plain markers
    (`[-deleted-]`, `{+inserted+}`): what `respdeck diff` prints into a pipe."""
    console = Console(width=width, color_system=None, highlight=False, file=io.StringIO())
    with console.capture() as captured:
        for renderable in exchange_renderables(doc, a_label, b_label):
            console.print(renderable)
    return captured.get()


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
        Binding("s", "columns", "Side by side / inline"),
    ]

    def __init__(
        self, store: Reader, compute: Compute, labels: tuple[str, str], what: str = ""
    ) -> None:
        super().__init__()
        self.store = store
        self.compute = compute
        self.labels = labels
        self.what = what or "exchange diff"
        self.doc: dict[str, Any] | None = None
        self.error = ""
        self.columns = True  # word diffs a | b side by side; `s` shows them inline

    @classmethod
    def of_exchanges(cls, store: Reader, a_id: str, b_id: str) -> DiffScreen:
        return cls(
            store, lambda cur: compute_diff(cur, a_id, b_id), (short_id(a_id), short_id(b_id))
        )

    @classmethod
    def of_turn(cls, store: Reader, exchange_id: str, turn: int) -> DiffScreen:
        """Turn `turn` (0-based) against the one before it, in the thread of an exchange."""
        return cls(
            store,
            lambda cur: compute_turn_diff(cur, exchange_id, turn),
            (f"turn {turn}", f"turn {turn + 1}"),
            f"turn {turn + 1} against turn {turn}",
        )

    def compose(self) -> ComposeResult:
        a, b = self.labels
        yield Static(f"respdeck · {self.what} · a {a} → b {b}", classes="title-bar", markup=False)
        yield Static("Comparing…", id="diff-title", markup=False)
        with VerticalScroll(id="diff-scroll"):
            for section in SECTIONS:
                with Collapsible(title=TITLES[section], id=f"diff-{section}", collapsed=True):
                    yield Static("", id=f"diff-{section}-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#diff-scroll").focus()
        self.load()

    @work(thread=True, exclusive=True, group="diff")
    def load(self) -> None:
        try:
            with self.store.cursor("aux") as cur:
                doc = self.compute(cur)
        except (duckdb.Error, StoreError) as exc:
            self.post_message(DiffLoaded(None, error_text(exc)))
            return
        except DiffTrouble as exc:  # an exchange gone, a turn not in its thread
            self.post_message(DiffLoaded(None, str(exc)))
            return
        self.post_message(DiffLoaded(doc))

    def on_diff_loaded(self, message: DiffLoaded) -> None:
        if message.doc is None:
            self.error = message.error
            self.query_one("#diff-title", Static).update(f"✗ {message.error}")
            return
        self.show(dict(message.doc))

    def show(self, doc: dict[str, Any]) -> None:
        """Fill the sections from a diff document."""
        self.doc = doc
        self.query_one("#diff-title", Static).update(summary(doc, *self.labels))
        for section in SECTIONS:
            self.query_one(f"#diff-{section}-body", Static).update(
                section_renderable(section, doc, self.columns)
            )
            self.query_one(f"#diff-{section}", Collapsible).collapsed = not differs(doc, section)

    def action_columns(self) -> None:
        """Word diffs side by side (a left, b right) or inline, as `respdeck diff` prints."""
        self.columns = not self.columns
        if self.doc is not None:
            for section in SECTIONS:
                self.query_one(f"#diff-{section}-body", Static).update(
                    section_renderable(section, self.doc, self.columns)
                )

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
        labels = "-".join(label.replace(" ", "") for label in (self.a_label, self.b_label))
        name = f"diff-{labels}.{'json' if self.kind == 'json' else 'txt'}"
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
