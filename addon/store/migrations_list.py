"""Migration 9: what the exchange list shows, stored on each exchange.

Sorting or filtering a million exchanges by tokens, time to first token or findings used to
join and aggregate `responses`, `events` and `findings` for every exchange at every keystroke
(1-8 s). These columns hold the same values per exchange, written by the one write path
(addon/store/rows.add_exchange: import, record, reindex, resend, rows in flight), so a sort
or a filter reads `exchanges` alone.

Cost is not stored: prices change (the user's file, a newer genai-prices, `respdeck maintain`)
and a stored cost would go stale. What it is computed from is stored instead: an exchange's
summed tokens and, for an exchange with one response (nearly all), that response's model and
service tier, so its cost is a join of `exchanges` with the small `prices` table through the
usage view's own SQL (prices.priced_ctes). Exchanges with several responses (WebSocket
sessions) are priced response by response, as before; they are few.

`fill_list_columns` computes the columns from the stored rows in SQL: the migration fills an
existing database with it (a DuckDB file or a team store: statements DuckLake takes), and
its definitions are those `add_exchange` follows in Python (tests compare the two).
"""

from __future__ import annotations

import duckdb

from .prices import priced_ctes

# name, type, what it holds (the README's schema section lists the columns)
LIST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("input_tokens", "BIGINT"),  # the exchange's responses' counts, summed
    ("cached_tokens", "BIGINT"),
    ("cache_write_tokens", "BIGINT"),
    ("output_tokens", "BIGINT"),
    ("reasoning_tokens", "BIGINT"),
    ("total_tokens", "BIGINT"),
    ("response_count", "INTEGER"),  # its Response objects (several: a WebSocket session)
    ("response_status", "VARCHAR"),  # the first one's that reported output tokens, else first
    ("response_model", "VARCHAR"),  # the model its one response names (NULL for several)
    ("service_tier", "VARCHAR"),  # the tier its one response reports (NULL for several)
    ("ttft_ms", "DOUBLE"),  # the first delta event's arrival (the first token)
    ("findings", "INTEGER"),  # how many findings it has
    ("worst_severity", "VARCHAR"),  # error, warning or info; NULL without findings
)

# Stream events whose first arrival is "the first token".
TTFT_WHERE = "ends_with(type, '.delta') AND NOT from_client"
SEVERITY_RANK = {"error": 3, "warning": 2}  # anything else ranks as info (1)

_TOKENS = ("input_tokens", "cached_tokens", "cache_write_tokens", "output_tokens",
           "reasoning_tokens", "total_tokens")  # fmt: skip

# Per exchange, from its responses; the status as arg_max picks it (rows with a NULL status
# ignored), ties broken by the response's place, so the first one wins.
_FROM_RESPONSES = f"""
    SELECT exchange_id, {", ".join(f"sum({t})::BIGINT AS {t}" for t in _TOKENS)},
           count(*)::INTEGER AS response_count,
           arg_max(status, [(output_tokens IS NOT NULL)::INTEGER, -coalesce(response_index, 0)])
               AS response_status,
           CASE WHEN count(*) = 1 THEN any_value(model) END AS response_model,
           CASE WHEN count(*) = 1 THEN any_value(service_tier) END AS service_tier
    FROM responses GROUP BY exchange_id
"""
_RANK = " ".join(f"WHEN '{k}' THEN {v}" for k, v in SEVERITY_RANK.items())
_FROM_FINDINGS = f"""
    SELECT exchange_id, count(*)::INTEGER AS findings,
           CASE max(CASE severity {_RANK} ELSE 1 END)
                WHEN 3 THEN 'error' WHEN 2 THEN 'warning' ELSE 'info' END AS worst_severity
    FROM findings GROUP BY exchange_id
"""
_FROM_EVENTS = f"SELECT exchange_id, min(t_ms) AS ttft_ms FROM events WHERE {TTFT_WHERE} GROUP BY 1"


def fill_list_columns(conn: duckdb.DuckDBPyConnection) -> None:
    """Compute every exchange's list columns from its stored rows, in the caller's
    transaction (rows written by SQL rather than the writer: a migration, a benchmark). One
    UPDATE, each row written once: a team store rewrites the rows an UPDATE touches."""
    counts = ("response_count", "findings")  # 0 where there is none; the others NULL
    values = ", ".join(
        f"coalesce(x.{name}, 0) AS {name}" if name in counts else f"x.{name}"
        for name, _ in LIST_COLUMNS
    )
    conn.execute(f"""
        UPDATE exchanges SET {", ".join(f"{name} = v.{name}" for name, _ in LIST_COLUMNS)}
        FROM (
            SELECT e.exchange_id, {values}
            FROM exchanges e
            LEFT JOIN (
                SELECT * FROM ({_FROM_RESPONSES}) r
                FULL JOIN ({_FROM_EVENTS}) t USING (exchange_id)
                FULL JOIN ({_FROM_FINDINGS}) f USING (exchange_id)
            ) x USING (exchange_id)
        ) v
        WHERE v.exchange_id = exchanges.exchange_id
    """)


# Migration 6's usage view, the same rows, but ranking a response's states only where there are
# several: the window over every response of a million (partitioned by capture and response)
# was most of `respdeck usage`. A response id stored once (a hash seen once: a collision only
# ranks more) and a response of an exchange with no other (when it has no id) are their own
# latest state.
_STATES = """
    SELECT r.*, e.started_at, e.capture_id, e.key_fingerprint, e.host, e.seq
    FROM responses r JOIN exchanges e USING (exchange_id)
    WHERE e.endpoint <> 'responses.input_tokens'
"""
_SEVERAL = """(hash(r.response_id) IN (SELECT h FROM repeated)
                OR (r.response_id IS NULL AND e.response_count > 1))"""
USAGE_V9 = f"""
    CREATE VIEW usage AS
    WITH repeated AS (
        SELECT hash(response_id) AS h FROM responses WHERE response_id IS NOT NULL
        GROUP BY h HAVING count(*) > 1
    ),
    latest AS (
        {_STATES} AND NOT {_SEVERAL}
        UNION ALL
        SELECT * EXCLUDE (recency) FROM (
            SELECT *, row_number() OVER (
                PARTITION BY capture_id, coalesce(response_id, 'exchange:' || exchange_id)
                ORDER BY started_at DESC NULLS LAST, seq DESC
            ) AS recency
            FROM ({_STATES} AND {_SEVERAL})
        ) WHERE recency = 1
    ),
    {priced_ctes("latest")}
    SELECT exchange_id, started_at, model, key_fingerprint, capture_id, response_id, object,
           status, service_tier, input_tokens, cached_tokens, output_tokens, reasoning_tokens,
           total_tokens, cost_usd, cache_write_tokens, host, provider, price_origin
    FROM priced
"""


def v9_list_columns(conn: duckdb.DuckDBPyConnection) -> None:
    for name, kind in LIST_COLUMNS:
        conn.execute(f"ALTER TABLE exchanges ADD COLUMN {name} {kind}")
    fill_list_columns(conn)
    conn.execute("DROP VIEW usage")
    conn.execute(USAGE_V9)
