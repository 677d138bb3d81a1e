"""What genai-prices itself says a response costs: the oracle the store's SQL cost is held to.

Only the library's own entry points are used (``calc_price``, and its snapshot's matching of a
provider by API URL), never respdeck's conversion, so a mistake there cannot hide here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from genai_prices import Usage, calc_price, data_snapshot
from genai_prices.types import PriceCalculation


@dataclass(frozen=True, slots=True)
class Billed:
    """One response as the store has it: what a price depends on."""

    host: str | None
    model: str | None
    service_tier: str | None
    started_at: datetime | None
    input_tokens: int | None
    cached_tokens: int | None
    cache_write_tokens: int | None
    output_tokens: int | None
    reasoning_tokens: int | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Billed:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


def provider_of(host: str | None) -> str | None:
    """The provider whose API URL pattern the host matches; None leaves it to the model name."""
    if not host:
        return None
    try:
        return data_snapshot.get_snapshot().find_provider(None, None, f"https://{host}").id
    except LookupError:
        return None


def billed_tier(service_tier: str | None) -> str:
    return "default" if service_tier in (None, "auto") else service_tier


def library_cost(b: Billed) -> Decimal | None:
    """calc_price for the same usage, model, provider, date and tier; None where the library
    has no price: an unknown model, or a tier it has no rate of its own for at that time."""
    if b.model is None or b.input_tokens is None or b.output_tokens is None:
        return None
    usage = Usage(
        input_tokens=b.input_tokens,
        cache_read_tokens=b.cached_tokens,
        cache_write_tokens=b.cache_write_tokens,
        output_tokens=b.output_tokens,
        output_reasoning_tokens=b.reasoning_tokens,
    )
    context = {"service_tier": billed_tier(b.service_tier)}
    try:
        result = calc_price(
            usage,
            b.model,
            provider_id=provider_of(b.host),
            genai_request_timestamp=b.started_at,
            price_context=context,
        )
    except (LookupError, ValueError):
        return None
    if context["service_tier"] != "default" and not has_tier_rate(result, context, b.started_at):
        return None  # calc_price would fall back on the default rates: a guess
    return result.total_price


def has_tier_rate(result: PriceCalculation, context: dict[str, str], at: datetime | None) -> bool:
    """A variant of the model for exactly this tier, in force then, that calc_price applies (it
    applies none to a model found through a fallback provider, Azure -> OpenAI)."""
    when = at or datetime.now(UTC)
    own = any(m is result.model for m in result.provider.models)
    return own and any(
        (v.constraint is None or v.constraint.active(when))
        and all(context.get(k) == value for k, value in v.when.items())
        for v in result.model.price_variants or ()
    )


def close(got: float | None, expected: Decimal | None) -> bool:
    """Equal to 1e-9 relative (1e-15 USD absolute near zero), or both None."""
    if got is None or expected is None:
        return got is None and expected is None
    return abs(got - float(expected)) <= max(1e-9 * abs(float(expected)), 1e-15)
