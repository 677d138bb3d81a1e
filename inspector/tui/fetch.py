"""Queries the TUI runs (in worker threads), returning plain data: no Textual here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import duckdb

from addon.store.prices import price_join_sql
from addon.store.reader import Query

from .query import ROW_FIELDS, ListSpec, count_sql, ids_sql, literal, rows_sql

Row = dict[str, Any]
THREAD_MAP = "respdeck_thread_map"  # a temporary copy of the threads view, per list cursor


def _dicts(result: duckdb.DuckDBPyConnection) -> list[Row]:
    names = [d[0] for d in result.description or []]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def build_thread_map(cur: Query) -> None:
    """The threads view is recursive over every response: computed once, not once per page."""
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE {THREAD_MAP} AS "
        "SELECT response_id, any_value(thread_id) AS thread_id FROM threads GROUP BY 1"
    )


def count_rows(cur: Query, spec: ListSpec, threads: str) -> int:
    row = cur.execute(count_sql(spec, threads)).fetchone()
    return int(row[0]) if row else 0


def fetch_rows(cur: Query, ids: list[int]) -> dict[int, Row]:
    """The displayed columns of these exchanges, by id."""
    if not ids:
        return {}
    result = cur.execute(rows_sql(ids))
    return {row[0]: dict(zip(ROW_FIELDS, row, strict=True)) for row in result.fetchall()}


def fetch_page(cur: Query, spec: ListSpec, offset: int, limit: int, threads: str) -> list[Row]:
    """One page of the list, in display order; each row has a `group` value when grouping."""
    keyed = cur.execute(ids_sql(spec, offset, limit, threads)).fetchall()
    rows = fetch_rows(cur, [k[0] for k in keyed])
    page = []
    for key in keyed:
        row = rows.get(key[0])
        if row is not None:
            row["group"] = key[1] if len(key) > 1 else None
            page.append(row)
    return page


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
    price: Row | None = None

    @property
    def exchange_id(self) -> int:
        return int(self.exchange["exchange_id"])

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
    cur: Query, exchange_id: int, row: Row | None = None, memo: dict[Any, Any] | None = None
) -> Detail | None:
    """The detail of one exchange; `row` is its list row when the caller has it already.
    `memo` keeps captures and price rows between calls (they do not change while browsing)."""
    memo = {} if memo is None else memo
    exchange_id = int(exchange_id)
    exchange = _dicts(cur.execute(f"SELECT * FROM exchanges WHERE exchange_id = {exchange_id}"))
    if not exchange:
        return None
    ex = exchange[0]
    if row is None:
        row = fetch_rows(cur, [exchange_id]).get(exchange_id, {})
    detail = Detail(exchange=ex, row=row)
    capture_key = ("capture", ex["capture_id"])
    if capture_key not in memo:
        captures = _dicts(
            cur.execute(f"SELECT * FROM captures WHERE capture_id = {literal(ex['capture_id'])}")
        )
        memo[capture_key] = captures[0] if captures else None
    detail.capture = memo[capture_key]
    detail.responses = _dicts(
        cur.execute(f"SELECT * FROM responses WHERE exchange_id = {exchange_id}")
    )
    # by response (a WebSocket session holds several: each one's input, then its output)
    detail.items = _dicts(
        cur.execute(
            f"SELECT * FROM items WHERE exchange_id = {exchange_id} ORDER BY response_index "
            "NULLS LAST, CASE direction WHEN 'input' THEN 0 WHEN 'output' THEN 1 ELSE 2 END, "
            "position"
        )
    )
    detail.events = _dicts(
        cur.execute(
            "SELECT idx, sequence_number, t_ms, type, output_index, item_id, content_index, "
            f"delta, from_client FROM events WHERE exchange_id = {exchange_id} ORDER BY idx"
        )
    )
    detail.findings = _dicts(
        cur.execute(
            'SELECT code, severity, message, "where", event_index, sequence_number, path '
            f"FROM findings WHERE exchange_id = {exchange_id} "
            "ORDER BY event_index NULLS FIRST, code"
        )
    )
    call_ids = sorted({i["call_id"] for i in detail.items if i.get("call_id")})
    if call_ids:
        marks = ", ".join(literal(c) for c in call_ids)
        detail.related = _dicts(
            cur.execute(
                "SELECT exchange_id, direction, type, call_id, name, text, status, raw "
                f"FROM items WHERE call_id IN ({marks}) AND exchange_id <> {exchange_id} "
                "ORDER BY exchange_id, position"
            )
        )
    model = ex.get("model") or next((r["model"] for r in detail.responses if r["model"]), None)
    started = ex.get("started_at")
    price_key = ("price", model, started.astimezone(UTC).date() if started else None)
    if model and price_key not in memo:
        price = _dicts(
            cur.execute(
                f"SELECT pr.* FROM (SELECT {literal(model)}::VARCHAR AS model, "
                f"{literal(started)}::TIMESTAMPTZ AS at) k "
                f"LEFT JOIN LATERAL ({price_join_sql('k.model', 'k.at')}) pr ON true"
            )
        )
        memo[price_key] = price[0] if price and price[0].get("price_model") else None
    detail.price = memo.get(price_key)
    return detail


@dataclass(slots=True)
class Poll:
    """What the live poll saw: the list's size and the selected exchange's progress."""

    count: int
    max_id: int | None
    selected_id: int | None = None
    selected: tuple[Any, ...] | None = None  # as Detail.state


def poll(cur: Query, selected: int | None) -> Poll:
    row = cur.execute("SELECT count(*), max(exchange_id) FROM exchanges").fetchone()
    result = Poll(int(row[0]) if row else 0, row[1] if row else None, selected)
    if selected is not None:
        result.selected = cur.execute(
            f"SELECT (SELECT count(*) FROM events WHERE exchange_id = {int(selected)}), "
            f"(SELECT count(*) FROM items WHERE exchange_id = {int(selected)}), "
            f"(SELECT count(*) FROM responses WHERE exchange_id = {int(selected)}), "
            f"duration_ms, partial, status FROM exchanges WHERE exchange_id = {int(selected)}"
        ).fetchone()
    return result


@dataclass(slots=True)
class ThreadData:
    exchange_id: int
    thread_id: str | None
    turns: list[Row] = field(default_factory=list)


def thread_sql(exchange_id: int) -> str:
    """The turns of an exchange's thread as the threads view reconstructs it (the same view
    `respdeck usage --by thread` reads), in turn order; tokens and cost from the usage view.
    Each turn has its own input (the items it added: `inputs`) and output (`outputs`)."""
    x = int(exchange_id)
    same_turn = (
        "i.exchange_id = r.exchange_id "
        "AND coalesce(i.response_index, r.response_index) = r.response_index"
    )
    return f"""
        WITH th AS MATERIALIZED (SELECT * FROM threads),
        mine AS (
            SELECT coalesce(
                (SELECT th.thread_id FROM th JOIN responses r USING (response_id)
                 WHERE r.exchange_id = {x} ORDER BY r.response_index DESC NULLS LAST LIMIT 1),
                (SELECT th.thread_id FROM th JOIN exchanges e USING (response_id)
                 WHERE e.exchange_id = {x} LIMIT 1),
                (SELECT th.thread_id FROM th JOIN exchanges e ON th.thread_id = e.conversation_id
                 WHERE e.exchange_id = {x} LIMIT 1)
            ) AS thread_id
        )
        SELECT th.thread_id, th.turn, th.link, r.response_id, e.exchange_id, r.response_index,
               e.started_at, e.endpoint, r.model, r.status,
               coalesce(u.input_tokens, r.input_tokens) AS input_tokens,
               coalesce(u.cached_tokens, r.cached_tokens) AS cached_tokens,
               coalesce(u.output_tokens, r.output_tokens) AS output_tokens,
               coalesce(u.reasoning_tokens, r.reasoning_tokens) AS reasoning_tokens,
               u.cost_usd, e.duration_ms, r.previous_response_id,
               (SELECT list({{'type': i.type, 'role': i.role, 'name': i.name, 'text': i.text}}
                            ORDER BY i.position)
                FROM items i WHERE {same_turn} AND i.direction = 'input'
                  AND i.position >= coalesce(r.new_input_position,
                      (SELECT max(j.position) FROM items j WHERE j.exchange_id = r.exchange_id
                         AND j.direction = 'input'
                         AND coalesce(j.response_index, r.response_index) = r.response_index))
               ) AS inputs,
               (SELECT list({{'type': i.type, 'role': i.role, 'name': i.name, 'text': i.text}}
                            ORDER BY i.position)
                FROM items i WHERE {same_turn} AND i.direction = 'output') AS outputs
        FROM th JOIN mine USING (thread_id)
        JOIN responses r USING (response_id)
        JOIN exchanges e ON e.exchange_id = r.exchange_id
        LEFT JOIN usage u ON u.response_id = r.response_id AND u.capture_id = e.capture_id
        WHERE r.object = 'response'
        QUALIFY row_number() OVER (
            PARTITION BY r.response_id
            ORDER BY (e.endpoint IN ('responses.create', 'responses.websocket')) DESC,
                     r.output_tokens IS NOT NULL DESC, e.started_at DESC) = 1
        ORDER BY th.turn, e.started_at, e.exchange_id, r.response_index
    """


def fetch_thread(cur: Query, exchange_id: int) -> ThreadData:
    """The turns of the thread an exchange belongs to (see `thread_sql`)."""
    turns = _dicts(cur.execute(thread_sql(exchange_id)))
    return ThreadData(int(exchange_id), turns[0]["thread_id"] if turns else None, turns)


@dataclass(slots=True)
class UsageData:
    by_model: list[Row]
    by_day: list[Row]


def fetch_usage(cur: Query) -> UsageData:
    """Tokens and cost by model and by day: the same SQL as `respdeck usage`."""
    from inspector.commands.usage import usage_sql  # click, only for this screen

    out = []
    for by in ("model", "day"):
        sql = usage_sql(by, None)
        out.append(_dicts(cur.execute(sql)))
    return UsageData(by_model=out[0], by_day=out[1])
