"""What the browser shows when the database cannot be used: the reason, and how to leave."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static


class ErrorScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q,escape", "app.quit", "Quit")]

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        yield Static("respdeck", classes="title-bar")
        with Center(), Vertical(id="error-box"):
            yield Static("Cannot open the database", id="error-title")
            yield Static(self.error, id="error-text", markup=False)
            yield Static(
                "Create one with `respdeck import PATH...`, or point --db / RESPDECK_DB at "
                "a respdeck database.  Press q to quit.",
                id="error-hint",
                markup=False,
            )
        yield Footer()
