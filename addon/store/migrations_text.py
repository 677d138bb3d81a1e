"""The SQL text of the views earlier migrations created, frozen as they were then: a new
database passes through every migration, so each view must bind to its own version's tables.
"""

from __future__ import annotations

from addon.wire.tool_calls import CALL_OUTPUT_TYPES

from .prices import priced_ctes

# Migration 2's price look-up and cost, as they were: later schemas price otherwise (migration
# 4), but a new database still passes through 2, whose view must bind to 2's prices table.
_V2_PRICE_JOIN = """
    SELECT p.model AS price_model, p.effective_date AS price_effective_date,
           p.input_usd_per_1m, p.cached_input_usd_per_1m, p.output_usd_per_1m,
           p.source AS price_source, p.source_date AS price_source_date, p.origin AS price_origin
    FROM prices p
    WHERE (p.model = k.model
           OR (ends_with(p.model, '*') AND starts_with(k.model, rtrim(p.model, '*'))))
      AND (k.at IS NULL
           OR p.effective_date <= CAST(timezone('UTC', CAST(k.at AS TIMESTAMPTZ)) AS DATE))
    ORDER BY (p.model = k.model) DESC, length(p.model) DESC, p.effective_date DESC
    LIMIT 1
"""
_V2_COST = (
    "((s.input_tokens - coalesce(s.cached_tokens, 0)) * pr.input_usd_per_1m"
    " + coalesce(s.cached_tokens, 0) * coalesce(pr.cached_input_usd_per_1m, pr.input_usd_per_1m)"
    " + s.output_tokens * pr.output_usd_per_1m) / 1e6"
)

# Each call a model made for the client to run, joined with the output the client sent back.
TOOL_OUTPUT_TYPES = CALL_OUTPUT_TYPES
_OUTPUT_OF = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in TOOL_OUTPUT_TYPES.items())
VIEWS_V2 = f"""
    CREATE VIEW tool_calls AS
    SELECT c.exchange_id, e.started_at, e.model, e.key_fingerprint, c.type, c.name, c.call_id,
           c.text AS arguments, c.status, o.exchange_id AS output_exchange_id,
           o.text AS output, o.status AS output_status
    FROM items c
    JOIN exchanges e USING (exchange_id)
    LEFT JOIN LATERAL (
        SELECT exchange_id, text, status FROM items o
        WHERE o.call_id = c.call_id AND o.type = CASE c.type {_OUTPUT_OF} END
          AND o.direction = 'input'
        ORDER BY o.exchange_id LIMIT 1
    ) o ON true
    WHERE c.direction = 'output' AND c.call_id IS NOT NULL
      AND c.type IN ({", ".join(f"'{k}'" for k in TOOL_OUTPUT_TYPES)});

    CREATE VIEW threads AS
    WITH RECURSIVE turns AS (
        SELECT response_id,
               nullif(arg_max(previous_response_id, exchange_id), response_id)
                   AS previous_response_id,
               arg_max(conversation_id, exchange_id) AS conversation_id
        FROM responses WHERE response_id IS NOT NULL AND object = 'response'
        GROUP BY response_id
    ),
    chain(response_id, root_id, depth) AS (
        SELECT response_id, response_id, 0 FROM turns
        WHERE previous_response_id IS NULL
           OR previous_response_id NOT IN (SELECT response_id FROM turns)
        UNION ALL
        SELECT t.response_id, c.root_id, c.depth + 1
        FROM turns t JOIN chain c ON t.previous_response_id = c.response_id
        WHERE c.depth < 10000
    )
    SELECT coalesce(t.conversation_id, c.root_id) AS thread_id, c.response_id,
           t.previous_response_id, t.conversation_id, c.depth AS turn
    FROM chain c JOIN turns t USING (response_id);

    -- One row per response: its latest recorded state within a capture (a background response
    -- polled five times counts once; a streamed create and a later retrieve count once), and
    -- one row per compaction. Token counts (input_tokens endpoint) are not usage. The cost is
    -- NULL where the model has no price, or the tier is not the standard one.
    CREATE VIEW usage AS
    WITH states AS (
        SELECT r.*, e.started_at, e.capture_id, e.key_fingerprint,
               row_number() OVER (
                   PARTITION BY e.capture_id, coalesce(r.response_id, 'exchange:' || r.exchange_id)
                   ORDER BY e.started_at DESC NULLS LAST, r.exchange_id DESC
               ) AS recency
        FROM responses r JOIN exchanges e USING (exchange_id)
        WHERE e.endpoint <> 'responses.input_tokens'
    ),
    latest AS (
        SELECT *, CAST(timezone('UTC', started_at) AS DATE) AS day FROM states WHERE recency = 1
    ),
    -- a price is looked up once per model and day, not once per row
    keyed AS (SELECT model, day, min(started_at) AS at FROM latest GROUP BY ALL),
    priced AS (
        SELECT k.model, k.day, pr.* FROM keyed k
        LEFT JOIN LATERAL ({_V2_PRICE_JOIN}) pr ON true
    )
    SELECT s.exchange_id, s.started_at, s.model, s.key_fingerprint, s.capture_id, s.response_id,
           s.object, s.status, s.service_tier, s.input_tokens, s.cached_tokens,
           s.output_tokens, s.reasoning_tokens, s.total_tokens,
           CASE WHEN coalesce(s.service_tier, 'default') IN ('default', 'auto')
                THEN {_V2_COST}
           END AS cost_usd
    FROM latest s
    LEFT JOIN priced pr ON pr.model IS NOT DISTINCT FROM s.model
                       AND pr.day IS NOT DISTINCT FROM s.day;
"""


