"""SQL for the diff: each exchange's request, final response and outcome, in one row.

Tokens, cost and time to first token are the exchange list's columns (`view_sql`), so a diff
and the list never disagree; the response is the exchange's last Response object.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..sql_text import literal
from .common import TOKEN_FIELDS, in_ids
from .exchange_list import view_sql


def sides_sql(ids: Sequence[str]) -> str:
    """One row per exchange of `ids`: what a diff compares of it."""
    tokens = ", ".join(f"x.{f}" for f in TOKEN_FIELDS)
    return f"""
        WITH last AS (
            SELECT exchange_id, arg_max(raw, coalesce(response_index, 0)) AS response_raw
            FROM responses WHERE true {in_ids(ids)} GROUP BY exchange_id
        ),
        counts AS (
            SELECT exchange_id, map_from_entries(list({{'k': type, 'v': n}})) AS events
            FROM (SELECT exchange_id, type, count(*)::INTEGER AS n FROM events
                  WHERE NOT from_client AND type IS NOT NULL {in_ids(ids)}
                  GROUP BY ALL)
            GROUP BY exchange_id
        ),
        codes AS (
            SELECT exchange_id, list(code ORDER BY code) AS findings
            FROM findings WHERE true {in_ids(ids)} GROUP BY exchange_id
        )
        SELECT x.exchange_id, x.capture_id, x.seq, x.endpoint, x.method, x.path, x.status,
               x.response_id,
               x.started_at, x.request_body, x.websocket, x.websocket_frames,
               x.websocket_payload, x.error_code, x.error_message, x.duration_ms, x.ttft_ms,
               {tokens}, x.cost_usd, last.response_raw, counts.events, codes.findings
        FROM ({view_sql({"tokens", "cost", "ttft"}, ids)}) x
        LEFT JOIN last USING (exchange_id)
        LEFT JOIN counts USING (exchange_id)
        LEFT JOIN codes USING (exchange_id)
    """


def capture_exchanges_sql(capture_id: str) -> str:
    """A capture's exchange ids in recorded order (provisional rows of streams left out)."""
    return (
        f"SELECT exchange_id::VARCHAR FROM exchanges WHERE capture_id = {literal(capture_id)} "
        "AND position >= 0 ORDER BY seq"
    )


def nth_exchange_sql(capture_id: str, n: int) -> str:
    """The id of a capture's exchange number n (0-based, recorded order)."""
    return f"{capture_exchanges_sql(capture_id)} LIMIT 1 OFFSET {int(n)}"


def turn_responses_sql(ids: Sequence[str]) -> str:
    """Every Response object of the exchanges `ids` (a WebSocket session has one per turn),
    with its tokens and cost from the usage view."""
    tokens = ", ".join(f"u.{f}" for f in TOKEN_FIELDS)
    return f"""
        SELECT r.exchange_id, r.response_index, r.response_id, r.raw, {tokens}, u.cost_usd
        FROM responses r JOIN exchanges e USING (exchange_id)
        LEFT JOIN usage u ON u.response_id = r.response_id AND u.capture_id = e.capture_id
        WHERE true {in_ids(ids, "r.exchange_id")}
    """
