"""Model prices, so cost can be computed in SQL instead of guessed in Python.

The shipped ``prices.csv`` is a snapshot of OpenAI's public standard-tier list prices (USD per
1M tokens) as this release knew them; every row names the page and the date it was taken from.
It goes stale: users override or extend it with their own file in the same columns. A model
with no price row gets a NULL cost, never a guess, which is why the shipped list holds exact
model ids only (a prefix such as ``gpt-4o*`` would also price ``gpt-4o-realtime-preview``).

Flex, priority and batch tiers, and per-call tool fees, are not in the list.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

PRICES_CSV = Path(__file__).with_name("prices.csv")

COLUMNS = (
    "model",
    "effective_date",
    "input_usd_per_1m",
    "cached_input_usd_per_1m",
    "output_usd_per_1m",
    "source",
    "source_date",
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class PriceFileError(Exception):
    """A price file that cannot be used; the message is one line naming file and line."""


@dataclass(frozen=True, slots=True)
class PriceRow:
    """One validated CSV row, in the column order of the ``prices`` table."""

    model: str
    effective_date: date
    input_usd_per_1m: float
    cached_input_usd_per_1m: float | None
    output_usd_per_1m: float
    source: str | None
    source_date: date | None


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


def _row(record: dict[str | None, str | list[str] | None]) -> PriceRow:
    if record.get(None):
        raise ValueError("more fields than the header has")
    missing = [c for c in COLUMNS if record.get(c) is None]
    if missing:
        raise ValueError(f"no value for column {missing[0]} (fewer fields than the header)")
    cell = {c: str(record[c]).strip() for c in COLUMNS}
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
            first_line: dict[tuple[str, date], int] = {}
            for record in reader:
                try:
                    row = _row(record)
                except ValueError as exc:
                    raise PriceFileError(f"{path}:{reader.line_num}: {exc}") from None
                key = (row.model, row.effective_date)
                if key in first_line:
                    raise PriceFileError(
                        f"{path}:{reader.line_num}: {row.model} {row.effective_date} "
                        f"is already priced on line {first_line[key]}"
                    )
                first_line[key] = reader.line_num
                rows.append(row)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        text = getattr(exc, "strerror", None) or str(exc)
        raise PriceFileError(f"{path}: {' '.join(str(text).split())}") from exc
    return rows


def load_prices(conn: duckdb.DuckDBPyConnection, user_file: Path | None = None) -> int:
    """Refill ``prices``: shipped rows, then the user's, a user row replacing the shipped one
    with the same (model, effective_date). One transaction; returns the rows now in the table."""
    shipped = read_price_file(PRICES_CSV)
    user = read_price_file(user_file) if user_file is not None else []
    insert = f"INSERT INTO prices ({', '.join(COLUMNS)}, origin) VALUES ({', '.join('?' * 8)})"
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("DELETE FROM prices")
        for origin, rows in (("shipped", shipped), ("user", user)):
            if rows:
                conn.executemany(
                    insert,
                    [[*(getattr(r, c) for c in COLUMNS), origin] for r in rows],
                )
        conn.execute("""
            DELETE FROM prices s WHERE s.origin = 'shipped' AND EXISTS (
                SELECT 1 FROM prices u WHERE u.origin = 'user'
                  AND u.model = s.model AND u.effective_date = s.effective_date)
        """)
        (count,) = conn.execute("SELECT count(*) FROM prices").fetchone() or (0,)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return int(count)


def price_join_sql(model_expr: str, time_expr: str) -> str:
    """A correlated query picking the one price row for ``model_expr`` at ``time_expr``.

    Use it as ``LEFT JOIN LATERAL (<this>) pr ON true``; the expressions must be qualified
    (``u.model``), since a bare ``model`` would bind to ``prices.model`` inside. An exact id beats
    a prefix, a longer prefix beats a shorter one, then the newest row in effect on the UTC day
    of ``time_expr`` (a TIMESTAMPTZ) wins; a NULL time takes the newest row. Columns that would
    clash with the row's own are renamed ``price_*``.
    """
    m, t = model_expr, time_expr
    return f"""
        SELECT p.model AS price_model, p.effective_date AS price_effective_date,
               p.input_usd_per_1m, p.cached_input_usd_per_1m, p.output_usd_per_1m,
               p.source AS price_source, p.source_date AS price_source_date,
               p.origin AS price_origin
        FROM prices p
        WHERE (p.model = {m}
               OR (ends_with(p.model, '*') AND starts_with({m}, rtrim(p.model, '*'))))
          AND ({t} IS NULL
               OR p.effective_date <= CAST(timezone('UTC', CAST({t} AS TIMESTAMPTZ)) AS DATE))
        ORDER BY (p.model = {m}) DESC, length(p.model) DESC, p.effective_date DESC
        LIMIT 1
    """


# The fragment for a row source aliased ``u`` with columns ``model`` and ``started_at``.
PRICE_MATCH_SQL = price_join_sql("u.model", "u.started_at")


def cost_usd_sql(
    input_tokens: str, cached_tokens: str, output_tokens: str, price: str = "pr"
) -> str:
    """The USD cost of one response as a SQL expression over a joined price row ``price``.

    ``input_tokens`` includes the cached ones, which are billed once, at the cached rate (the
    input rate when the model has none); ``output_tokens`` already includes reasoning tokens.
    No price row, or a NULL token count other than cached, gives NULL, never 0.
    """
    cached = f"coalesce({cached_tokens}, 0)"
    p = price
    return (
        f"((({input_tokens}) - {cached}) * {p}.input_usd_per_1m"
        f" + {cached} * coalesce({p}.cached_input_usd_per_1m, {p}.input_usd_per_1m)"
        f" + ({output_tokens}) * {p}.output_usd_per_1m) / 1e6"
    )
