"""Prices from genai-prices' bundled snapshot, written out as plain rows SQL can join.

genai-prices (pydantic's price library; its data ships inside the package: respdeck never calls
``UpdatePrices`` and never fetches a price over the network) matches a model string by rules
(equals, starts_with, regex...) and picks a price by date, UTC time of day, service tier and
input size, in Python. SQL cannot call it, so respdeck asks it about each (host, model) the store
has seen and writes the answer out as rows: one per service tier, date range, time-of-day window
and input-token band (long-context tiers), each cell's rates taken from the library's own
``get_prices`` and ``calc_unit_price``, so that the SQL cost equals ``calc_price``.

The provider is the one whose API URL pattern matches the exchange's host (api.openai.com ->
openai, *.openai.azure.com -> azure, api.x.ai -> x-ai, openrouter.ai -> openrouter); a host that
matches none (a local replay server, a gateway) leaves the choice to the library, which goes by
the model's name, as ``calc_price`` does when given no provider.

The heavy import (pydantic models, 1.6 MB of data: about a second) happens on the first look-up.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genai_prices.types import ModelInfo, ModelPrice, Provider

DEFAULT_TIER = "default"
_ONE_M = 1_000_000


@functools.cache
def library_version() -> str:
    """The installed genai-prices version, without importing it (its data is what is versioned)."""
    return version("genai-prices")


@dataclass(frozen=True, slots=True)
class Rates:
    """USD for one band: per 1M tokens of each kind, and per request. None: not priced."""

    input_usd_per_1m: float | None
    cached_input_usd_per_1m: float | None
    cache_write_usd_per_1m: float | None
    output_usd_per_1m: float | None
    reasoning_usd_per_1m: float | None
    request_usd: float | None


@dataclass(frozen=True, slots=True)
class LibraryPrice:
    """One row: the rates in force for one tier, date range, time window and input band."""

    service_tier: str
    effective_date: date | None  # from this UTC day on; None: from the start
    end_date: date | None  # until the day before this; None: still in force
    from_time: time | None  # UTC time of day window [from, until); None: all day
    until_time: time | None
    min_input_tokens: int  # the band of input_tokens (both ends included) these rates apply to
    max_input_tokens: int | None
    rates: Rates


@dataclass(frozen=True, slots=True)
class LibraryMatch:
    """What the library made of one (host, model): its provider and model ids, and the rows."""

    provider: str | None
    library_model: str | None  # None: the library does not know this model here
    source: str | None  # the provider's pricing page, as the library names it
    prices: tuple[LibraryPrice, ...]


_UNKNOWN = LibraryMatch(None, None, None, ())


def look_up(host: str | None, model: str) -> LibraryMatch:
    """Ask the bundled library about ``model`` as served by ``host``; never raises."""
    try:
        found = _find(host, model)
        if found is None:
            return _UNKNOWN
        provider, info = found
        urls = provider.pricing_urls or []
        return LibraryMatch(
            provider.id, info.id, urls[0] if urls else None, price_rows(provider, info)
        )
    except Exception:  # a library that cannot answer prices nothing, and the store goes on
        return _UNKNOWN


def _find(host: str | None, model: str) -> tuple[Provider, ModelInfo] | None:
    from genai_prices import data_snapshot

    snapshot = data_snapshot.get_snapshot()
    provider = None
    if host:
        try:
            provider = snapshot.find_provider(None, None, f"https://{host}")
        except LookupError:
            provider = None  # not a provider's API host: the library goes by the model's name
    try:
        return snapshot.find_provider_model(model, provider, None, None)
    except LookupError:
        return None


def price_rows(provider: Provider, info: ModelInfo) -> tuple[LibraryPrice, ...]:
    """Every row for one model of one provider. Empty when a price cannot be reproduced."""
    # calc_price applies request-context variants only to the provider's own models, not to
    # one found through a fallback provider (Azure -> OpenAI): there only the default tier.
    own = any(m is info for m in provider.models)
    tiers = [DEFAULT_TIER]
    if own:
        tiers += sorted(
            {
                v.when["service_tier"]
                for v in info.price_variants or ()
                if set(v.when) == {"service_tier"}
            }
            - {DEFAULT_TIER}
        )
    day_cells, time_cells = _cells(info)
    rows: list[LibraryPrice] = []
    for tier in tiers:
        profiles = [
            (start, end, _day_profile(info, own, tier, day, time_cells))
            for start, end, day in day_cells
        ]
        for start, end, profile in _merge(profiles):
            for from_time, until_time, bands in profile:
                rows.extend(
                    LibraryPrice(tier, start, end, from_time, until_time, low, high, rates)
                    for low, high, rates in bands
                )
    return tuple(rows)


def _constraints(info: ModelInfo) -> Iterator[Any]:
    if isinstance(info.prices, list):
        yield from (c.constraint for c in info.prices)
    yield from (v.constraint for v in info.price_variants or ())


def _utc_time(value: time) -> time:
    if value.tzinfo is None:
        return value
    return datetime.combine(date(1970, 1, 1), value).astimezone(UTC).time()


_Cell = tuple[Any, Any, Any]  # (start, end, representative)


def _cells(info: ModelInfo) -> tuple[list[_Cell], list[_Cell]]:
    """The UTC days and times of day at which some price of this model starts or ends: within
    each cell between them every price is constant, so one evaluation per cell is exact."""
    from genai_prices.types import StartDateConstraint, TimeOfDateConstraint

    constraints = list(_constraints(info))
    days = sorted({c.start_date for c in constraints if isinstance(c, StartDateConstraint)})
    day_cells: list[_Cell] = []
    if not days:
        day_cells.append((None, None, date(2000, 1, 1)))
    else:
        day_cells.append((None, days[0], days[0] - timedelta(days=1)))
        day_cells += [
            (d, days[i + 1] if i + 1 < len(days) else None, d) for i, d in enumerate(days)
        ]
    bounds = sorted(
        {
            _utc_time(t)
            for c in constraints
            if isinstance(c, TimeOfDateConstraint)
            for t in (c.start_time, c.end_time)
        }
        | {time(0)}
    )
    time_cells: list[_Cell] = [
        (b, bounds[i + 1] if i + 1 < len(bounds) else None, b) for i, b in enumerate(bounds)
    ]
    return day_cells, time_cells


_Band = tuple[int, int | None, Rates]
_Window = tuple[time | None, time | None, tuple[_Band, ...]]


def _day_profile(
    info: ModelInfo, own: bool, tier: str, day: date, time_cells: list[_Cell]
) -> tuple[_Window, ...]:
    """The windows of one day for one tier, equal neighbours merged; a window where the tier
    has no price of its own is left out."""
    windows: list[list[Any]] = []
    for start, end, at in time_cells:
        bands = _bands(info, own, tier, datetime.combine(day, at, tzinfo=UTC))
        if windows and windows[-1][2] == bands:
            windows[-1][1] = end
        else:
            windows.append([start, end, bands])
    if len(windows) == 1:
        windows[0][0] = windows[0][1] = None  # all day
    return tuple((s, e, b) for s, e, b in windows if b)


def _merge(
    profiles: list[tuple[date | None, date | None, tuple[_Window, ...]]],
) -> list[tuple[date | None, date | None, tuple[_Window, ...]]]:
    merged: list[list[Any]] = []
    for start, end, profile in profiles:
        if merged and merged[-1][2] == profile:
            merged[-1][1] = end
        else:
            merged.append([start, end, profile])
    return [(s, e, p) for s, e, p in merged]


def _bands(info: ModelInfo, own: bool, tier: str, at: datetime) -> tuple[_Band, ...]:
    context = {"service_tier": tier}
    if tier != DEFAULT_TIER and not (own and _has_variant(info, context, at)):
        return ()  # the library has no rate for this tier then: unpriced, not the default's
    model_price = info.get_prices(at, context if own else None)
    return _split_bands(model_price)


def _has_variant(info: ModelInfo, context: dict[str, str], at: datetime) -> bool:
    return any(
        (v.constraint is None or v.constraint.active(at))
        and all(context.get(k) == value for k, value in v.when.items())
        for v in info.price_variants or ()
    )


def _split_bands(model_price: ModelPrice) -> tuple[_Band, ...]:
    """Long-context tiers: past a threshold on input tokens another rate applies to all the
    tokens of a kind. Bands are cut at every threshold of any kind, so each has one rate."""
    from genai_prices.types import TieredPrices

    keys = {
        "input": model_price.input_mtok,
        "cached": model_price.cache_read_mtok,
        "cache_write": model_price.cache_write_mtok,
        "output": model_price.output_mtok,
        "reasoning": model_price.output_reasoning_mtok,
        "request": model_price.requests_kcount,
    }
    if keys["input"] is None or keys["output"] is None:
        return ()  # priced by image, audio or request only: not what these columns express
    starts = sorted(
        {t.start for v in keys.values() if isinstance(v, TieredPrices) for t in v.tiers}
    )
    lows = [0, *(s + 1 for s in starts)]  # a tier applies when input_tokens > its start
    highs: list[int | None] = [*starts, None]
    bands: list[_Band] = []
    for low, high in zip(lows, highs, strict=True):
        rates = Rates(
            _rate(keys["input"], low),
            _rate(keys["cached"], low),
            _rate(keys["cache_write"], low),
            _rate(keys["output"], low),
            _rate(keys["reasoning"], low),
            _rate(keys["request"], low, per=1000, unit=1),
        )
        if not _reproduces(model_price, low, high, rates):
            return ()  # a price these columns cannot express: unpriced rather than wrong
        bands.append((low, high, rates))
    return tuple(bands)


def _rate(value: Any, total_input: int, per: int = _ONE_M, unit: int = _ONE_M) -> float | None:
    """The library's own rate for ``unit`` units at this input size (per 1M tokens, or per
    request for a price per thousand requests)."""
    from genai_prices.types import calc_unit_price

    if value is None:
        return None
    return float(calc_unit_price(value, unit, total_input, per))


def _reproduces(model_price: ModelPrice, low: int, high: int | None, rates: Rates) -> bool:
    """Check the rates against the library on one usage inside the band: a future library
    version pricing some other way (a new kind of unit) leaves the model unpriced."""
    from genai_prices.types import Usage

    total = high if high is not None else low + 100_000
    usage = {
        "input_tokens": total,
        "cache_read_tokens": total // 4,
        "cache_write_tokens": total // 8,
        "output_tokens": 1000,
        "output_reasoning_tokens": 300,
    }
    try:
        expected = model_price.calc_price(Usage(**usage))["total_price"]
    except (ValueError, TypeError):
        return False
    got = cost_of(rates, **usage)
    return abs(got - float(expected)) <= 1e-12 + 1e-9 * abs(float(expected))


def cost_of(
    rates: Rates,
    *,
    input_tokens: int,
    cache_read_tokens: int,
    cache_write_tokens: int,
    output_tokens: int,
    output_reasoning_tokens: int,
) -> float:
    """The cost formula of the SQL (prices.cost_usd_sql), in Python, for the check above:
    cached and cache-write tokens are part of input, reasoning of output, each billed once at
    its own rate or, without one, at the rate of the kind it is part of."""

    def rate(*values: float | None) -> float:
        return next((v for v in values if v is not None), 0.0)

    r = rates
    input_rate = rate(r.input_usd_per_1m)
    output_rate = rate(r.output_usd_per_1m)
    tokens = (
        (input_tokens - cache_read_tokens - cache_write_tokens) * input_rate
        + cache_read_tokens * rate(r.cached_input_usd_per_1m, input_rate)
        + cache_write_tokens * rate(r.cache_write_usd_per_1m, input_rate)
        + (output_tokens - output_reasoning_tokens) * output_rate
        + output_reasoning_tokens * rate(r.reasoning_usd_per_1m, output_rate)
    )
    return tokens / _ONE_M + rate(r.request_usd)
