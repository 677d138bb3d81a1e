"""The final response of an exchange: its output items, usage, status and error."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .collect import Collector
from .findings import Finding, Severity
from .items import record, type_items
from .lenient import Typed
from .result import ErrorInfo, ItemRecord, ParsedExchange, usage_of

__all__ = ["output_records", "set_response", "text_of", "usage_of"]


def set_response(
    parsed: ParsedExchange, raw: dict[str, Any], model: BaseModel, collector: Collector
) -> None:
    """Record the final response: its output items, usage, status and error."""
    parsed.response = model
    parsed.response_raw = raw
    output = raw.get("output")
    if isinstance(output, list):
        records = output_records(output, model)
        parsed.items.extend(records)
        ids = [r.id for r in records if r.id]
        if len(ids) != len(set(ids)):
            twice = sorted({i for i in ids if ids.count(i) > 1})
            collector.add(
                Finding(
                    "item_id_duplicate",
                    Severity.WARNING,
                    f"output items share ids: {', '.join(twice)[:200]}",
                    path="response.output",
                )
            )
    parsed.usage = usage_of(raw.get("usage"))
    status = raw.get("status")
    if parsed.usage is None and (
        status == "completed" or raw.get("object") == "response.compaction"
    ):
        collector.add(
            Finding(
                "usage_missing",
                Severity.WARNING,
                "a finished response without usage",
                path="response.usage",
            )
        )
    if status == "failed":
        error = raw.get("error") if isinstance(raw.get("error"), dict) else {}
        parsed.error = parsed.error or ErrorInfo(
            "response", text_of(error, "message"), text_of(error, "code")
        )
        collector.add(
            Finding(
                "response_failed",
                Severity.ERROR,
                f"response failed: {text_of(error, 'code') or 'no error code'}",
            )
        )
    elif status == "incomplete" and not parsed.partial:
        details = raw.get("incomplete_details")
        reason = text_of(details, "reason") if isinstance(details, dict) else None
        collector.add(
            Finding(
                "response_incomplete",
                Severity.INFO,
                f"response incomplete: {reason or 'no reason given'}",
            )
        )


def output_records(output: list[Any], model: BaseModel) -> list[ItemRecord]:
    """Records for a response's output items, reusing the item models already built."""
    models = getattr(model, "output", None)
    if isinstance(models, list) and len(models) == len(output):
        return [
            record("output", i, Typed(m, []), raw)
            for i, (m, raw) in enumerate(zip(models, output, strict=True))
        ]
    return type_items(output, "output", "output")[0]


def text_of(data: Any, key: str) -> str | None:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None