# A response's parent: its previous_response_id (when recorded); else the response of its
# conversation recorded just before it; else the response recorded before it whose input and
# output are the longest prefix of its input (the last recorded of equals), in the same client
# session or where either has none. Roots start threads; a thread is named by its root's
# conversation, else its root's response id.
#
# Built to stay cheap on a million responses: one aggregate over `responses` (no list column
# in it: a request's longest prefix hash is tried first, for every request at once, and the
# shorter ones only for the few requests that found nothing), responses ordered by a single
# integer (`ord`: the order they were recorded in, exchange by exchange), links gathered in
# one small table, and a recursion that only visits the linked responses.
THREADS_V3 = """
    CREATE VIEW threads AS
    WITH turns AS MATERIALIZED (
        SELECT r.response_id,
               nullif(any_value(r.previous_response_id), r.response_id) AS previous_response_id,
               any_value(r.conversation_id) AS conversation_id,
               any_value(r.session_key) AS session_key,
               any_value(r.content_hash) AS content_hash,
               any_value(r.parent_hashes[1]) AS parent_hash,
               min(r.exchange_id * 100000 + least(coalesce(r.response_index, 0), 99999)) AS ord
        FROM responses r
        WHERE r.response_id IS NOT NULL AND r.object = 'response'
        GROUP BY r.response_id
    ),
    by_previous AS (
        SELECT t.ord, p.ord AS parent, p.response_id AS parent_id, 'previous_response_id' AS link
        FROM turns t JOIN turns p ON p.response_id = t.previous_response_id
    ),
    by_conversation AS (
        SELECT * FROM (
            SELECT ord, lag(ord) OVER w AS parent, lag(response_id) OVER w AS parent_id,
                   'conversation' AS link
            FROM turns WHERE conversation_id IS NOT NULL AND previous_response_id IS NULL
            WINDOW w AS (PARTITION BY conversation_id ORDER BY ord)
        ) WHERE parent IS NOT NULL
    ),
    longest AS (
        SELECT p.ord, max(a.ord) AS parent, arg_max(a.response_id, a.ord) AS parent_id
        FROM turns p JOIN turns a ON a.content_hash = p.parent_hash
        WHERE p.previous_response_id IS NULL AND p.conversation_id IS NULL AND a.ord < p.ord
          AND (a.session_key IS NULL OR p.session_key IS NULL OR a.session_key = p.session_key)
        GROUP BY p.ord
    ),
    unmatched AS MATERIALIZED (
        SELECT t.response_id, t.ord, t.session_key FROM turns t
        WHERE t.parent_hash IS NOT NULL AND t.previous_response_id IS NULL
          AND t.conversation_id IS NULL AND t.ord NOT IN (SELECT ord FROM longest)
    ),
    shorter AS (
        SELECT u.ord, u.session_key, unnest(r.parent_hashes[2:]) AS hash,
               generate_subscripts(r.parent_hashes[2:], 1) AS depth
        FROM unmatched u JOIN responses r USING (response_id)
        WHERE len(r.parent_hashes) > 1
    ),
    by_content AS (
        SELECT *, 'content' AS link FROM longest
        UNION ALL
        SELECT p.ord, a.ord AS parent, a.response_id AS parent_id, 'content' AS link
        FROM shorter p JOIN turns a ON a.content_hash = p.hash
        WHERE a.ord < p.ord
          AND (a.session_key IS NULL OR p.session_key IS NULL OR a.session_key = p.session_key)
        QUALIFY row_number() OVER (PARTITION BY p.ord ORDER BY p.depth, a.ord DESC) = 1
    ),
    -- at most one link per response (the three rules exclude each other), with what the
    -- recursion carries: it only reads this small table
    links AS MATERIALIZED (
        SELECT t.ord, t.response_id, t.previous_response_id, t.conversation_id, l.parent,
               l.parent_id, l.link
        FROM (
            SELECT * FROM by_previous
            UNION ALL SELECT * FROM by_conversation
            UNION ALL SELECT * FROM by_content
        ) l JOIN turns t USING (ord)
    )
    -- the recursion in a subquery: a view keeps MATERIALIZED only outside WITH RECURSIVE
    SELECT * FROM (
        WITH RECURSIVE chain(ord, thread_id, response_id, previous_response_id, conversation_id,
                             turn, parent_response_id, link) AS (
            SELECT ord, coalesce(conversation_id, response_id), response_id,
                   previous_response_id, conversation_id, 0, NULL::VARCHAR, NULL::VARCHAR
            FROM turns WHERE ord NOT IN (SELECT ord FROM links)
            UNION ALL
            SELECT e.ord, c.thread_id, e.response_id, e.previous_response_id, e.conversation_id,
                   c.turn + 1, e.parent_id, e.link
            FROM links e JOIN chain c ON e.parent = c.ord
            WHERE c.turn < 10000
        )
        SELECT thread_id, response_id, previous_response_id, conversation_id, turn,
               parent_response_id, link
        FROM chain
    );
"""


# As migration 2's usage view, priced by prices.priced_ctes (and with cache_write_tokens, host,
# provider and price_origin): NULL where neither the library nor the user prices the model, or
# the library has no rate for the response's service tier then.
USAGE_V4 = f"""
    CREATE VIEW usage AS
    WITH states AS (
        SELECT r.*, e.started_at, e.capture_id, e.key_fingerprint, e.host,
               row_number() OVER (
                   PARTITION BY e.capture_id, coalesce(r.response_id, 'exchange:' || r.exchange_id)
                   ORDER BY e.started_at DESC NULLS LAST, r.exchange_id DESC
               ) AS recency
        FROM responses r JOIN exchanges e USING (exchange_id)
        WHERE e.endpoint <> 'responses.input_tokens'
    ),
    latest AS (SELECT * FROM states WHERE recency = 1),
    {priced_ctes("latest")}
    SELECT exchange_id, started_at, model, key_fingerprint, capture_id, response_id, object,
           status, service_tier, input_tokens, cached_tokens, output_tokens, reasoning_tokens,
           total_tokens, cost_usd, cache_write_tokens, host, provider, price_origin
    FROM priced
"""
