"""Collects findings while an exchange is parsed, folding repeats into one finding each.

A stream of 500 deltas that all lack `logprobs` is one schema_mismatch finding with a count,
not 500. A field real traffic leaves out (addon/wire/omitted.py) is one info finding per
exchange and path, wherever it was missing: every response of a WebSocket exchange, the
terminal event and the body of an HTTP one alike.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .findings import Finding, Severity
from .lenient import Typed

if TYPE_CHECKING:
    from .verdicts import Verdict
from .omitted import usually_omitted


@dataclass
class _Group:
    count: int
    first: Finding
    fields: dict[str, None] = field(default_factory=dict)


class Collector:
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.unknown_types: Counter[str] = Counter()
        self._mismatch: dict[str, _Group] = {}
        self._unknown: dict[str, _Group] = {}
        self._omitted: dict[str, _Group] = {}  # by side and path in the payload

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def fork(self) -> Collector:
        """A copy to add to and `finish` while this one goes on: `finish` writes the counts
        into each group's finding, so a stream shown in flight finishes a fork, never the
        collector its later events are noted in."""
        other = Collector()
        other.findings = list(self.findings)
        other.unknown_types = Counter(self.unknown_types)
        for mine, theirs in (
            (self._mismatch, other._mismatch),
            (self._unknown, other._unknown),
            (self._omitted, other._omitted),
        ):
            for key, group in mine.items():
                theirs[key] = _Group(group.count, replace(group.first), dict(group.fields))
        return other

    def typed(
        self,
        label: str,
        typed: Typed | Verdict,
        what: str,
        event_index: int | None = None,
        sequence_number: int | None = None,
        path: str | None = None,
    ) -> None:
        """Note what building one payload revealed.

        `label` groups schema mismatches (an event type, `request.input`...); `what` says what
        kind of thing an unknown type was (event, input item, output item...).
        """
        if not typed.unknown and not typed.mismatches and not typed.missing:
            return
        in_request = label.startswith("request")
        absent: list[str] = []
        for missing in typed.missing:
            if not usually_omitted(missing.field, in_request):
                absent.append(f"{missing.path} (missing)")
                continue
            key = f"{in_request}:{missing.path}"
            group = self._omitted.get(key)
            if group is None:
                who = "clients" if in_request else "servers"
                self._omitted[key] = _Group(
                    1,
                    Finding(
                        "field_omitted",
                        Severity.INFO,
                        f"{label}: {missing.path} absent ({missing.field}: the openai SDK "
                        f"requires it, real {who} leave it out)",
                        event_index,
                        sequence_number,
                        path,
                    ),
                )
            else:
                group.count += 1
        for unknown in typed.unknown:
            self.unknown_types[unknown] += 1
            key = f"{what}:{unknown}"
            group = self._unknown.get(key)
            if group is None:
                self._unknown[key] = _Group(
                    1,
                    Finding(
                        "unknown_type",
                        Severity.INFO,
                        f"unknown type {unknown!r} in {what} {label}",
                        event_index,
                        sequence_number,
                        path,
                    ),
                )
            else:
                group.count += 1
        if typed.mismatches or absent:
            group = self._mismatch.get(label)
            if group is None:
                group = self._mismatch[label] = _Group(
                    0,
                    Finding(
                        "schema_mismatch", Severity.WARNING, "", event_index, sequence_number, path
                    ),
                )
            group.count += 1
            group.fields.update(dict.fromkeys(typed.mismatches + absent))

    def finish(self) -> list[Finding]:
        out = list(self.findings)
        for label, group in self._mismatch.items():
            fields = list(group.fields)
            shown = ", ".join(fields[:6]) + (
                f", +{len(fields) - 6} more" if len(fields) > 6 else ""
            )
            times = f" in {group.count} payloads" if group.count > 1 else ""
            group.first.message = f"{label}: {shown}{times}"
            out.append(group.first)
        for group in [*self._unknown.values(), *self._omitted.values()]:
            if group.count > 1:
                group.first.message += f" ({group.count} times)"
            out.append(group.first)
        return out
