"""The user's own price file ($RESPDECK_PRICES): parsed and checked whole before it is used.

CSV, one row per model (an exact id, or a prefix ending in ``*``) and day the price takes effect,
USD per 1M tokens, with ``COLUMNS``; ``OPTIONAL_COLUMNS`` name a service tier other than the
default one and a cache-write rate. Other columns are ignored.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .price_library import DEFAULT_TIER

COLUMNS = (
    "model",
    "effective_date",
    "input_usd_per_1m",
    "cached_input_usd_per_1m",
    "output_usd_per_1m",
    "source",
    "source_date",
)
OPTIONAL_COLUMNS = ("service_tier", "cache_write_usd_per_1m")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class PriceFileError(Exception):
    """A price file that cannot be used; the message is one line naming file and line."""


@dataclass(frozen=True, slots=True)
class PriceRow:
    """One validated row of a user's price file."""

    model: str
    effective_date: date
    input_usd_per_1m: float
    cached_input_usd_per_1m: float | None
    output_usd_per_1m: float
    source: str | None
    source_date: date | None
    service_tier: str = DEFAULT_TIER
    cache_write_usd_per_1m: float | None = None


def _number(name: str, text: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} {text!r} is not a finite number >= 0")
    return value


def _date(name: str, text: str) -> date | None:
    if not text:
        return None
    try:
        # fromisoformat alone also takes 20250101 and week dates; the CSV wants one spelling.
        if not _DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a date YYYY-MM-DD") from None


def _required[T](name: str, value: T | None) -> T:
    if value is None:
        raise ValueError(f"{name} is empty")
    return value


def _tier(text: str) -> str:
    if text == "auto":
        raise ValueError("service_tier auto is what a request asks for, not a rate: use default")
    return text or DEFAULT_TIER


def _row(record: dict[str | None, str | list[str] | None]) -> PriceRow:
    if record.get(None):
        raise ValueError("more fields than the header has")
    missing = [c for c in COLUMNS if record.get(c) is None]
    if missing:
        raise ValueError(f"no value for column {missing[0]} (fewer fields than the header)")
    cell = {c: str(record.get(c) or "").strip() for c in (*COLUMNS, *OPTIONAL_COLUMNS)}
    model = cell["model"]
    if not model:
        raise ValueError("model is empty")
    if "*" in model.rstrip("*") or model.endswith("**"):
        raise ValueError(f"model {model!r}: * may only end a prefix, once")
    return PriceRow(
        model=model,
        effective_date=_required("effective_date", _date("effective_date", cell["effective_date"])),
        input_usd_per_1m=_required(
            "input_usd_per_1m", _number("input_usd_per_1m", cell["input_usd_per_1m"])
        ),
        cached_input_usd_per_1m=_number("cached_input_usd_per_1m", cell["cached_input_usd_per_1m"]),
        output_usd_per_1m=_required(
            "output_usd_per_1m", _number("output_usd_per_1m", cell["output_usd_per_1m"])
        ),
        source=cell["source"] or None,
        source_date=_date("source_date", cell["source_date"]),
        service_tier=_tier(cell["service_tier"]),
        cache_write_usd_per_1m=_number("cache_write_usd_per_1m", cell["cache_write_usd_per_1m"]),
    )


def read_price_file(path: Path) -> list[PriceRow]:
    """Parse and check a whole file before anything is written, so a bad file changes nothing."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in reader.fieldnames or []]
            absent = [c for c in COLUMNS if c not in header]
            if absent:
                line = max(reader.line_num, 1)
                raise PriceFileError(f"{path}:{line}: header has no column {absent[0]}")
            reader.fieldnames = header
            rows: list[PriceRow] = []
            first_line: dict[tuple[str, date, str], int] = {}
            for record in reader:
                try:
                    row = _row(record)
                except ValueError as exc:
                    raise PriceFileError(f"{path}:{reader.line_num}: {exc}") from None
                key = (row.model, row.effective_date, row.service_tier)
                if key in first_line:
                    tier = "" if row.service_tier == DEFAULT_TIER else f" ({row.service_tier})"
                    raise PriceFileError(
                        f"{path}:{reader.line_num}: {row.model} {row.effective_date}{tier} "
                        f"is already priced on line {first_line[key]}"
                    )
                first_line[key] = reader.line_num
                rows.append(row)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        text = getattr(exc, "strerror", None) or str(exc)
        raise PriceFileError(f"{path}: {' '.join(str(text).split())}") from exc
    return rows
