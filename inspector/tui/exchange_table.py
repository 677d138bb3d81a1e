"""The exchange list: a virtual table that holds a few pages of rows, never all of them.

It knows how many rows the query has and draws only the lines on screen; rows it does not hold
are asked for with `PagesWanted` (the screen fetches them in a worker and hands them back with
`add_page`). Pages far from the view are dropped, so memory stays flat on a million rows.

No key is lost to a query still running: the cursor moves over rows not fetched yet (they are
drawn as "…" and shown when their page comes), and while a new query runs (`expect_rows` until
`reset`) the moves wait and are made in the new rows.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import PurePath
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from addon.store.queries import PAGE_SIZE, ListSpec, short_id
from addon.store.queries.exchange_list import NO_THREAD

from . import fmt
from .columns import COLUMNS, Column

Row = dict[str, Any]
GROUP_WIDTH = 20
MIN_FLEX = 12


def cell_text(column: Column, row: Row) -> str:
    """The text of one cell (pure: used by tests and snapshots alike)."""
    key = column.key
    value = row.get(key)
    if key == "started_at":
        return fmt.when(value)
    if key in ("ttft_ms", "duration_ms"):
        return fmt.ms(value)
    if key == "cost_usd":
        return fmt.cost(value, priced=row.get("input_tokens") is None)
    if key == "findings":
        marks = "◐" if row.get("partial") else ""
        return marks + (str(value) if value else "")
    if key.endswith("_tokens"):
        return fmt.tokens(value)
    if key == "status":
        return "" if value is None else str(value)
    return "" if value is None else str(value)


def group_label(group: str, row: Row) -> str:
    value = row.get("group")
    if group == "capture":
        source = row.get("capture_source")
        return PurePath(source).name if source else f"capture {short_id(value)}"
    if isinstance(value, str) and value.startswith(NO_THREAD):
        return f"exchange {short_id(value[len(NO_THREAD) :])}"  # in no thread
    if isinstance(value, str) and len(value) > GROUP_WIDTH - 1 and "_" in value:
        head, _, tail = value.partition("_")
        return f"{head}_…{tail[-(GROUP_WIDTH - len(head) - 3) :]}"
    return "" if value is None else str(value)


class ExchangeTable(ScrollView, can_focus=True):
    """Rows of the exchanges view, fetched a page at a time."""

    PAGE_SIZE: ClassVar[int] = PAGE_SIZE
    MAX_PAGES: ClassVar[int] = 12

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "exchange-table--header",
        "exchange-table--sorted",
        "exchange-table--cursor",
        "exchange-table--cursor-blurred",
        "exchange-table--group",
        "exchange-table--error",
        "exchange-table--warning",
        "exchange-table--pending",
    }

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class Highlighted(Message):
        """The cursor is on this row (None: an empty list)."""

        def __init__(self, row: Row | None, index: int) -> None:
            super().__init__()
            self.row = row
            self.index = index

    class PagesWanted(Message):
        def __init__(self, pages: tuple[int, ...], generation: int) -> None:
            super().__init__()
            self.pages = pages
            self.generation = generation

    class SortClicked(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class Opened(Message):
        """Enter: the keyboard goes into the detail (of a row that may still be on its way)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.total = 0
        self.spec = ListSpec()
        self.generation = 0
        self._pages: OrderedDict[int, list[Row]] = OrderedDict()
        self._asked: tuple[int, ...] = ()
        self._highlighted: str | None = None  # exchange id last announced
        self._waiting = True  # a new query is running: moves wait for its rows
        self._moves: list[tuple[str, int]] = []  # the moves made meanwhile, in order
        self._widths: list[int] = []
        self._lines: dict[tuple[int, bool, bool], Strip] = {}  # (index, cursor, focus)

    # -- data -------------------------------------------------------------------------------

    @property
    def waiting(self) -> bool:
        """A new query is running (its rows replace these)."""
        return self._waiting

    def expect_rows(self) -> None:
        """A new query is on its way: moves from now on are made in its rows (see `reset`)."""
        self._waiting = True

    def reset(
        self, spec: ListSpec, total: int, pages: dict[int, list[Row]], keep: bool = False
    ) -> int:
        """New query results: the old pages are dropped. The cursor goes back to the top, or,
        with `keep`, stays on the exchange selected now (keys may have moved it while the
        query ran) if it is in `pages`, else on the same line; then the moves made while the
        query ran are made, and the view moves with the cursor. Returns the new generation."""
        current = self.selected
        follow = current["exchange_id"] if keep and current else None
        self.generation += 1
        self.spec = spec
        self.total = total
        self._pages = OrderedDict(sorted(pages.items()))
        self._asked = ()
        self._layout_columns()
        self.virtual_size = Size(sum(self._widths) + len(self._widths), total + 1)
        if not keep:
            self._highlighted = None
            self.scroll_to(0, 0, animate=False, immediate=True)
            self.cursor = self._after_moves(0)
        else:
            cursor = self.cursor
            for page, rows in self._pages.items():
                for offset, row in enumerate(rows):
                    if row["exchange_id"] == follow:
                        cursor = page * self.PAGE_SIZE + offset
            cursor = self._after_moves(cursor)
            if cursor != self.cursor:
                self.scroll_to(
                    y=max(self.scroll_y + cursor - self.cursor, 0), animate=False, immediate=True
                )
            self.cursor = cursor
        self.refresh()
        return self.generation

    def query_failed(self) -> None:
        """The query failed: the moves made meanwhile are made in the rows kept."""
        self.cursor = self._after_moves(self.cursor)

    def _after_moves(self, cursor: int) -> int:
        """Where the moves made while a query ran take the cursor from `cursor`; the query
        is over, so moves are made at once again."""
        self._waiting = False
        moves, self._moves = self._moves, []
        for kind, amount in moves:
            cursor = self.validate_cursor(self._moved(cursor, kind, amount))
        return cursor

    def add_page(self, generation: int, page: int, rows: list[Row]) -> None:
        if generation != self.generation:
            return
        self._pages[page] = rows
        self._pages.move_to_end(page)
        while len(self._pages) > self.MAX_PAGES:
            self._evict()
        self._asked = ()
        self.refresh()
        if page == self.cursor // self.PAGE_SIZE:
            self._announce()
        self._want_visible()

    def _evict(self) -> None:
        keep = {self.cursor // self.PAGE_SIZE, int(self.scroll_y) // self.PAGE_SIZE}
        for page in self._pages:
            if page not in keep:
                del self._pages[page]
                return
        self._pages.popitem(last=False)

    def row_at(self, index: int) -> Row | None:
        rows = self._pages.get(index // self.PAGE_SIZE)
        if rows is None:
            return None
        offset = index % self.PAGE_SIZE
        return rows[offset] if offset < len(rows) else None

    @property
    def selected(self) -> Row | None:
        return self.row_at(self.cursor) if self.total else None

    @property
    def pages_held(self) -> int:
        return len(self._pages)

    def _want_visible(self) -> None:
        if not self.total:
            return
        first = int(self.scroll_y)
        last = min(first + max(self.size.height, 1), self.total - 1)
        wanted = {p for p in range(first // self.PAGE_SIZE, last // self.PAGE_SIZE + 1)}
        wanted.add(self.cursor // self.PAGE_SIZE)
        missing = tuple(sorted(p for p in wanted if p not in self._pages))
        if missing and missing != self._asked:
            self._asked = missing
            self.post_message(self.PagesWanted(missing, self.generation))

    # -- cursor -----------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, self.total - 1)) if self.total else 0

    def watch_cursor(self, old: int, value: int) -> None:
        self.scroll_to_region(
            Region(0, value + 1, 1, 1), spacing=Spacing(top=1), animate=False, force=True
        )
        self.refresh_line(old + 1)  # only the two lines that changed (unless it scrolled)
        self.refresh_line(value + 1)
        self._want_visible()
        self._announce()

    def _announce(self) -> None:
        row = self.selected
        key = row["exchange_id"] if row else None
        if row is None and self.total:
            return  # not loaded yet: announced when its page arrives
        if key != self._highlighted or row is None:
            self._highlighted = key
            self.post_message(self.Highlighted(row, self.cursor))

    def _moved(self, cursor: int, kind: str, amount: int) -> int:
        if kind == "page":
            return cursor + amount * max(self.size.height - 2, 1)
        if kind == "first":
            return 0
        if kind == "last":
            return self.total - 1
        return cursor + amount

    def _move(self, kind: str, amount: int = 0) -> None:
        if self._waiting:
            self._moves.append((kind, amount))
        else:
            self.cursor = self._moved(self.cursor, kind, amount)

    def action_cursor(self, delta: int) -> None:
        self._move("by", delta)

    def action_page(self, direction: int) -> None:
        self._move("page", direction)

    def action_first(self) -> None:
        self._move("first")

    def action_last(self) -> None:
        self._move("last")

    def action_select(self) -> None:
        if self.total or self._waiting:
            self.post_message(self.Opened())

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._want_visible()

    def on_resize(self, event: events.Resize) -> None:
        self._layout_columns()
        self.virtual_size = Size(sum(self._widths) + len(self._widths), self.total + 1)
        self._want_visible()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            key = self._column_at(offset.x + int(self.scroll_x))
            if key:
                self.post_message(self.SortClicked(key))
            return
        index = int(self.scroll_y) + offset.y - 1
        if 0 <= index < self.total:
            self.cursor = index
            if event.chain >= 2:
                self.action_select()

    # -- drawing ----------------------------------------------------------------------------

    @property
    def _grouped(self) -> bool:
        return self.spec.group != "none"

    def _layout_columns(self) -> None:
        self._lines.clear()
        width = max(self.scrollable_content_region.width, 60)
        fixed = sum(c.width for c in COLUMNS) + len(COLUMNS) + (GROUP_WIDTH + 1) * self._grouped
        flex = [c for c in COLUMNS if not c.width]
        share = max((width - fixed) // max(len(flex), 1), MIN_FLEX)
        self._widths = ([GROUP_WIDTH] if self._grouped else []) + [
            c.width or share for c in COLUMNS
        ]

    def _columns(self) -> list[tuple[str, Column | None]]:
        cols: list[tuple[str, Column | None]] = [("group", None)] if self._grouped else []
        return cols + [(c.key, c) for c in COLUMNS]

    def _column_at(self, x: int) -> str | None:
        edge = 0
        for (_key, column), width in zip(self._columns(), self._widths, strict=True):
            edge += width + 1
            if x < edge:
                return column.key if column else None
        return None

    def _line(self, cells: list[tuple[str, Style]], base: Style) -> Strip:
        segments: list[Segment] = []
        for (text, style), width in zip(cells, self._widths, strict=True):
            segments.append(Segment(text[:width].ljust(width), base + style))
            segments.append(Segment(" ", base))
        return Strip(segments)

    def _header(self) -> Strip:
        base = self.get_component_rich_style("exchange-table--header")
        sorted_style = self.get_component_rich_style("exchange-table--sorted", partial=True)
        arrow = "↓" if self.spec.descending else "↑"
        cells = []
        for (key, column), width in zip(self._columns(), self._widths, strict=True):
            if column is None:
                cells.append((self.spec.group, Style()))
                continue
            label = column.label + (arrow if key == self.spec.sort else "")
            text = label.rjust(width) if column.numeric else label
            cells.append((text, sorted_style if key == self.spec.sort else Style()))
        return self._line(cells, base)

    def _row(self, index: int, row: Row | None) -> Strip:
        if index == self.cursor:
            base = self.get_component_rich_style(
                "exchange-table--cursor" if self.has_focus else "exchange-table--cursor-blurred"
            )
        else:
            base = self.rich_style
        if row is None:
            pending = self.get_component_rich_style("exchange-table--pending", partial=True)
            return self._line([("…", pending)] + [("", Style())] * (len(self._widths) - 1), base)
        error = self.get_component_rich_style("exchange-table--error", partial=True)
        warning = self.get_component_rich_style("exchange-table--warning", partial=True)
        cells: list[tuple[str, Style]] = []
        for (key, column), width in zip(self._columns(), self._widths, strict=True):
            if column is None:
                previous = self.row_at(index - 1) if index else None
                same = previous is not None and previous.get("group") == row.get("group")
                label = "" if same else group_label(self.spec.group, row)
                group_style = self.get_component_rich_style("exchange-table--group", partial=True)
                cells.append((fmt.fit(label, width), group_style))
                continue
            text = cell_text(column, row)
            text = text.rjust(width) if column.numeric else fmt.fit(text, width)
            style = Style()
            if key == "status" and ((row.get("status") or 0) >= 400 or row.get("error_code")):
                style = error
            elif key == "findings" and row.get("findings"):
                style = error if row.get("worst_severity") == "error" else warning
            cells.append((text, style))
        return self._line(cells, base)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        if len(self._widths) != len(COLUMNS) + self._grouped:
            self._layout_columns()
        if y == 0:
            strip = self._header()
        else:
            index = scroll_y + y - 1
            if index >= self.total:
                return Strip.blank(width, self.rich_style)
            row = self.row_at(index)
            key = (index, index == self.cursor, self.has_focus)
            cached = self._lines.get(key) if row is not None else None
            if cached is None:
                strip = self._row(index, row)
                if row is not None:
                    self._lines[key] = strip
            else:
                strip = cached
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def refresh(self, *regions: Region, **kwargs: Any) -> Any:
        if not regions:
            self._lines.clear()  # a full refresh: rows or widths changed
        return super().refresh(*regions, **kwargs)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
