"""Ruby VCR and R vcr cassettes (`http_interactions:`), YAML or JSON.

Bodies are `{encoding, string}` or, for bytes that are not valid text, `{encoding,
base64_string}`; psych may also write them as `!binary` scalars, which the YAML loader turns
into bytes. R's vcr writes the status as `{status_code: '200'}` instead of `{code: 200}`.
"""

from __future__ import annotations

from typing import Any

from addon.importers._common import as_list
from addon.importers.vcrpy import read_interaction
from addon.wire.exchange import Exchange


def is_cassette(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("http_interactions"), list)


def read_cassette(doc: dict[str, Any]) -> list[Exchange]:
    """Each interaction reads as VCR.py's: bodies and statuses are handled there."""
    interactions = as_list(doc.get("http_interactions"))
    return [ex for ex in map(read_interaction, interactions) if ex is not None]
