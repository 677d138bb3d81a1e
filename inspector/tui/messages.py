"""Messages that worker threads post back to the screens (which own all UI state).

None of them bubble: a screen's result is for that screen (the app has handlers of its own).
"""

from __future__ import annotations

from textual.message import Message

from addon.store.queries import ListSpec
from addon.store.reader import Reader

from .fetch import Detail, Poll, Row, ThreadData, UsageData


class ListLoaded(Message, bubble=False):
    """A query's row count and first pages."""

    def __init__(self, spec: ListSpec, total: int, pages: dict[int, list[Row]], keep: bool) -> None:
        super().__init__()
        self.spec = spec
        self.total = total
        self.pages = pages
        self.keep = keep  # the cursor stays on the selected exchange; False: back to the top


class ListFailed(Message, bubble=False):
    """DuckDB refused the filter (or the query failed): its message, one line."""

    def __init__(self, spec: ListSpec, error: str) -> None:
        super().__init__()
        self.spec = spec
        self.error = error


class PageLoaded(Message, bubble=False):
    def __init__(self, generation: int, page: int, rows: list[Row]) -> None:
        super().__init__()
        self.generation = generation
        self.page = page
        self.rows = rows


class DetailLoaded(Message, bubble=False):
    def __init__(self, exchange_id: str, detail: Detail | None, error: str = "") -> None:
        super().__init__()
        self.exchange_id = exchange_id
        self.detail = detail
        self.error = error


class Polled(Message, bubble=False):
    def __init__(self, result: Poll) -> None:
        super().__init__()
        self.result = result


class StoreLost(Message, bubble=False):
    """The live server stopped answering (the recorder exited)."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class StoreOpened(Message, bubble=False):
    def __init__(self, store: Reader | None, error: str = "") -> None:
        super().__init__()
        self.store = store
        self.error = error


class ThreadLoaded(Message, bubble=False):
    def __init__(self, data: ThreadData | None, error: str = "") -> None:
        super().__init__()
        self.data = data
        self.error = error


class UsageLoaded(Message, bubble=False):
    def __init__(self, data: UsageData | None, error: str = "") -> None:
        super().__init__()
        self.data = data
        self.error = error


class DiffLoaded(Message, bubble=False):
    """The diff document of two exchanges (`inspector.diff`'s JSON form), or why not."""

    def __init__(self, doc: dict[str, object] | None, error: str = "") -> None:
        super().__init__()
        self.doc = doc
        self.error = error
