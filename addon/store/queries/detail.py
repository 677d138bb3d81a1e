"""SQL for one exchange: its rows in each table, the price its cost came from, the thread it
belongs to, and what a live poll compares to know it grew."""

from __future__ import annotations

from collections.abc import Sequence

from ..prices import priced_ctes
from .common import by_id, id_list


def exchange_sql(exchange_id: str) -> str:
    return f"SELECT * FROM exchanges WHERE {by_id('exchange_id', exchange_id)}"


def capture_sql(capture_id: str) -> str:
    return f"SELECT * FROM captures WHERE {by_id('capture_id', capture_id)}"


def responses_sql(exchange_id: str) -> str:
    return (
        f"SELECT * FROM responses WHERE {by_id('exchange_id', exchange_id)} "
        "ORDER BY response_index NULLS LAST"
    )


def items_sql(exchange_id: str) -> str:
    """By response (a WebSocket session holds several: each one's input, then its output)."""
    return (
        f"SELECT * FROM items WHERE {by_id('exchange_id', exchange_id)} ORDER BY response_index "
        "NULLS LAST, CASE direction WHEN 'input' THEN 0 WHEN 'output' THEN 1 ELSE 2 END, position"
    )


def events_sql(exchange_id: str) -> str:
    return (
        "SELECT idx, sequence_number, t_ms, type, output_index, item_id, content_index, "
        f"delta, from_client FROM events WHERE {by_id('exchange_id', exchange_id)} ORDER BY idx"
    )


def findings_of_sql(exchange_id: str) -> str:
    return (
        'SELECT code, severity, message, "where", event_index, sequence_number, path '
        f"FROM findings WHERE {by_id('exchange_id', exchange_id)} "
        "ORDER BY event_index NULLS FIRST, code"
    )


def related_sql(exchange_id: str, call_ids: Sequence[str]) -> str:
    """Other exchanges' items with these call ids (a call here, its output there)."""
    return (
        "SELECT i.exchange_id, i.direction, i.type, i.call_id, i.name, i.text, i.status, i.raw "
        f"FROM items i JOIN exchanges e USING (exchange_id) WHERE i.call_id IN {id_list(call_ids)} "
        f"AND NOT {by_id('i.exchange_id', exchange_id)} "
        "ORDER BY e.started_at NULLS LAST, e.position, i.exchange_id, i.position"
    )


def price_sql(exchange_id: str) -> str:
    """Per response of the exchange, the price row its cost was computed with: the same
    CTEs as the usage view and the list (host, tier, day, time and input band minded), so the
    rates shown are the ones behind the cost shown. `price_model` NULL: no price."""
    return f"""
        WITH resp AS (
            SELECT r.*, e.started_at, e.host FROM responses r JOIN exchanges e USING (exchange_id)
            WHERE {by_id("e.exchange_id", exchange_id)}
        ),
        {priced_ctes("resp")}
        SELECT response_index, model, service_tier, price_origin, price_model,
               price_input_usd_per_1m AS input_usd_per_1m,
               price_cached_input_usd_per_1m AS cached_input_usd_per_1m,
               price_output_usd_per_1m AS output_usd_per_1m, price_source_date, cost_usd
        FROM priced ORDER BY price_model IS NULL, response_index NULLS LAST
    """


def poll_sql() -> str:
    """What says the list changed: the row count and a fingerprint of the set of ids (ids
    are random, so no max id grows with each new row)."""
    return "SELECT count(*), bit_xor(hash(exchange_id)) FROM exchanges"


def exchange_state_sql(exchange_id: str) -> str:
    """How far one exchange has got (a stream still arriving grows): as `Detail.state`."""
    where = by_id("exchange_id", exchange_id)
    return (
        f"SELECT (SELECT count(*) FROM events WHERE {where}), "
        f"(SELECT count(*) FROM items WHERE {where}), "
        f"(SELECT count(*) FROM responses WHERE {where}), "
        f"duration_ms, partial, status FROM exchanges WHERE {where}"
    )


def thread_walk_sql(exchange_id: str) -> str:
    """The turns of an exchange's thread as the threads view reconstructs it (the same view
    `respdeck usage --by thread` reads), in turn order; tokens and cost from the usage view,
    with the thread's running cost (`running_cost_usd`). Each turn has its own input (the
    items it added: `inputs`) and output (`outputs`)."""
    mine = by_id("r.exchange_id", exchange_id)
    mine_e = by_id("e.exchange_id", exchange_id)
    same_turn = (
        "i.exchange_id = r.exchange_id "
        "AND coalesce(i.response_index, r.response_index) = r.response_index"
    )
    item = "{'type': i.type, 'role': i.role, 'name': i.name, 'text': i.text}"
    return f"""
        WITH th AS MATERIALIZED (SELECT * FROM threads),
        mine AS (
            SELECT coalesce(
                (SELECT th.thread_id FROM th JOIN responses r USING (response_id)
                 WHERE {mine} ORDER BY r.response_index DESC NULLS LAST LIMIT 1),
                (SELECT th.thread_id FROM th JOIN exchanges e USING (response_id)
                 WHERE {mine_e} LIMIT 1),
                (SELECT th.thread_id FROM th JOIN exchanges e ON th.thread_id = e.conversation_id
                 WHERE {mine_e} LIMIT 1)
            ) AS thread_id
        ),
        turns AS (
        SELECT th.thread_id, th.turn, th.link, r.response_id, e.exchange_id, e.position,
               r.response_index, e.started_at, e.endpoint, r.model, r.status,
               coalesce(u.input_tokens, r.input_tokens) AS input_tokens,
               coalesce(u.cached_tokens, r.cached_tokens) AS cached_tokens,
               coalesce(u.output_tokens, r.output_tokens) AS output_tokens,
               coalesce(u.reasoning_tokens, r.reasoning_tokens) AS reasoning_tokens,
               u.cost_usd, e.duration_ms, r.previous_response_id,
               (SELECT list({item} ORDER BY i.position)
                FROM items i WHERE {same_turn} AND i.direction = 'input'
                  AND i.position >= coalesce(r.new_input_position,
                      (SELECT max(j.position) FROM items j WHERE j.exchange_id = r.exchange_id
                         AND j.direction = 'input'
                         AND coalesce(j.response_index, r.response_index) = r.response_index))
               ) AS inputs,
               (SELECT list({item} ORDER BY i.position)
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
        )
        SELECT * EXCLUDE (position),
               coalesce(sum(cost_usd) OVER (
                   ORDER BY turn, started_at, position, exchange_id, response_index
                   ROWS UNBOUNDED PRECEDING), 0) AS running_cost_usd
        FROM turns
        ORDER BY turn, started_at, position, exchange_id, response_index
    """
