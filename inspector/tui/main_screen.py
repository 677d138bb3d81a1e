"""The main screen: filter bar, exchange list and detail tabs; live polling.

Database work runs in thread workers that post messages; the handlers here own the state
(the last good filter, the selection, the data version the list was read at).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

import duckdb
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, get_current_worker

from addon.store import queries
from addon.store.db import StoreError
from addon.store.queries import GROUPS, ListSpec, parts_needed, short_id
from addon.store.reader import Query, Reader, error_text

from .columns import COLUMN_KEYS, COLUMNS
from .detail import TABS, DetailPane
from .exchange_table import ExchangeTable
from .fetch import (
    THREAD_MAP,
    build_thread_map,
    count_rows,
    fetch_detail,
    fetch_page,
    poll,
    resolve,
)
from .filter_bar import FilterBar
from .messages import (
    DetailLoaded,
    ListFailed,
    ListLoaded,
    PageLoaded,
    Polled,
    StoreLost,
    StoreOpened,
)

if TYPE_CHECKING:
    from .app import BrowseApp
    from .launch import Prefetch

POLL_SECONDS = 0.3  # a new exchange shows within a second, with room to spare


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_where", "Filter"),
        Binding("f", "focus_search", "Search"),
        Binding("s", "sort_next", "Sort"),
        Binding("r", "reverse", "Reverse"),
        Binding("g", "group_next", "Group"),
        Binding("t", "thread", "Thread"),
        Binding("u", "usage", "Usage"),
        Binding("e", "export", "Export"),
        Binding("m", "mark", "Mark"),
        Binding("d", "diff", "Diff with mark"),
        # in the help and the palette: the footer is full at 140 columns
        Binding("p", "play", "Play", show=False),
        Binding("R", "resend", "Re-send", show=False),
        Binding("escape", "back", "List"),  # shown when the keyboard is out of the list
        *[
            Binding(str(n), f"tab('{tab_id}')", title, show=False)
            for n, (tab_id, title) in enumerate(TABS, start=1)
        ],
    ]

    def __init__(self, store: Reader, prefetch: Prefetch | None = None) -> None:
        super().__init__()
        self.store = store
        self.prefetch = prefetch
        # the last filter that worked (`respdeck browse ID` starts on that exchange)
        self.spec = prefetch.spec if prefetch is not None else ListSpec()
        self.version: tuple[int, int | None] | None = None  # (count, ids) last seen live
        self.marked: str | None = None  # the exchange `d` compares the selected one with
        self._polling = False
        self._reopening = False

    @property
    def browse_app(self) -> BrowseApp:
        from .app import BrowseApp  # at run time: the app module imports this one

        app = self.app
        assert isinstance(app, BrowseApp)  # this screen runs only inside respdeck's app
        return app

    def compose(self) -> ComposeResult:
        yield Static("", id="title", classes="title-bar", markup=False)
        yield FilterBar(id="filter")
        yield Static("", id="status")
        yield ExchangeTable(id="list")
        yield DetailPane(id="detail")
        yield Footer()

    @property
    def table(self) -> ExchangeTable:
        return self.query_one(ExchangeTable)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one(FilterBar)

    def watch_sub_title(self, sub_title: str) -> None:
        self.query_one("#title", Static).update(f"respdeck · {sub_title}")

    def on_mount(self) -> None:
        self.sub_title = self.store.label
        self.table.focus()
        if self.spec.where or self.spec.search:
            self.filter_bar.set_values(self.spec.where, self.spec.search)
        self._busy_timer = self.set_interval(0.4, self._busy, pause=True)
        if self.prefetch is not None:
            self.take_prefetch(self.prefetch)
        else:
            self.load_list(self.spec)
        if self.store.live:
            self.set_interval(POLL_SECONDS, self.poll_tick)

    # -- the list ---------------------------------------------------------------------------

    def _threads(self, cur: Query, spec: ListSpec) -> str:
        """Where thread ids come from: a temporary copy of the threads view, made once per
        data version (a live recorder runs the view itself: nothing is kept there)."""
        if self.store.live or (spec.group != "thread" and "thread" not in parts_needed(spec.where)):
            return "threads"
        if self.store.thread_map_version != (self.version, id(cur)):
            build_thread_map(cur)
            self.store.thread_map_version = (self.version, id(cur))
        return THREAD_MAP

    def load_list(self, spec: ListSpec, keep_cursor: bool = False) -> None:
        """Query again: from the top, or staying on the selected exchange (live updates).
        A query still running for an earlier filter is interrupted; keys typed meanwhile
        move the cursor in the new rows."""
        size = ExchangeTable.PAGE_SIZE
        table = self.table
        if not keep_cursor:
            table.expect_rows()
            self.store.interrupt("list")
            self._busy_timer.reset()
            self._busy_timer.resume()
        selected = table.selected if keep_cursor else None
        if selected is None:
            self._query(spec, [0], False)
            return
        first, cursor = int(table.scroll_y), table.cursor
        pages = {first // size, (first + table.size.height) // size}
        pages |= {max(cursor // size + d, 0) for d in (-1, 0, 1)}
        self._query(spec, sorted(pages), True)

    @work(thread=True, exclusive=True, group="list")
    def _query(self, spec: ListSpec, pages: list[int], keep: bool) -> None:
        worker = get_current_worker()
        size = ExchangeTable.PAGE_SIZE
        try:
            with self.store.cursor("list") as cur:
                if worker.is_cancelled:
                    return
                spec = self._jump(cur, spec)
                threads = self._threads(cur, spec)
                total = count_rows(cur, spec, threads)
                loaded = {}
                for p in pages:
                    if _cancelled(worker):  # between statements: interrupt() missed it
                        return
                    if p * size < max(total, 1):
                        loaded[p] = fetch_page(cur, spec, p * size, size, threads)
        except duckdb.InterruptException:
            return  # a newer query took over
        except (duckdb.Error, StoreError) as exc:
            if not worker.is_cancelled:
                self.post_message(ListFailed(spec, error_text(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(ListLoaded(spec, total, loaded, keep))

    @staticmethod
    def _jump(cur: Query, spec: ListSpec) -> ListSpec:
        """A filter `id:PREFIX` or a pasted response id becomes the filter on the one
        exchange it names (UnknownId, AmbiguousId: shown as a bad filter is)."""
        target = queries.jump_target(spec.where)
        if target is None:
            return spec
        exchange_id = resolve(cur, target)
        return replace(spec, where=queries.by_id("exchange_id", exchange_id))

    @work(thread=True, exclusive=True, group="list")
    def take_prefetch(self, prefetch: Prefetch) -> None:
        """The first page, fetched while Textual was loading."""
        prefetch.join()
        if get_current_worker().is_cancelled or prefetch.interrupted:
            return  # the user asked for something else meanwhile
        if prefetch.error:
            self.post_message(ListFailed(prefetch.spec, prefetch.error))
        else:
            self.post_message(ListLoaded(prefetch.spec, prefetch.total, {0: prefetch.rows}, False))

    @work(thread=True, exclusive=True, group="pages")
    def load_pages(self, spec: ListSpec, generation: int, pages: tuple[int, ...]) -> None:
        worker = get_current_worker()
        size = ExchangeTable.PAGE_SIZE
        try:
            with self.store.cursor("list") as cur:
                threads = self._threads(cur, spec)
                for page in pages:
                    if worker.is_cancelled:
                        return
                    rows = fetch_page(cur, spec, page * size, size, threads)
                    self.post_message(PageLoaded(generation, page, rows))
        except duckdb.InterruptException:
            return  # a new query took over
        except duckdb.Error as exc:
            self.post_message(StoreLost(error_text(exc)))

    def _busy(self) -> None:
        self._busy_timer.pause()
        self.query_one("#status", Static).update(
            "querying… (a filter on a computed column scans every row)"
        )

    def on_list_loaded(self, message: ListLoaded) -> None:
        self._busy_timer.pause()
        if queries.jump_target(self.filter_bar.where) is not None:
            self.filter_bar.set_values(message.spec.where, message.spec.search)  # a jump
        self.spec = message.spec
        self.filter_bar.clear_error()
        self.table.reset(message.spec, message.total, message.pages, message.keep)
        self._update_status()
        if message.total == 0:
            self.detail.show(
                None,
                "No exchanges match."
                if self.spec.where or self.spec.search
                else "No exchanges recorded yet.",
            )

    def on_list_failed(self, message: ListFailed) -> None:
        self._busy_timer.pause()
        self._update_status()
        self.table.query_failed()  # keys typed meanwhile move in the rows kept
        self.filter_bar.show_error(message.error)
        self.filter_bar.set_values(message.spec.where, message.spec.search)

    def on_exchange_table_pages_wanted(self, message: ExchangeTable.PagesWanted) -> None:
        self.load_pages(self.table.spec, message.generation, message.pages)

    def on_page_loaded(self, message: PageLoaded) -> None:
        self.table.add_page(message.generation, message.page, message.rows)

    def _update_status(self) -> None:
        spec = self.spec
        sort = next(c.label for c in COLUMNS if c.key == spec.sort)
        parts = [
            f"{self.table.total:,} exchange{'s' if self.table.total != 1 else ''}",
            f"sort {sort} {'↓' if spec.descending else '↑'}",
        ]
        if spec.group != "none":
            parts.append(f"grouped by {spec.group}")
        if spec.where.strip():
            parts.append(f"where {spec.where.strip()}")
        if spec.search.strip():
            parts.append(f"text contains {spec.search.strip()!r}")
        if self.marked is not None:
            parts.append(f"marked {short_id(self.marked)} (d: diff)")
        parts.append("live" if self.store.live else "file")
        self.query_one("#status", Static).update(" · ".join(parts))

    # -- the detail -------------------------------------------------------------------------

    def on_exchange_table_highlighted(self, message: ExchangeTable.Highlighted) -> None:
        if message.row is None:
            return
        self.load_detail(str(message.row["exchange_id"]), message.row)

    @work(thread=True, exclusive=True, group="detail")
    def load_detail(self, exchange_id: str, row: dict[str, object] | None) -> None:
        worker = get_current_worker()
        try:
            with self.store.cursor("detail") as cur:
                if worker.is_cancelled:
                    return
                detail = fetch_detail(cur, exchange_id, row, self.store.memo)
        except duckdb.Error as exc:
            self.post_message(DetailLoaded(exchange_id, None, error_text(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(DetailLoaded(exchange_id, detail))

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        selected = self.table.selected
        if selected is None or selected["exchange_id"] != message.exchange_id:
            return
        self.detail.show(message.detail, message.error or "gone")

    def on_exchange_table_opened(self, message: ExchangeTable.Opened) -> None:
        self.detail.focus_active()

    # -- live -------------------------------------------------------------------------------

    def poll_tick(self) -> None:
        if not self._polling and not self._reopening:
            self._polling = True
            selected = self.table.selected
            self.run_poll(str(selected["exchange_id"]) if selected else None)

    @work(thread=True, exclusive=True, group="poll")
    def run_poll(self, selected: str | None) -> None:
        try:
            with self.store.cursor("poll") as cur:
                result = poll(cur, selected)
        except duckdb.Error as exc:
            self.post_message(StoreLost(error_text(exc)))
            return
        self.post_message(Polled(result))

    def on_polled(self, message: Polled) -> None:
        self._polling = False
        result = message.result
        version = result.version
        if not self.table.waiting:  # else a new query runs: not replaced, the next poll reloads
            if self.version is not None and version != self.version:
                self.load_list(self.spec, keep_cursor=True)
            self.version = version
        detail = self.detail.detail
        if (
            detail is not None
            and result.selected is not None
            and result.selected_id == detail.exchange_id
            and result.selected != detail.state
        ):
            self.load_detail(detail.exchange_id, None)  # it grew: a stream still arriving

    def on_store_lost(self, message: StoreLost) -> None:
        self._polling = False
        if self._reopening:
            return
        self._reopening = True
        self.query_one("#status", Static).update(f"✗ {message.error}: reopening…")
        self.reopen()

    @work(thread=True, exclusive=True, group="reopen")
    def reopen(self) -> None:
        try:
            store = Reader.open(self.store.path)
        except StoreError as exc:
            self.post_message(StoreOpened(None, str(exc)))
            return
        self.post_message(StoreOpened(store))

    def on_store_opened(self, message: StoreOpened) -> None:
        self._reopening = False  # if it failed, the next poll fails too and tries again
        if message.store is None:
            self.query_one("#status", Static).update(f"✗ {message.error}")
            return
        old, self.store = self.store, message.store
        self.browse_app.store = message.store
        old.close()
        self.sub_title = self.store.label
        self.load_list(self.spec, keep_cursor=True)

    # -- actions ----------------------------------------------------------------------------

    @on(FilterBar.Changed)
    def filter_changed(self, message: FilterBar.Changed) -> None:
        self.load_list(replace(self.spec, where=message.where, search=message.search))
        self.table.focus()

    def on_exchange_table_sort_clicked(self, message: ExchangeTable.SortClicked) -> None:
        self.load_list(self.spec.with_sort(message.key))

    def action_focus_where(self) -> None:
        self.query_one("#where", Input).focus()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.focused is not self.table
        return True

    def action_back(self) -> None:
        self.table.focus()

    def action_sort_next(self) -> None:
        index = COLUMN_KEYS.index(self.spec.sort)
        self.load_list(self.spec.with_sort(COLUMN_KEYS[(index + 1) % len(COLUMN_KEYS)]))

    def action_sort_by(self, key: str) -> None:
        self.load_list(replace(self.spec, sort=key))

    def action_reverse(self) -> None:
        self.load_list(replace(self.spec, descending=not self.spec.descending))

    def action_group_next(self) -> None:
        self.action_group(GROUPS[(GROUPS.index(self.spec.group) + 1) % len(GROUPS)])

    def action_group(self, group: str) -> None:
        self.load_list(replace(self.spec, group=group))

    def action_tab(self, tab_id: str) -> None:
        """Show a detail tab with the keyboard in it, so the scrolling keys scroll what is
        shown (the focused widget would otherwise be hidden with the old tab); Esc: the list."""
        self.detail.active = tab_id
        self.detail.focus_active()

    def action_thread(self) -> None:
        selected = self.table.selected
        if selected is None:
            self.notify("No exchange selected.", severity="warning")
            return
        from .thread_screen import ThreadScreen

        self.app.push_screen(ThreadScreen(self.store, str(selected["exchange_id"])))

    def action_mark(self) -> None:
        """Mark the selected exchange for `d`; on the marked one, unmark it."""
        selected = self.table.selected
        if selected is None:
            self.notify("No exchange selected.", severity="warning")
            return
        exchange_id = str(selected["exchange_id"])
        self.marked = None if self.marked == exchange_id else exchange_id
        self._update_status()

    def action_diff(self) -> None:
        selected = self.table.selected
        if self.marked is None or selected is None:
            self.notify("Mark an exchange with m, select another, then d.", severity="warning")
            return
        if str(selected["exchange_id"]) == self.marked:
            self.notify("Select another exchange than the marked one.", severity="warning")
            return
        from .diff_screen import DiffScreen

        self.app.push_screen(
            DiffScreen.of_exchanges(self.store, self.marked, str(selected["exchange_id"]))
        )

    def action_play(self) -> None:
        """The tape deck: the selected exchange's stream again, at its recorded pace."""
        selected = self.table.selected
        if selected is None:
            self.notify("No exchange selected.", severity="warning")
            return
        from .playback_screen import PlaybackScreen

        self.app.push_screen(PlaybackScreen(self.store, str(selected["exchange_id"])))

    def action_resend(self) -> None:
        """The re-send panel: the selected exchange's request, edited, sent again, diffed."""
        selected = self.table.selected
        if selected is None:
            self.notify("No exchange selected.", severity="warning")
            return
        from .resend_screen import ResendScreen

        self.app.push_screen(ResendScreen(self.store, str(selected["exchange_id"])))

    def action_usage(self) -> None:
        from .usage_screen import UsageScreen

        self.app.push_screen(UsageScreen(self.store))

    def action_export(self, chosen: str = "") -> None:
        """The export screen for the exchange shown (`chosen`: a format to start on)."""
        detail = self.detail.detail
        selected = self.table.selected
        if detail is None or selected is None or detail.exchange_id != selected["exchange_id"]:
            self.notify("No exchange loaded to export.", severity="warning")
            return
        from .export_screen import ExportScreen

        self.app.push_screen(ExportScreen(self.store, detail.exchange_id, chosen))


def _cancelled(worker: Worker[Any]) -> bool:
    """Whether the worker was cancelled, read afresh (a property checked in a loop, which a
    type checker would otherwise narrow after its first check)."""
    return worker.is_cancelled
