"""Usage: tokens and cost by model and by day, as bars, with totals (same SQL as
`respdeck usage`)."""

from __future__ import annotations

from typing import ClassVar

import duckdb
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Sparkline, Static

from addon.store.reader import Reader, error_text

from . import fmt
from .charts import bar
from .fetch import Row, UsageData, fetch_usage
from .messages import UsageLoaded

BAR_WIDTH = 24


def usage_table(rows: list[Row], key: str, title: str) -> Table:
    """One row per group with a cost bar (a token bar when nothing is priced)."""
    table = Table(
        title=title,
        title_justify="left",
        box=None,
        header_style="bold",
        expand=False,
        padding=(0, 1),
    )
    for name, right in (
        (key, False),
        ("responses", True),
        ("input", True),
        ("cached", True),
        ("output", True),
        ("reasoning", True),
        ("cost $", True),
        ("", False),
    ):
        table.add_column(name, justify="right" if right else "left", no_wrap=True)
    priced = any(r.get("cost_usd") for r in rows)
    measure = "cost_usd" if priced else "output"
    top = max((r.get(measure) or 0 for r in rows), default=0)
    for r in rows:
        table.add_row(
            str(r.get(key) or ""),
            fmt.tokens(r.get("responses")),
            fmt.tokens(r.get("input")),
            fmt.tokens(r.get("cached")),
            fmt.tokens(r.get("output")),
            fmt.tokens(r.get("reasoning")),
            fmt.cost(r.get("cost_usd")) + (f" +{r['unpriced']}?" if r.get("unpriced") else ""),
            Text(bar(r.get(measure) or 0, top, BAR_WIDTH), style="green" if priced else "cyan"),
        )
    return table


class UsageScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,u", "app.pop_screen", "Back")]

    def __init__(self, store: Reader) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield Static("respdeck · usage", classes="title-bar")
        yield Static("Loading usage…", id="usage-totals")
        yield Static("cost per day", id="spark-label", classes="spark-label")
        yield Sparkline([], id="usage-spark", classes="spark")
        yield Static("tokens per day", id="tokens-label", classes="spark-label")
        yield Sparkline([], id="tokens-spark", classes="spark")
        with VerticalScroll(id="usage-tables"):
            yield Static(id="usage-by-model")
            yield Static(id="usage-by-day")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        try:
            with self.store.cursor("aux") as cur:
                data = fetch_usage(cur)
        except duckdb.Error as exc:
            self.post_message(UsageLoaded(None, error_text(exc)))
            return
        self.post_message(UsageLoaded(data))

    def on_usage_loaded(self, message: UsageLoaded) -> None:
        totals = self.query_one("#usage-totals", Static)
        if message.data is None:
            totals.update(f"✗ {message.error}")
            return
        self.show(message.data)

    def show(self, data: UsageData) -> None:
        models, total = data.by_model[:-1], data.by_model[-1:] or [{}]
        days = [d for d in data.by_day[:-1] if d.get("day") != "(no time)"]
        t = total[0]
        unpriced = f", {t['unpriced']} unpriced" if t.get("unpriced") else ""
        self.query_one("#usage-totals", Static).update(
            f"Total: {fmt.tokens(t.get('responses')) or 0} responses · input "
            f"{fmt.tokens(t.get('input')) or 0} (cached {fmt.tokens(t.get('cached')) or 0}) · "
            f"output {fmt.tokens(t.get('output')) or 0} (reasoning "
            f"{fmt.tokens(t.get('reasoning')) or 0}) · ${fmt.cost(t.get('cost_usd')) or '0'}"
            f"{unpriced}"
        )
        self.query_one("#usage-spark", Sparkline).data = [
            float(d.get("cost_usd") or 0) for d in days
        ] or [0.0]
        self.query_one("#tokens-spark", Sparkline).data = [
            float((d.get("input") or 0) + (d.get("output") or 0)) for d in days
        ] or [0.0]
        span = f"{days[0]['day']} … {days[-1]['day']} (UTC)" if days else "no usage"
        self.query_one("#spark-label", Static).update(f"cost per day (USD), {span}")
        self.query_one("#tokens-label", Static).update(f"tokens per day (input + output), {span}")
        self.query_one("#usage-by-model", Static).update(usage_table(models, "model", "By model"))
        self.query_one("#usage-by-day", Static).update(
            usage_table(data.by_day[:-1], "day", "\nBy day (UTC)")
        )
