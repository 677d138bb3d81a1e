"""The exchange detail: tabs rendered from a fetched `Detail`, the visible tab first.

Only the tab on screen is rendered when the selection moves; the others are rendered when
they are opened, so moving through the list stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from . import fmt
from .fetch import Detail

EVENTS_LIMIT = 20_000  # rows of the timeline (a DataTable holds its rows)
TABS: tuple[tuple[str, str], ...] = (
    ("conversation", "Conversation"),
    ("events", "Events"),
    ("usage", "Usage & timing"),
    ("request", "Request"),
    ("raw", "Raw"),
    ("findings", "Findings"),
)
RENDERED = ("conversation", "usage", "request", "raw", "findings")


def renderer(tab_id: str) -> Callable[[Detail], RenderableType]:
    """The renderer of a tab; imported on first use (Markdown and Syntax load slowly)."""
    from . import conversation, detail_render

    return {
        "conversation": conversation.render_conversation,
        "usage": detail_render.usage_renderable,
        "request": detail_render.request_renderable,
        "raw": detail_render.raw_renderable,
        "findings": detail_render.findings_renderable,
    }[tab_id]


class EventsTable(DataTable[object]):
    """The events timeline: offset, gap since the previous event, type, delta."""

    BINDINGS: ClassVar[list[BindingType]] = [  # Home and End: the first and the last event
        Binding("home", "scroll_top", "First", show=False),
        Binding("end", "scroll_bottom", "Last", show=False),
    ]

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for key, label in (
            ("idx", "#"),
            ("t", "offset ms"),  # to a tenth: events a few ms apart stay apart
            ("gap", "gap"),
            ("seq", "seq"),
            ("type", "type"),
            ("delta", "delta"),
            ("marks", "!"),
        ):
            self.add_column(label, key=key)

    def show(self, detail: Detail) -> None:
        self.clear()
        from .detail_render import event_rows

        rows = event_rows(detail)
        for idx, t_ms, gap, seq, kind, delta, long_gap, codes in rows[:EVENTS_LIMIT]:
            gap_text = Text(fmt.ms(gap) if gap is not None else "", justify="right")
            if long_gap:
                gap_text.stylize("bold red")
            mark = Text(", ".join(codes), style="bold yellow") if codes else Text("")
            style = "yellow" if codes else ""
            self.add_row(
                Text(str(idx), justify="right"),
                Text(f"{t_ms:,.1f}" if t_ms is not None else "", justify="right"),
                gap_text,
                Text("" if seq is None else str(seq), justify="right"),
                Text(kind, style=style or ("bold" if ".delta" not in kind else "")),
                Text(delta, style="green"),
                mark,
            )
        if len(rows) > EVENTS_LIMIT:
            more = Text(f"… {len(rows) - EVENTS_LIMIT:,} more events (export the exchange)")
            self.add_row("", "", "", "", more, "", "")


class DetailPane(Vertical):
    """Tabs about one exchange."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.detail: Detail | None = None
        self._rendered: set[str] = set()

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="conversation", id="tabs"):
            for tab_id, title in TABS:
                with TabPane(title, id=tab_id):
                    if tab_id == "events":
                        yield EventsTable(id="events-table")
                    else:
                        with VerticalScroll(id=f"{tab_id}-scroll", classes="detail-scroll"):
                            yield Static(id=f"{tab_id}-body", classes="detail-body")

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one(TabbedContent)

    @property
    def active(self) -> str:
        return self.tabs.active

    @active.setter
    def active(self, tab_id: str) -> None:
        self.tabs.active = tab_id

    def show(self, detail: Detail | None, message: str = "") -> None:
        """Show `detail` (None: nothing selected, with `message`)."""
        self.detail = detail
        self._rendered.clear()
        events = len(detail.events) if detail else 0
        findings = len(detail.findings) if detail else 0
        self._label("events", f"Events ({events})" if events else "Events")
        self._label("findings", f"Findings ({findings})" if findings else "Findings")
        if detail is None:
            for tab_id in RENDERED:
                self.query_one(f"#{tab_id}-body", Static).update(Text(message, style="dim"))
            self.query_one(EventsTable).clear()
            return
        self.render_tab(self.active)

    def focus_active(self) -> None:
        """Put the keyboard in the tab on screen (to scroll it); Esc goes back to the list."""
        pane = self.tabs.active_pane
        if pane is not None:
            target = pane.query("VerticalScroll, EventsTable").first()
            target.focus()

    def _label(self, tab_id: str, label: str) -> None:
        try:
            tab = self.tabs.get_tab(tab_id)
        except (NoMatches, ValueError):  # the app is closing
            return
        if tab.label.plain != label:  # a new label means a new layout: only when it changes
            tab.label = label

    def render_tab(self, tab_id: str) -> None:
        if self.detail is None or tab_id in self._rendered or not self.is_attached:
            return
        self._rendered.add(tab_id)
        if tab_id == "events":
            self.query_one(EventsTable).show(self.detail)
            return
        self.query_one(f"#{tab_id}-body", Static).update(renderer(tab_id)(self.detail))

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            self.render_tab(event.pane.id)
