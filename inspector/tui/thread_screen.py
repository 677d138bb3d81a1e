"""A thread, as the threads view reconstructs it (previous_response_id, a conversation, or a
stateless client resending the conversation), as one timeline: each turn with the input it
added and its output, tokens and cost per turn and in total."""

from __future__ import annotations

from typing import ClassVar

import duckdb
from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from addon.store.queries import TOKEN_FIELDS, short_id
from addon.store.reader import Reader, error_text

from . import fmt
from .fetch import Row, fetch_thread
from .messages import ThreadLoaded

COLUMNS = (
    "turn",
    "via",
    "time",
    "exchange",
    "model",
    "status",
    "in",
    "cached",
    "out",
    "reason",
    "cost $",
    "total $",
    "dur",
    "input",
)


class ThreadScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,t", "app.pop_screen", "Back"),
        Binding("d", "diff", "Diff with previous turn"),
    ]

    def __init__(self, store: Reader, exchange_id: str) -> None:
        super().__init__()
        self.store = store
        self.exchange_id = exchange_id
        self.turns: list[Row] = []

    def compose(self) -> ComposeResult:
        yield Static(
            f"respdeck · thread of exchange {short_id(self.exchange_id)}", classes="title-bar"
        )
        yield Static("Loading the thread…", id="thread-title")
        yield DataTable(id="turns", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="turn-scroll"):
            yield Static(id="turn-body")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        try:
            with self.store.cursor("aux") as cur:
                data = fetch_thread(cur, self.exchange_id)
        except duckdb.Error as exc:
            self.post_message(ThreadLoaded(None, error_text(exc)))
            return
        self.post_message(ThreadLoaded(data))

    def on_thread_loaded(self, message: ThreadLoaded) -> None:
        title = self.query_one("#thread-title", Static)
        if message.data is None:
            title.update(f"✗ {message.error}")
            return
        data = message.data
        self.turns = data.turns
        if not data.turns:
            title.update(
                f"Exchange {short_id(self.exchange_id)} belongs to no thread (no response id)."
            )
            return
        table = self.query_one(DataTable)
        selected = 0
        for n, turn in enumerate(data.turns, start=1):
            if turn["exchange_id"] == self.exchange_id:
                selected = n - 1
            table.add_row(
                str(n),
                VIA.get(turn.get("link") or "", ""),
                fmt.when(turn.get("started_at")),
                short_id(turn["exchange_id"]),
                turn.get("model") or "",
                turn.get("status") or "",
                Text(fmt.tokens(turn.get("input_tokens")), justify="right"),
                Text(fmt.tokens(turn.get("cached_tokens")), justify="right"),
                Text(fmt.tokens(turn.get("output_tokens")), justify="right"),
                Text(fmt.tokens(turn.get("reasoning_tokens")), justify="right"),
                Text(
                    fmt.cost(turn.get("cost_usd"), turn.get("input_tokens") is None),
                    justify="right",
                ),
                Text(fmt.cost(turn.get("running_cost_usd")), justify="right"),
                Text(fmt.ms(turn.get("duration_ms")), justify="right"),
                cell_text(_last_text(turn.get("inputs")), 60),
            )
        sums = {k: data.total(k) for k in TOKEN_FIELDS}
        title.update(
            f"Thread {data.thread_id} · {len(data.turns)} turn(s) · in {sums['input_tokens']:,}"
            f" (cached {sums['cached_tokens']:,}) · out {sums['output_tokens']:,} "
            f"(reasoning {sums['reasoning_tokens']:,}) · ${fmt.cost(data.cost_usd) or '0'}"
        )
        table.move_cursor(row=selected)
        self._show_turn(selected)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The cursor's row now, not the event's: adding the rows highlights row 0, and that
        # message may arrive after the cursor was moved to the selected exchange's turn.
        self._show_turn(self.query_one(DataTable).cursor_row)

    def action_diff(self) -> None:
        """This turn against the previous one: what the client added this turn."""
        index = self.query_one(DataTable).cursor_row
        if not 0 < index < len(self.turns):
            self.notify("The first turn has no previous turn.", severity="warning")
            return
        from .diff_screen import DiffScreen

        self.app.push_screen(DiffScreen.of_turn(self.store, self.exchange_id, index))

    def _show_turn(self, index: int) -> None:
        if not 0 <= index < len(self.turns):
            return
        turn = self.turns[index]
        parts: list[RenderableType] = [
            Text(
                f"▌ turn {index + 1} · exchange {short_id(turn['exchange_id'])} · "
                f"{turn['response_id']}",
                style="bold",
            ),
            Text("▌ input (what this turn added)", style="bold cyan"),
            *_items(turn.get("inputs")),
            Text("▌ output", style="bold green"),
            *_items(turn.get("outputs")),
        ]
        self.query_one("#turn-body", Static).update(Group(*parts))


VIA = {"previous_response_id": "prev", "conversation": "conv", "content": "content"}


def cell_text(text: str | None, limit: int) -> str:
    """Text on one line for a table cell: line breaks and runs of spaces become one space."""
    return fmt.fit(" ".join((text or "").split()), limit).rstrip()


def _last_text(items: list[Row] | None) -> str | None:
    texts = [i.get("text") for i in items or [] if i.get("text")]
    return texts[-1] if texts else None


def _items(items: list[Row] | None) -> list[RenderableType]:
    """A turn's items: messages as Markdown, tool calls and outputs with their name."""
    out: list[RenderableType] = []
    for item in items or []:
        kind, text = item.get("type") or "message", item.get("text") or ""
        if kind == "message":
            out.append(Markdown(text) if text.strip() else Text("(empty)", style="dim"))
        elif kind == "reasoning":
            if text.strip():
                out.append(Text(f"reasoning: {cell_text(text, 200)}", style="dim italic"))
        elif item.get("name"):
            out.append(Text(f"{kind} {item['name']}", style="yellow"))
            out.append(Text(text))
        else:
            out.append(Text(kind, style="yellow"))
            if text:
                out.append(Text(text))
    return out or [Text("(no items)", style="dim")]
