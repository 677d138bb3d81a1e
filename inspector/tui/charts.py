"""Bar charts drawn with block characters (pure functions over numbers)."""

from __future__ import annotations

from collections.abc import Sequence

EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: float, maximum: float, width: int) -> str:
    """A horizontal bar of `width` cells for value / maximum, in eighths of a cell."""
    if maximum <= 0 or value <= 0 or width <= 0:
        return ""
    eighths = round(min(value / maximum, 1.0) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")) or "▏"


def bars(labels: Sequence[str], values: Sequence[float | None], width: int) -> list[str]:
    """One line per label: label, bar scaled to the largest value."""
    numbers = [v or 0.0 for v in values]
    top = max(numbers, default=0.0)
    pad = max((len(label) for label in labels), default=0)
    return [
        f"{label.ljust(pad)} {bar(v, top, width)}" for label, v in zip(labels, numbers, strict=True)
    ]
