"""What a re-send will cost, before it is sent: the recorded tokens priced by the store's one
cost definition (`addon.store.prices.priced_ctes`), for the model and host it goes to now.

The tokens are those of the recorded answer (one row per response: a WebSocket session has one
per turn); a new answer may be longer or shorter, so this is an estimate, said as one. The
(host, model) pair may never have been priced: it is asked about in a transaction that is
rolled back, so an estimate writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import duckdb

from addon.store.prices import add_models, priced_ctes
from addon.store.sql_text import literal

TOKEN_COLUMNS = (
    "input_tokens", "cached_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens"
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Tokens:
    """One recorded response's counts, and the model and tier it was billed at."""

    model: str | None
    service_tier: str | None
    input_tokens: int | None
    cached_tokens: int | None
    cache_write_tokens: int | None
    output_tokens: int | None
    reasoning_tokens: int | None


@dataclass(frozen=True, slots=True)
class Estimate:
    cost_usd: float | None  # None: unknown (no recorded tokens, or a model with no price)
    input_tokens: int
    output_tokens: int
    why_unknown: str | None = None

    def describe(self, times: int = 1) -> str:
        tokens = f"{self.input_tokens:,} input, {self.output_tokens:,} output tokens as recorded"
        many = f" for {times} sends" if times > 1 else ""
        if self.cost_usd is None:
            return f"estimate: cost unknown ({self.why_unknown}){many}"
        return f"estimate: ${self.cost_usd * times:.6f}{many} ({tokens})"


def recorded_tokens(conn: duckdb.DuckDBPyConnection, exchange_id: str) -> list[Tokens]:
    """The recorded responses' counts of an exchange, from the usage view."""
    rows = conn.execute(
        f"SELECT model, service_tier, {', '.join(TOKEN_COLUMNS)} FROM usage "
        f"WHERE exchange_id = {literal(exchange_id)}"
    ).fetchall()
    return [Tokens(*row) for row in rows]


def estimate_sql(host: str | None, rows: Sequence[Tokens]) -> str:
    """The summed cost of `rows` served by `host` now, and how many have no price."""
    values = ", ".join(
        "("
        + ", ".join(
            [literal(r.model), literal(host), "CAST(NULL AS TIMESTAMPTZ)", literal(r.service_tier)]
            + [f"CAST({literal(getattr(r, c))} AS BIGINT)" for c in TOKEN_COLUMNS]
        )
        + ")"
        for r in rows
    )
    names = ", ".join(("model", "host", "started_at", "service_tier", *TOKEN_COLUMNS))
    return (
        f"WITH resend_rows AS (SELECT * FROM (VALUES {values}) t({names})), "
        f"{priced_ctes('resend_rows')} "
        "SELECT sum(cost_usd), count(*) FILTER (WHERE cost_usd IS NULL) FROM priced"
    )


def estimate(
    conn: duckdb.DuckDBPyConnection,
    rows: Sequence[Tokens],
    host: str | None,
    model: str | None = None,
) -> Estimate:
    """The cost of `rows` at `host`'s price of `model` (each row's own when None)."""
    if model is not None:
        rows = [replace(r, model=model) for r in rows]
    tokens_in = sum(r.input_tokens or 0 for r in rows)
    tokens_out = sum(r.output_tokens or 0 for r in rows)
    if not rows or all(r.input_tokens is None for r in rows):
        return Estimate(None, tokens_in, tokens_out, "no tokens were recorded")
    conn.execute("BEGIN TRANSACTION")
    try:
        add_models(conn, {(host, r.model) for r in rows})
        found = conn.execute(estimate_sql(host, rows)).fetchone()
    finally:
        conn.execute("ROLLBACK")
    total, unpriced = found if found is not None else (None, len(rows))
    if unpriced or total is None:
        models = ", ".join(sorted({r.model or "?" for r in rows}))
        return Estimate(None, tokens_in, tokens_out, f"no price for {models}")
    return Estimate(float(total), tokens_in, tokens_out)
