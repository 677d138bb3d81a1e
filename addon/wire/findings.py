"""Findings: what is odd or wrong about an exchange, each with a stable code and a place.

Findings are data, not failures: parsing never stops at one. Codes are stable so that users can
query them (`respdeck check`, SQL over the findings table).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"  # the traffic is broken or the model's answer is lost/inconsistent
    WARNING = "warning"  # the traffic deviates from the documented wire format
    INFO = "info"  # worth knowing, harmless


# Every code a finding can have, with what it means (README and `respdeck check` list these).
CODES: dict[str, str] = {
    "schema_mismatch": "a payload failed openai's strict validation; built leniently",
    "field_omitted": "a field the openai SDK calls required that real traffic leaves out",
    "unknown_type": "an event or item type that no openai model knows; kept raw",
    "json_invalid": "a body or SSE data payload that is not valid JSON",
    "sequence_gap": "sequence_number skipped values",
    "sequence_duplicate": "the same sequence_number twice",
    "sequence_reorder": "a sequence_number lower than the one before",
    "sequence_missing": "an event without sequence_number",
    "no_terminal_event": "a stream that ended without completed/failed/incomplete",
    "event_after_terminal": "events after the terminal event",
    "delta_mismatch": "deltas that do not concatenate to the .done value",
    "item_done_mismatch": "output_item.done differs from what its deltas built",
    "item_id_changed": "an item's id changed between the stream and the final response",
    "item_id_duplicate": "two output items of one response share an id",
    "final_output_mismatch": "the terminal event's output differs from the streamed items",
    "usage_missing": "a finished response without usage",
    "stream_error": "an error event inside a stream",
    "http_error": "an HTTP error status",
    "body_decode_error": "the Content-Encoding could not be decoded (truncated or corrupt)",
    "encoding_mismatch": "a Content-Encoding header over a body that is not encoded",
    "unsupported_encoding": "a Content-Encoding respdeck cannot decode",
    "content_type_mismatch": "the body is not what its Content-Type says",
    "empty_body": "a response without a body where one was expected",
    "no_response": "a request with no recorded response",
    "sse_unterminated": "the stream ended inside an event (no final blank line)",
    "sse_missing_blank_line": "SSE events not separated by a blank line",
    "sse_line_too_long": "an SSE line over 32 MiB, cut (garbage without line breaks)",
    "not_json": "a body that should be JSON but is not",
    "response_failed": "the response finished with status failed",
    "response_incomplete": "the response finished with status incomplete",
    "parser_error": "respdeck's parser failed on this exchange (a bug: its raw bytes are kept)",
    "aborted": "the exchange did not finish: a connection closed or the recorder stopped",
    "closed_after_end": "a connection closed after the response was complete (not an abort)",
}


@dataclass(slots=True)
class Finding:
    code: str
    severity: Severity
    message: str
    event_index: int | None = None
    sequence_number: int | None = None
    path: str | None = None  # e.g. request.input[3], response.output[0]

    @property
    def where(self) -> str:
        parts = []
        if self.event_index is not None:
            parts.append(f"event {self.event_index}")
        if isinstance(self.sequence_number, int):
            parts.append(f"seq {self.sequence_number}")
        if self.path:
            parts.append(self.path)
        return ", ".join(parts) or "exchange"

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "where": self.where,
            "event_index": self.event_index,
            "sequence_number": self.sequence_number,
            "path": self.path,
        }


MAX_LISTED = 10  # per code and exchange; the rest is counted in one more finding


def check_sequence(numbers: list[tuple[int, Any]]) -> list[Finding]:
    """Gaps, duplicates, reordering and absence of sequence_number over (event_index, seq)."""
    seqs = [seq for _, seq in numbers]
    if seqs and type(seqs[0]) is int and seqs == list(range(seqs[0], seqs[0] + len(seqs))):
        return []  # the usual case: consecutive, checked at C speed
    out: list[Finding] = []
    counts: dict[str, int] = {}

    def note(code: str, message: str, index: int, seq: int) -> None:
        counts[code] = counts.get(code, 0) + 1
        if counts[code] <= MAX_LISTED:
            out.append(Finding(code, Severity.WARNING, message, index, seq))

    seen: set[int] = set()
    last: int | None = None
    missing: list[int] = []
    for index, seq in numbers:
        if not isinstance(seq, int) or isinstance(seq, bool):
            missing.append(index)
            continue
        if seq in seen:
            note("sequence_duplicate", f"sequence_number {seq} seen before", index, seq)
        elif last is not None and seq < last:
            note("sequence_reorder", f"sequence_number {seq} after {last}", index, seq)
        elif last is not None and seq > last + 1:
            note("sequence_gap", f"sequence_number jumps from {last} to {seq}", index, seq)
        seen.add(seq)
        last = seq if last is None else max(last, seq)
    for code, count in counts.items():
        if count > MAX_LISTED:
            out.append(
                Finding(code, Severity.WARNING, f"{count - MAX_LISTED} more {code} not listed")
            )
    if missing:
        out.append(
            Finding(
                "sequence_missing",
                Severity.WARNING,
                f"{len(missing)} event(s) without an integer sequence_number",
                missing[0],
            )
        )
    return out
