"""The TUI's reads (run in worker threads): the store's queries through a Reader cursor,
returned as plain data. No SQL and no Textual here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from addon.store import queries
from addon.store.queries.common import normal_row
from addon.store.reader import Query

Row = dict[str, Any]
THREAD_MAP = "respdeck_thread_map"  # a temporary copy of the threads view, per list cursor


def _dicts(result: duckdb.DuckDBPyConnection) -> list[Row]:
    names = [d[0] for d in result.description or []]
    return [normal_row(names, row) for row in result.fetchall()]


def build_thread_map(cur: Query) -> None:
    """The threads view is recursive over every response: computed once, not once per page."""
    cur.execute(queries.thread_map_sql(THREAD_MAP))


def count_rows(cur: Query, spec: queries.ListSpec, threads: str) -> int:
    row = cur.execute(queries.count_sql(spec, threads)).fetchone()
    return int(row[0]) if row else 0


def fetch_rows(cur: Query, ids: list[str]) -> dict[str, Row]:
    """The displayed columns of these exchanges, by id."""
    if not ids:
        return {}
    return {row["exchange_id"]: row for row in _dicts(cur.execute(queries.rows_sql(ids)))}


def fetch_page(
    cur: Query, spec: queries.ListSpec, offset: int, limit: int, threads: str
) -> list[Row]:
    """One page of the list, in display order; each row has a `group` value when grouping."""
    keyed = _dicts(cur.execute(queries.ids_sql(spec, offset, limit, threads)))
    rows = fetch_rows(cur, [k["exchange_id"] for k in keyed])
    group = queries.group_key(spec.group)
    page = []
    for key in keyed:
        row = rows.get(key["exchange_id"])
        if row is not None:
            row["group"] = key.get(group) if group else None
            page.append(row)
    return page


def resolve(cur: Query, text: str) -> str:
    """The exchange id `text` names (an id prefix or a response id); UnknownId, AmbiguousId."""
    return queries.resolve_exchange(cur, text)


@dataclass(slots=True)
class Detail:
    """Everything the detail tabs show about one exchange."""

    exchange: Row
    row: Row  # the list's computed columns (tokens, cost, ttft, findings)
    capture: Row | None = None
    responses: list[Row] = field(default_factory=list)
    items: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    findings: list[Row] = field(default_factory=list)
    related: list[Row] = field(default_factory=list)  # other exchanges' items with our call_ids
    price: Row | None = None  # the price row the cost was computed with (None: unpriced)

    @property
    def exchange_id(self) -> str:
        return str(self.exchange["exchange_id"])

    @property
    def state(self) -> tuple[Any, ...]:
        """What the live poll compares (see `poll`) to know this detail is out of date."""
        ex = self.exchange
        return (
            len(self.events),
            len(self.items),
            len(self.responses),
            ex.get("duration_ms"),
            ex.get("partial"),
            ex.get("status"),
        )


def fetch_detail(
    cur: Query, exchange_id: str, row: Row | None = None, memo: dict[Any, Any] | None = None
) -> Detail | None:
    """The detail of one exchange; `row` is its list row when the caller has it already.
    `memo` keeps captures between calls (they do not change while browsing)."""
    memo = {} if memo is None else memo
    exchange_id = str(exchange_id)
    exchange = _dicts(cur.execute(queries.exchange_sql(exchange_id)))
    if not exchange:
        return None
    ex = exchange[0]
    if row is None:
        row = fetch_rows(cur, [exchange_id]).get(exchange_id, {})
    detail = Detail(exchange=ex, row=row)
    capture_key = ("capture", ex["capture_id"])
    if capture_key not in memo:
        captures = _dicts(cur.execute(queries.capture_sql(ex["capture_id"])))
        memo[capture_key] = captures[0] if captures else None
    detail.capture = memo[capture_key]
    detail.responses = _dicts(cur.execute(queries.responses_sql(exchange_id)))
    detail.items = _dicts(cur.execute(queries.items_sql(exchange_id)))
    detail.events = _dicts(cur.execute(queries.events_sql(exchange_id)))
    detail.findings = _dicts(cur.execute(queries.findings_of_sql(exchange_id)))
    call_ids = sorted({i["call_id"] for i in detail.items if i.get("call_id")})
    if call_ids:
        detail.related = _dicts(cur.execute(queries.related_sql(exchange_id, call_ids)))
    if detail.responses:
        prices = _dicts(cur.execute(queries.price_sql(exchange_id)))
        detail.price = prices[0] if prices and prices[0].get("price_model") else None
    return detail


@dataclass(slots=True)
class Poll:
    """What the live poll saw: the list's size and ids, and the selected exchange's progress."""

    count: int
    ids: int | None  # a fingerprint of the set of ids
    selected_id: str | None = None
    selected: tuple[Any, ...] | None = None  # as Detail.state

    @property
    def version(self) -> tuple[int, int | None]:
        return (self.count, self.ids)


def poll(cur: Query, selected: str | None) -> Poll:
    row = cur.execute(queries.poll_sql()).fetchone()
    result = Poll(int(row[0]) if row else 0, row[1] if row else None, selected)
    if selected is not None:
        result.selected = cur.execute(queries.exchange_state_sql(selected)).fetchone()
    return result


@dataclass(slots=True)
class ThreadData:
    exchange_id: str
    thread_id: str | None
    turns: list[Row] = field(default_factory=list)

    @property
    def cost_usd(self) -> float | None:
        """The thread's cost so far: the last turn's running total (from the usage view)."""
        return self.turns[-1].get("running_cost_usd") if self.turns else None

    def total(self, key: str) -> int:
        return sum(t.get(key) or 0 for t in self.turns)


def fetch_thread(cur: Query, exchange_id: str) -> ThreadData:
    """The turns of the thread an exchange belongs to (see `queries.thread_walk_sql`)."""
    turns = _dicts(cur.execute(queries.thread_walk_sql(str(exchange_id))))
    return ThreadData(str(exchange_id), turns[0]["thread_id"] if turns else None, turns)


@dataclass(slots=True)
class UsageData:
    by_model: list[Row]
    by_day: list[Row]


def fetch_usage(cur: Query) -> UsageData:
    """Tokens and cost by model and by day: the same SQL as `respdeck usage`."""
    by_model, by_day = (_dicts(cur.execute(queries.usage_sql(by))) for by in ("model", "day"))
    return UsageData(by_model=by_model, by_day=by_day)
