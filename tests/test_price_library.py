"""genai-prices' data -> price rows -> the SQL cost, held to the library for every model it has.

Each model of each provider (and each model a provider prices through a fallback, Azure ->
OpenAI) is priced at the edges of its cells: the day before and the day a price starts, each
time-of-day boundary, each long-context threshold and the token after it, every service tier
it names, plus a tier it does not. The SQL (``priced_sql`` over the rows ``price_rows`` makes)
must give what ``ModelInfo.calc_price`` gives, or NULL exactly where the library has no rate.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from genai_prices import Usage, data_snapshot
from genai_prices.types import (
    ModelInfo,
    ModelPrice,
    Provider,
    StartDateConstraint,
    TieredPrices,
    TimeOfDateConstraint,
)

from addon.store.migrations import migrate
from addon.store.price_library import LibraryMatch, look_up, price_rows
from addon.store.prices import _insert, library_rows, priced_sql
from tests.price_oracle import close, has_tier_rate

PROBE_COLUMNS = (
    "model", "host", "started_at", "service_tier", "input_tokens", "cached_tokens",
    "cache_write_tokens", "output_tokens", "reasoning_tokens",
)  # fmt: skip


def every_model() -> Iterator[tuple[Provider, ModelInfo]]:
    providers = data_snapshot.get_snapshot().providers
    by_id = {p.id: p for p in providers}
    for provider in providers:
        yield from ((provider, info) for info in provider.models)
        for fallback in provider.fallback_model_providers or ():
            yield from ((provider, info) for info in by_id[fallback].models)


def _prices(info: ModelInfo) -> list[ModelPrice]:
    base = [info.prices] if isinstance(info.prices, ModelPrice) else [c.prices for c in info.prices]
    return base + [v.prices for v in info.price_variants or ()]


def probes(info: ModelInfo) -> Iterator[tuple[datetime, str | None, int]]:
    constraints = [c.constraint for c in info.prices] if isinstance(info.prices, list) else []
    constraints += [v.constraint for v in info.price_variants or ()]
    days = {date(2024, 1, 1)}
    for c in constraints:
        if isinstance(c, StartDateConstraint):
            days |= {c.start_date - timedelta(days=1), c.start_date}
    times = {time(12, 0)}
    for c in constraints:
        if isinstance(c, TimeOfDateConstraint):
            times |= {c.start_time.replace(tzinfo=None), c.end_time.replace(tzinfo=None)}
    tiers = {None, "auto", "default", "scale"} | {
        v.when.get("service_tier") for v in info.price_variants or () if "service_tier" in v.when
    }
    sizes = {1000}
    for price in _prices(info):
        for value in vars(price).values():
            if isinstance(value, TieredPrices):
                sizes |= {t.start for t in value.tiers} | {t.start + 1 for t in value.tiers}
    for day, at, tier, size in itertools.product(days, times, tiers, sizes):
        yield datetime.combine(day, at, tzinfo=UTC), tier, size


def expected(
    provider: Provider, info: ModelInfo, at: datetime, tier: str | None, usage: dict[str, int]
) -> Decimal | None:
    context = {"service_tier": "default" if tier in (None, "auto") else tier}
    try:
        result = info.calc_price(
            Usage(**usage), provider, genai_request_timestamp=at, price_context=context
        )
    except ValueError:
        return None
    if context["service_tier"] != "default" and not has_tier_rate(result, context, at):
        return None
    if result.model_price.input_mtok is None or result.model_price.output_mtok is None:
        return None  # priced by image, audio or request only: left unpriced, by design
    return result.total_price


def test_every_library_model_costs_in_sql_what_the_library_says() -> None:
    conn = duckdb.connect()
    migrate(conn)
    rows: list[list[object]] = []
    probe_rows: list[tuple[Any, ...]] = []
    wanted: list[tuple[int, Decimal | None]] = []
    models = 0
    for n, (provider, info) in enumerate(every_model()):
        label = f"{n}:{provider.id}:{info.id}"
        rows += library_rows(
            provider.id, label, LibraryMatch(provider.id, info.id, None, price_rows(provider, info))
        )
        models += 1
        for at, tier, size in probes(info):
            usage = {
                "input_tokens": size,
                "cache_read_tokens": size // 4,
                "cache_write_tokens": size // 8,
                "output_tokens": 700,
                "output_reasoning_tokens": 300,
            }
            wanted.append((len(probe_rows), expected(provider, info, at, tier, usage)))
            probe_rows.append((len(probe_rows), label, provider.id, at, tier, *usage.values()))
    _insert(conn, "prices", rows)
    columns = ("id", *PROBE_COLUMNS)
    table = pa.table({c: [p[i] for p in probe_rows] for i, c in enumerate(columns)})
    conn.register("probe_rows", table)
    conn.execute("CREATE TABLE probes AS SELECT * FROM probe_rows")
    result = conn.execute(f"SELECT id, cost_usd FROM ({priced_sql('probes')})").fetchall()
    assert len(result) == len(probe_rows)  # no probe met two rows
    got = dict(result)
    wrong = [(probe_rows[i], got[i], e) for i, e in wanted if not close(got[i], e)]
    assert not wrong, f"{len(wrong)} of {len(wanted)} differ, e.g. {wrong[:5]}"
    priced = sum(e is not None for _, e in wanted)
    assert models > 2000 and priced > 0.5 * len(wanted)  # the test sees the library's data


@pytest.mark.parametrize(
    ("host", "model", "provider", "library_model"),
    [
        ("api.openai.com", "gpt-5-2025-08-07", "openai", "gpt-5"),
        ("my-res.openai.azure.com", "gpt-5", "azure", "gpt-5"),
        ("api.x.ai", "grok-4.3", "x-ai", "grok-4.3"),
        ("openrouter.ai", "openai/gpt-5.6-sol", "openrouter", "openai/gpt-5.6-sol"),
        ("api.deepseek.com", "deepseek-v4-flash", "deepseek", "deepseek-v4-flash"),
        # no provider's host: the library goes by the model's name
        ("127.0.0.1:8080", "gpt-4.1-mini-2025-04-14", "openai", "gpt-4.1-mini"),
        (None, "grok-4.3", "x-ai", "grok-4.3"),
        # a provider's host that does not serve the model: unknown there, not guessed
        ("api.openai.com", "grok-4.3", None, None),
        ("api.openai.com", "gpt-99-imaginary", None, None),
    ],
)
def test_provider_from_the_host_or_the_model(
    host: str | None, model: str, provider: str | None, library_model: str | None
) -> None:
    found = look_up(host, model)
    assert (found.provider, found.library_model) == (provider, library_model)
    assert bool(found.prices) == (library_model is not None)
