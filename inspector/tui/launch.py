"""Starting the browser: the database is opened and its first page asked for in a thread
before Textual is even imported, so both happen at once. `run_browse(path)` is the entry."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from addon.store.db import StoreError
from addon.store.queries import PAGE_SIZE, ListSpec
from addon.store.reader import Reader, error_text

from .fetch import Row, count_rows, fetch_page


class Prefetch(threading.Thread):
    """The row count and the first page of the default list, fetched in the background."""

    def __init__(self, store: Reader, spec: ListSpec) -> None:
        super().__init__(name="respdeck-prefetch", daemon=True)
        self.store = store
        self.spec = spec
        self.total = 0
        self.rows: list[Row] = []
        self.error = ""
        self.interrupted = False

    def run(self) -> None:
        try:
            with self.store.cursor("list") as cur:
                self.total = count_rows(cur, self.spec, "threads")
                self.rows = fetch_page(cur, self.spec, 0, PAGE_SIZE, "threads")
        except duckdb.InterruptException:
            self.interrupted = True
        except duckdb.Error as exc:
            self.error = error_text(exc)


@dataclass(slots=True)
class Launch:
    """What the app starts with: an open store (and its first page coming), or an error."""

    db: Path
    store: Reader | None = None
    prefetch: Prefetch | None = None
    error: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def prepare(db: Path, store: Reader | None = None, spec: ListSpec | None = None) -> Launch:
    """Open `db` unless `store` is given, and start fetching the first page of `spec` (by
    default the whole list)."""
    if store is None:
        try:
            store = Reader.open(db)
        except StoreError as exc:
            return Launch(db, error=str(exc))
    prefetch = Prefetch(store, spec or ListSpec())
    prefetch.start()
    return Launch(db, store, prefetch)


def run_browse(db: Path, store: Reader | None = None, spec: ListSpec | None = None) -> None:
    """Browse `db` until the user quits (`respdeck browse`, `respdeck demo`). A database that
    cannot be opened gets a screen saying why."""
    launch = prepare(db, store, spec)
    from .app import BrowseApp  # Textual loads while the first page is fetched

    BrowseApp(db, launch=launch).run()
