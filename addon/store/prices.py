"""Model prices in the ``prices`` table, so cost is computed in SQL and every screen agrees.

Rows have one of two origins:

- ``library``: genai-prices' bundled snapshot (see price_library), for every (host, model) the
  store has seen. The writer asks about a new one when it stores a response with it
  (``add_models``); all are asked again when the installed library is not the version the rows
  were made with (``load_prices``, on every open for writing) and on reindex
  (``refresh_library``). ``price_matches`` keeps each question and its answer, a miss included.
- ``user``: the user's own file (``$RESPDECK_PRICES``, read by price_file), loaded on every open
  for writing, as the user wrote it (an id or a prefix); a user row in effect beats the library.

Nothing is guessed: a model the library does not know and no user row names costs NULL. So does a
service tier the library has no rate for then (flex before it lists flex rates, say).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from .price_file import PriceFileError, PriceRow, read_price_file
from .price_library import LibraryMatch, library_version, look_up

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "PriceFileError",
    "add_models",
    "cost_usd_sql",
    "library_rows",
    "load_prices",
    "priced_ctes",
    "priced_sql",
    "refresh_library",
    "tier_sql",
]

# The prices table's columns, in order, with their Arrow types (by name: pyarrow is imported
# when prices are written, not by every command that only reads them).
RATE_COLUMNS = (
    "input_usd_per_1m", "cached_input_usd_per_1m", "cache_write_usd_per_1m",
    "output_usd_per_1m", "reasoning_usd_per_1m", "request_usd",
)  # fmt: skip
_PRICES_COLUMNS: list[tuple[str, str]] = [
    ("model", "text"), ("host", "text"), ("provider", "text"), ("library_model", "text"),
    ("service_tier", "text"), ("effective_date", "day"), ("end_date", "day"),
    ("from_time", "clock"), ("until_time", "clock"), ("min_input_tokens", "count"),
    ("max_input_tokens", "count"), *((name, "usd") for name in RATE_COLUMNS),
    ("source", "text"), ("source_date", "day"), ("origin", "text"), ("library_version", "text"),
]  # fmt: skip
_MATCHES_COLUMNS: list[tuple[str, str]] = [
    ("host", "text"), ("model", "text"), ("provider", "text"), ("library_model", "text"),
    ("library_version", "text"),
]  # fmt: skip
TABLE_COLUMNS = tuple(name for name, _ in _PRICES_COLUMNS)


@cache
def _schema(table: str) -> pa.Schema:
    import pyarrow as pa

    kinds: dict[str, pa.DataType] = {"text": pa.string(), "day": pa.date32(),
        "clock": pa.time64("us"), "count": pa.int64(), "usd": pa.float64()}  # fmt: skip
    columns = _PRICES_COLUMNS if table == "prices" else _MATCHES_COLUMNS
    return pa.schema([(name, kinds[kind]) for name, kind in columns])


def _insert(conn: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[object]]) -> None:
    """Through Arrow: executemany would look for pandas once per date or time parameter."""
    if not rows:
        return
    import pyarrow as pa

    schema = _schema(table)
    columns = {name: [row[i] for row in rows] for i, name in enumerate(schema.names)}
    conn.register("respdeck_prices", pa.table(columns, schema=schema))
    try:
        names = ", ".join(schema.names)
        conn.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM respdeck_prices")
    finally:
        conn.unregister("respdeck_prices")


def load_prices(
    conn: duckdb.DuckDBPyConnection,
    user_file: Path | None = None,
    *,
    first: Callable[[], None] | None = None,
) -> int:
    """Replace the user's rows with ``user_file``'s (none without one) and bring the library's
    up to date: every model seen priced, by the installed version. One transaction (which
    ``first`` begins: a team store's lock); returns the rows now in the table."""
    user = read_price_file(user_file) if user_file is not None else []

    def work() -> None:
        if first is not None:
            first()
        _load(conn, user)

    return _in_transaction(conn, work)


def refresh_library(conn: duckdb.DuckDBPyConnection) -> int:
    """Ask the library again about every model seen (after a reindex). One transaction."""
    return _in_transaction(conn, lambda: _refresh_library(conn, everything=True))


def add_models(
    conn: duckdb.DuckDBPyConnection, pairs: Iterable[tuple[str | None, str | None]]
) -> None:
    """Price the (host, model) pairs not asked about yet, in the caller's transaction (the
    writer's, so stored responses and their prices commit together)."""
    wanted = {(host, model) for host, model in pairs if model}
    if wanted:
        known = set(conn.execute("SELECT host, model FROM price_matches").fetchall())
        _match(conn, wanted - known)


def add_models_alone(
    conn: duckdb.DuckDBPyConnection,
    pairs: Iterable[tuple[str | None, str | None]],
    lock: Callable[[], None],
) -> None:
    """A team store's models first seen priced in a transaction of their own, under `lock`:
    writers storing exchanges then only append, which never conflicts, and only these small
    transactions meet (the one that loses tries again and finds the prices there)."""

    def work() -> None:
        known = set(conn.execute("SELECT host, model FROM price_matches").fetchall())
        wanted = {(host, model) for host, model in pairs if model} - known
        if wanted:
            lock()
            _match(conn, wanted)

    _in_transaction(conn, work)


def _in_transaction(conn: duckdb.DuckDBPyConnection, work: Callable[[], None]) -> int:
    conn.execute("BEGIN TRANSACTION")
    try:
        work()
        (count,) = conn.execute("SELECT count(*) FROM prices").fetchone() or (0,)
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed COMMIT has rolled back
            conn.execute("ROLLBACK")
        raise
    return int(count)


def _load(conn: duckdb.DuckDBPyConnection, user: list[PriceRow]) -> None:
    conn.execute("DELETE FROM prices WHERE origin = 'user'")
    _insert(conn, "prices", [_user_values(r) for r in user])
    _refresh_library(conn, everything=False)


def _user_values(r: PriceRow) -> list[object]:
    values: dict[str, object] = {
        "model": r.model,
        "service_tier": r.service_tier,
        "effective_date": r.effective_date,
        "min_input_tokens": 0,
        "input_usd_per_1m": r.input_usd_per_1m,
        "cached_input_usd_per_1m": r.cached_input_usd_per_1m,
        "cache_write_usd_per_1m": r.cache_write_usd_per_1m,
        "output_usd_per_1m": r.output_usd_per_1m,
        "source": r.source,
        "source_date": r.source_date,
        "origin": "user",
    }
    return [values.get(c) for c in TABLE_COLUMNS]


def _refresh_library(conn: duckdb.DuckDBPyConnection, everything: bool) -> None:
    stored = conn.execute("SELECT DISTINCT library_version FROM price_matches").fetchall()
    versions = {v for (v,) in stored}
    if everything or versions - {library_version()}:
        conn.execute("DELETE FROM prices WHERE origin = 'library'")
        conn.execute("DELETE FROM price_matches")
    seen = conn.execute("""
        SELECT DISTINCT e.host, r.model FROM responses r JOIN exchanges e USING (exchange_id)
        WHERE r.model IS NOT NULL
        EXCEPT SELECT host, model FROM price_matches
    """).fetchall()
    _match(conn, seen)


def _match(conn: duckdb.DuckDBPyConnection, pairs: Iterable[tuple[str | None, str]]) -> None:
    version = library_version()
    matches, rows = [], []
    for host, model in sorted(pairs, key=lambda p: (p[0] or "", p[1])):
        found = look_up(host, model)
        matches.append([host, model, found.provider, found.library_model, version])
        rows += library_rows(host, model, found)
    _insert(conn, "price_matches", matches)
    _insert(conn, "prices", rows)


def library_rows(host: str | None, model: str, found: LibraryMatch) -> list[list[object]]:
    """The ``prices`` rows of one (host, model), in TABLE_COLUMNS order."""
    rows = []
    for p in found.prices:
        values: dict[str, object] = {
            "model": model,
            "host": host,
            "provider": found.provider,
            "library_model": found.library_model,
            "service_tier": p.service_tier,
            "effective_date": p.effective_date,
            "end_date": p.end_date,
            "from_time": p.from_time,
            "until_time": p.until_time,
            "min_input_tokens": p.min_input_tokens,
            "max_input_tokens": p.max_input_tokens,
            **{name: getattr(p.rates, name) for name in RATE_COLUMNS},
            "source": found.source,
            "origin": "library",
            "library_version": library_version(),
        }
        rows.append([values.get(c) for c in TABLE_COLUMNS])
    return rows


def tier_sql(tier_expr: str) -> str:
    """The tier a response is billed at: the one it reports; none, or ``auto`` (what a request
    asks for, not a rate), is the default tier."""
    return (
        f"CASE WHEN {tier_expr} IS NULL OR {tier_expr} = 'auto' THEN 'default' ELSE {tier_expr} END"
    )


def cost_usd_sql(
    input_tokens: str,
    cached_tokens: str,
    output_tokens: str,
    price: str = "pr",
    *,
    cache_write_tokens: str | None = None,
    reasoning_tokens: str | None = None,
) -> str:
    """The USD cost of one response as a SQL expression over a joined price row ``price``.

    ``input_tokens`` includes the cached and cache-write ones, ``output_tokens`` the reasoning
    ones: each is billed once, at its own rate or, without one, at the rate of the kind it is
    part of (as genai-prices does). No price row, a NULL input or output count, or counts that
    contradict each other (more cached than input tokens) give NULL, never 0.
    """
    p = price
    i, o = f"({input_tokens})", f"({output_tokens})"
    c = f"coalesce({cached_tokens}, 0)"
    w = f"coalesce({cache_write_tokens}, 0)" if cache_write_tokens else "0"
    r = f"coalesce({reasoning_tokens}, 0)" if reasoning_tokens else "0"
    return (
        f"CASE WHEN {c} + {w} <= {i} AND {r} <= {o} THEN"
        f" (({i} - {c} - {w}) * {p}.input_usd_per_1m"
        f" + {c} * coalesce({p}.cached_input_usd_per_1m, {p}.input_usd_per_1m)"
        f" + {w} * coalesce({p}.cache_write_usd_per_1m, {p}.input_usd_per_1m)"
        f" + ({o} - {r}) * {p}.output_usd_per_1m"
        f" + {r} * coalesce({p}.reasoning_usd_per_1m, {p}.output_usd_per_1m)) / 1e6"
        f" + coalesce({p}.request_usd, 0) END"
    )


# The columns of the price row a cost was computed with, as ``priced`` shows them (price_*).
CHOSEN = ("model", "effective_date", "input_usd_per_1m", "cached_input_usd_per_1m",
          "output_usd_per_1m", "source_date")  # fmt: skip


def _chosen_sql() -> str:
    return (
        ", ".join(
            f"CASE WHEN up.origin IS NOT NULL THEN up.{c} ELSE lp.{c} END AS price_{c}"
            for c in CHOSEN
        )
        + ","
    )


def priced_sql(rows: str) -> str:
    """A query: ``priced_ctes`` on its own."""
    return f"WITH {priced_ctes(rows)} SELECT * FROM priced"


def priced_ctes(rows: str, model: str = "model") -> str:
    """CTEs (named price_*) ending in ``priced``: ``rows`` (a CTE, table or view with the
    columns model, host, started_at, service_tier, input_tokens, cached_tokens,
    cache_write_tokens, output_tokens, reasoning_tokens) with ``price_origin`` (user, library
    or NULL), ``provider``, ``cost_usd`` and the price row's own ``price_model``, rates and
    ``price_source_date`` (see CHOSEN): what a cost is shown with comes from here too.
    ``model`` names the column priced by (the exchange list prices `exchanges` rows by their
    one response's ``response_model``; their ``model`` is the request's).

    A library row is joined on the exact model and host, the tier, the UTC day and time of day
    (a NULL time is now, as for genai-prices) and the input-token band: one model's rows never
    overlap, so each response meets at most one. The user's rows are first laid out per model
    seen (``price_matches``) as spans of days, each with the row that wins then, so they join
    the same way; a user row in force beats the library's.
    """
    tokens = ("s.input_tokens", "s.cached_tokens", "s.output_tokens")
    extra = {"cache_write_tokens": "s.cache_write_tokens", "reasoning_tokens": "s.reasoning_tokens"}
    day_us = 86_400_000_000
    return f"""
        price_at AS (
            SELECT *, epoch_us(coalesce(started_at, now())) AS price_us FROM {rows}
        ),
        -- the UTC day and time of day from the instant, with no time zone lookup per row
        price_keyed AS (
            SELECT *, DATE '1970-01-01' + CAST(price_us // {day_us} AS INTEGER) AS price_day,
                   TIME '00:00:00' + to_microseconds(price_us % {day_us}) AS price_clock,
                   {tier_sql("service_tier")} AS price_tier
            FROM price_at
        ),
        price_user_matches AS (
            SELECT m.model AS seen_model, p.*, p.model = m.model AS exact
            FROM (SELECT DISTINCT model FROM price_matches) m
            JOIN prices p ON p.origin = 'user'
             AND (p.model = m.model
                  OR (ends_with(p.model, '*') AND starts_with(m.model, rtrim(p.model, '*'))))
        ),
        price_user_spans AS (
            SELECT seen_model, service_tier, effective_date AS span_start,
                   lead(effective_date) OVER (
                       PARTITION BY seen_model, service_tier ORDER BY effective_date
                   ) AS span_end
            FROM (SELECT DISTINCT seen_model, service_tier, effective_date FROM price_user_matches)
        ),
        -- in each span the row in force that an exact id, then a longer prefix, then a later
        -- day makes win
        price_user_rows AS (
            SELECT sp.span_start, sp.span_end, m.*
            FROM price_user_spans sp JOIN price_user_matches m ON m.seen_model = sp.seen_model
             AND m.service_tier = sp.service_tier AND m.effective_date <= sp.span_start
            QUALIFY row_number() OVER (
                PARTITION BY sp.seen_model, sp.service_tier, sp.span_start
                ORDER BY m.exact DESC, length(m.model) DESC, m.effective_date DESC) = 1
        ),
        priced AS (
        SELECT s.* EXCLUDE (price_us, price_day, price_clock, price_tier),
               coalesce(up.origin, lp.origin) AS price_origin,
               CASE WHEN up.origin IS NULL THEN lp.provider END AS provider,
               {_chosen_sql()}
               CASE WHEN up.origin IS NOT NULL THEN {cost_usd_sql(*tokens, "up", **extra)}
                    ELSE {cost_usd_sql(*tokens, "lp", **extra)} END AS cost_usd
        FROM price_keyed s
        LEFT JOIN price_user_rows up ON up.seen_model = s.{model} AND up.service_tier = s.price_tier
            AND up.span_start <= s.price_day
            AND (up.span_end IS NULL OR s.price_day < up.span_end)
        LEFT JOIN prices lp ON lp.origin = 'library' AND lp.model = s.{model}
            AND coalesce(lp.host, '') = coalesce(s.host, '') AND lp.service_tier = s.price_tier
            AND (lp.effective_date IS NULL OR lp.effective_date <= s.price_day)
            AND (lp.end_date IS NULL OR s.price_day < lp.end_date)
            AND (lp.from_time IS NULL OR lp.from_time <= s.price_clock)
            AND (lp.until_time IS NULL OR s.price_clock < lp.until_time)
            AND lp.min_input_tokens <= s.input_tokens
            AND (lp.max_input_tokens IS NULL OR s.input_tokens <= lp.max_input_tokens)
        )
    """
