"""The read side's SQL, shared by the commands, the TUI, the demo and the tests.

Pure functions returning SQL text (no database access here): whoever runs them reads through
a `Reader` (`addon.store.reader`), so the same statement runs on a file or, whole, on a live
recorder. Ids are `str` in Python whatever the column type (BIGINT in older databases, UUID
now) and are inlined only through `sql_text.literal`.
"""

from __future__ import annotations

from .common import TOKEN_FIELDS, TOKEN_LABELS, by_id, id_list, ids_of
from .detail import (
    capture_sql,
    events_sql,
    exchange_sql,
    exchange_state_sql,
    findings_of_sql,
    items_sql,
    poll_sql,
    price_sql,
    related_sql,
    responses_sql,
    thread_walk_sql,
)
from .exchange_list import (
    COMPUTED,
    GROUPS,
    PAGE_SIZE,
    ROW_FIELDS,
    ListSpec,
    cost_view_sql,
    count_sql,
    group_key,
    ids_sql,
    order_by,
    parts_needed,
    rows_sql,
    several_cost_sql,
    thread_map_sql,
    view_sql,
    where_sql,
)
from .resolve import (
    AmbiguousId,
    UnknownId,
    jump_target,
    resolve_capture,
    resolve_exchange,
    resolve_exchange_sql,
    short_id,
)
from .usage import USAGE_GROUPS, check_sql, summary_sql, unpriced_sql, usage_sql

__all__ = [
    "COMPUTED",
    "GROUPS",
    "PAGE_SIZE",
    "ROW_FIELDS",
    "TOKEN_FIELDS",
    "TOKEN_LABELS",
    "USAGE_GROUPS",
    "AmbiguousId",
    "ListSpec",
    "UnknownId",
    "by_id",
    "capture_sql",
    "check_sql",
    "cost_view_sql",
    "count_sql",
    "events_sql",
    "exchange_sql",
    "exchange_state_sql",
    "findings_of_sql",
    "group_key",
    "id_list",
    "ids_of",
    "ids_sql",
    "items_sql",
    "jump_target",
    "order_by",
    "parts_needed",
    "poll_sql",
    "price_sql",
    "related_sql",
    "resolve_capture",
    "resolve_exchange",
    "resolve_exchange_sql",
    "responses_sql",
    "rows_sql",
    "several_cost_sql",
    "short_id",
    "summary_sql",
    "thread_map_sql",
    "thread_walk_sql",
    "unpriced_sql",
    "usage_sql",
    "view_sql",
    "where_sql",
]
