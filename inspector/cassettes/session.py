"""One test's cassette from start to end: what the `respdeck_cassette` fixture gives a test.

`start()` serves the cassette (replay), starts the recorder (record) or both behind a front
door (`new_episodes`), and in `none` mode installs the network guard. `finish(passed)` runs
once the test body is done: it collects misses and unplayed recordings, and in record mode
stores, checks for secrets and writes the cassette, returning the `Outcome` the plugin turns
into a failure, a report section and summary notes. `close()` stops whatever still runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .modes import Plan
from .recording import Upstream, base_url

if TYPE_CHECKING:
    from datetime import datetime

    from addon.wire.exchange import Exchange
    from inspector.replay import ReplayUpstream

    from .frontdoor import FrontDoor
    from .guard import NetworkGuard
    from .recording import Recorder, Recorders


@dataclass(frozen=True, slots=True)
class Settings:
    """What decides one test's cassette (marker arguments over command-line options)."""

    path: Path
    plan: Plan
    upstream: Upstream
    pace: float = 0.0
    ignore: tuple[str, ...] = ()
    strict: bool = False


@dataclass(slots=True)
class Outcome:
    """What a finished test's cassette says: `failures` fail it (one line each), `section`
    goes into its report (every failure with its explanation), `notes` into the summary."""

    failures: list[str] = field(default_factory=list)
    section: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _short(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class CassetteSession:
    """The cassette of one test. `base_url` is what clients use (OPENAI_BASE_URL is set to
    it); `path` the cassette file; `record_mode` the mode in force and `mode` what it does
    here: "replay", "record" or "replay+record"; `played` what was served from the
    cassette so far; `recorded` the cassette's exchanges (in record mode, once the test is
    done, those recorded)."""

    def __init__(self, settings: Settings, recorders: Recorders) -> None:
        self.settings = settings
        self.recorders = recorders
        self.path = settings.path
        self.record_mode = settings.plan.record_mode
        self.mode = settings.plan.action
        self.base_url = ""
        self.recorded: list[Exchange] = []
        self.server: ReplayUpstream | None = None
        self.recorder: Recorder | None = None  # the session's, while this test records
        self.since: datetime | None = None
        self.door: FrontDoor | None = None
        self.guard: NetworkGuard | None = None
        self.finished = False
        self._played: list[str] = []  # what was played, kept once the server stops

    @property
    def played(self) -> list[str]:
        from .replaying import played

        return played(self.server) if self.server is not None else self._played

    @property
    def replaying(self) -> bool:
        return self.settings.plan.replays

    def start(self) -> CassetteSession:
        """Start what the plan needs; on failure nothing is left running."""
        from . import cassette

        plan, s = self.settings.plan, self.settings
        try:
            if plan.replays:
                from . import replaying

                self.recorded = cassette.load(self.path) if self.path.exists() else []
                self.server = replaying.start(self.recorded, s.pace, s.ignore)
                self.base_url = base_url(self.server.url, s.upstream.base_path)
            if plan.records:
                self.recorder = self.recorders.get(s.upstream)
                self.since = self.recorder.begin()
                self.base_url = self.recorder.base_url
            if self.server is not None and self.recorder is not None:
                from .frontdoor import FrontDoor

                self.door = FrontDoor(self.server.url, self.recorder.address).start()
                self.base_url = base_url(self.door.url, s.upstream.base_path)
            if plan.offline:
                from .guard import NetworkGuard

                self.guard = NetworkGuard().install()
        except BaseException:
            self.close()
            raise
        return self

    def finish(self, passed: bool) -> Outcome:
        """What the test's cassette says now that its body has run (once)."""
        outcome = Outcome()
        if self.finished:
            return outcome
        self.finished = True
        if self.guard is not None:
            self.guard.uninstall()
            for attempt in self.guard.attempts:
                line = (
                    f"respdeck: record mode none refused a connection to {attempt}: a client "
                    "built before the fixture still holds the real URL?"
                )
                outcome.failures.append(line)
                outcome.section.append(line)
        if self.server is not None:
            self._replayed(outcome)
        if self.recorder is not None:
            self._recorded(outcome, passed)
        return outcome

    def _replayed(self, outcome: Outcome) -> None:
        from . import replaying

        assert self.server is not None
        where = _short(self.path)
        if self.door is None:  # in new_episodes a miss is recorded, not an error
            misses = replaying.misses(self.server)
            if misses:
                held = "" if self.path.exists() else " (no cassette: nothing to replay)"
                outcome.failures.append(
                    f"respdeck: {len(misses)} request(s) with no match in {where}{held}: "
                    f"{misses[0].summary}"
                )
                outcome.section.append(f"{len(misses)} request(s) with no match in {where}{held}")
                for miss in misses:
                    outcome.section += ["", miss.request, miss.explanation.rstrip()]
        unplayed = replaying.unplayed(self.server)
        if unplayed:
            line = f"{len(unplayed)} recording(s) never played in {where}: {', '.join(unplayed)}"
            outcome.section += ["", line] if outcome.section else [line]
            if self.settings.strict:
                outcome.failures.append(f"respdeck: {line} (--respdeck-strict)")
            else:
                outcome.notes.append(line)

    def _recorded(self, outcome: Outcome, passed: bool) -> None:
        from . import cassette

        assert self.recorder is not None and self.since is not None
        where = _short(self.path)
        if self.door is not None:  # nothing more goes to the recorder through it
            self.door.stop()
            self.door = None
        recorder, self.recorder = self.recorder, None
        new = list(recorder.collect(self.since))
        if not passed:
            outcome.notes.append(f"{where} not written: the test did not pass")
            return
        if not new:
            outcome.notes.append(f"{where} not written: the test made no request")
            return
        everything: list[Exchange] = (
            [*self.recorded, *new] if self.mode == "replay+record" else [*new]
        )
        data = cassette.render(everything)
        findings = cassette.secret_findings(new, data)
        if findings:
            more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
            line = f"respdeck: {where} not written: a secret is in the recording: {findings[0]}"
            outcome.failures.append(line + more)
            outcome.section += [line, *(f"  also {f}" for f in findings[1:])]
            return
        cassette.write(self.path, data)
        self.recorded = everything
        outcome.notes.append(f"recorded {len(new)} exchange(s) into {where}")

    def close(self) -> None:
        """Stop everything that still runs (idempotent)."""
        if self.guard is not None:
            self.guard.uninstall()
        if self.door is not None:
            self.door.stop()
            self.door = None
        if self.server is not None:
            self._played = self.played
            self.server.stop()
            self.server = None
        self.recorder = None  # the session's: it stops at the session's end
