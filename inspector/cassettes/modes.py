"""Record modes, as VCR.py means them, decided as pure functions.

- `none`: replay only; a request the cassette lacks is a miss, and the network is off limits.
- `once`: replay the cassette if it exists, else record one.
- `new_episodes`: replay what the cassette has, record what it lacks, append it.
- `all`: record everything again, the cassette rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

RecordMode = Literal["none", "once", "new_episodes", "all"]
RECORD_MODES: tuple[RecordMode, ...] = ("none", "once", "new_episodes", "all")

# What a test does with its cassette: serve it, record a new one, or both (new_episodes).
Action = Literal["replay", "record", "replay+record"]


@dataclass(frozen=True, slots=True)
class Plan:
    """What one test does: its mode, its action, and whether the network is refused."""

    record_mode: RecordMode
    action: Action
    offline: bool  # `none`: any connection to a non-loopback host fails the test

    @property
    def replays(self) -> bool:
        return self.action != "record"

    @property
    def records(self) -> bool:
        return self.action != "replay"


def default_record_mode(env: Mapping[str, str]) -> RecordMode:
    """`once`, or `none` on CI (the `CI` variable set, to anything but empty): CI never
    records, so a test that would reach the API fails instead."""
    return "none" if env.get("CI") else "once"


def parse_record_mode(value: str) -> RecordMode:
    """`value` as a record mode; ValueError naming the valid ones otherwise."""
    for mode in RECORD_MODES:
        if value == mode:
            return mode
    raise ValueError(f"bad record mode {value!r}: one of {', '.join(RECORD_MODES)}")


def plan(record_mode: RecordMode, cassette_exists: bool) -> Plan:
    """What a test in `record_mode` does, given whether its cassette is on disk."""
    if record_mode == "none":
        return Plan(record_mode, "replay", offline=True)
    if record_mode == "once":
        return Plan(record_mode, "replay" if cassette_exists else "record", offline=False)
    if record_mode == "new_episodes":
        return Plan(record_mode, "replay+record" if cassette_exists else "record", offline=False)
    return Plan(record_mode, "record", offline=False)
