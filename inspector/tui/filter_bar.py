"""The filter bar: a SQL WHERE over the exchanges view, and a text search over item text."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static

WHERE_HINT = "SQL WHERE, e.g. model LIKE 'gpt-5%' AND cost_usd > 0.001; or id:1a2b, resp_…  (/)"
SEARCH_HINT = "search item text  (f)"


class FilterBar(Vertical):
    """Two inputs; Enter applies both. A bad filter's message shows below them."""

    class Changed(Message):
        def __init__(self, where: str, search: str) -> None:
            super().__init__()
            self.where = where
            self.search = search

    def compose(self) -> ComposeResult:
        with Horizontal(id="filter-inputs"):
            yield Input(placeholder=WHERE_HINT, id="where")
            yield Input(placeholder=SEARCH_HINT, id="search")
        yield Static("", id="filter-error", markup=False)

    @property
    def where(self) -> str:
        return self.query_one("#where", Input).value

    @property
    def search(self) -> str:
        return self.query_one("#search", Input).value

    def set_values(self, where: str, search: str) -> None:
        self.query_one("#where", Input).value = where
        self.query_one("#search", Input).value = search

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Changed(self.where, self.search))

    def show_error(self, error: str) -> None:
        box = self.query_one("#filter-error", Static)
        box.update(f"✗ {error}  (showing the last good result)")
        box.display = True

    def clear_error(self) -> None:
        box = self.query_one("#filter-error", Static)
        box.update("")
        box.display = False

    @property
    def error(self) -> str:
        box = self.query_one("#filter-error", Static)
        return str(box.render()) if box.display else ""
