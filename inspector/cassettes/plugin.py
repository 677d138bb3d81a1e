"""The `respdeck` pytest plugin: record a test's OpenAI traffic once, replay it offline.

    @pytest.mark.respdeck
    def test_haiku(respdeck_openai):
        assert respdeck_openai.responses.create(model="gpt-4.1-mini", input="...").output_text

Registered as the `pytest11` entry point `respdeck` (or `-p inspector.cassettes.plugin`). The
marker (arguments `cassette=`, `record_mode=`, `ignore=[paths]`, `pace=`) or the fixture
`respdeck_cassette` gives a test its cassette, `{test dir}/cassettes/{module}/{test}.yaml`;
`respdeck_openai` / `respdeck_async_openai` are SDK clients pointed at it. Options:
`--respdeck-record-mode`, `--respdeck-upstream`, `--respdeck-pace`, `--respdeck-strict`.

This module is the thin pytest side and imports nothing heavy: the replay server, the
recorder, DuckDB and openai load only when a test asks for a cassette.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import openai

    from .recording import Recorders
    from .session import CassetteSession, Outcome, Settings

MARKER = "respdeck"
DEFAULT_UPSTREAM = "https://api.openai.com/v1"
REPLAY_API_KEY = "respdeck-replay-no-key"  # what clients send a replay server (not a secret)
SESSION_KEY = pytest.StashKey["CassetteSession"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("respdeck", "respdeck cassettes (OpenAI Responses API)")
    group.addoption(
        "--respdeck-record-mode",
        choices=("none", "once", "new_episodes", "all"),
        default=None,
        help="none: replay only, no network; once: record a missing cassette (default; "
        "none when CI is set); new_episodes: record what the cassette lacks; all: re-record.",
    )
    group.addoption(
        "--respdeck-upstream",
        default=DEFAULT_UPSTREAM,
        metavar="URL",
        help=f"the API to record from (default {DEFAULT_UPSTREAM}); its key comes from "
        "OPENAI_API_KEY and is never written",
    )
    group.addoption(
        "--respdeck-pace",
        type=float,
        default=0.0,
        metavar="F",
        help="replay timing: 1 as recorded, 0 without waiting (default)",
    )
    group.addoption(
        "--respdeck-strict",
        action="store_true",
        help="fail a test whose cassette holds recordings it never played",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(cassette=None, record_mode=None, ignore=(), pace=None): record the test's "
        "OpenAI traffic into a cassette once, replay it offline after",
    )
    if not config.pluginmanager.has_plugin("respdeck-notes"):
        config.pluginmanager.register(Notes(), "respdeck-notes")


def _settings(request: pytest.FixtureRequest) -> Settings:
    """The test's cassette settings from its marker and the command line."""
    from . import cassette, modes
    from .recording import Upstream
    from .session import Settings as Chosen

    config, node = request.config, request.node
    marker = node.get_closest_marker(MARKER)
    given: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    unknown = set(given) - {"cassette", "record_mode", "ignore", "pace"}
    if unknown:
        raise ValueError(f"@pytest.mark.respdeck: unknown arguments {sorted(unknown)}")
    chosen = config.getoption("--respdeck-record-mode")
    session_mode = modes.parse_record_mode(chosen or modes.default_record_mode(os.environ))
    marked = given.get("record_mode")
    marked_mode = modes.parse_record_mode(str(marked)) if marked is not None else None
    # `none` (asked for, or CI's default) wins over a marker: CI never records.
    mode = marked_mode if marked_mode is not None and session_mode != "none" else session_mode
    test_file = Path(str(node.path))
    owner = getattr(node, "cls", None)
    default = cassette.default_path(test_file, node.name, owner.__name__ if owner else None)
    path = cassette.chosen_path(test_file, default, given.get("cassette"))
    pace = given.get("pace")
    return Chosen(
        path=path,
        plan=modes.plan(mode, path.exists()),
        upstream=Upstream.parse(config.getoption("--respdeck-upstream")),
        pace=float(pace if pace is not None else config.getoption("--respdeck-pace")),
        ignore=tuple(given.get("ignore") or ()),
        strict=bool(config.getoption("--respdeck-strict")),
    )


@pytest.fixture(scope="session")
def _respdeck_recorders() -> Iterator[Recorders]:
    """The session's recorders (per xdist worker): started by the first test that records."""
    from .recording import Recorders

    recorders = Recorders()
    try:
        yield recorders
    finally:
        recorders.stop()


@pytest.fixture
def respdeck_cassette(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    _respdeck_recorders: Recorders,
) -> Iterator[CassetteSession]:
    """The test's cassette, served (or recorded) on 127.0.0.1; OPENAI_BASE_URL points at it
    for the test, and OPENAI_API_KEY is a dummy when nothing reaches the upstream."""
    from addon.importers import ImportFailure

    from .recording import RecordingError
    from .session import CassetteSession

    try:
        session = CassetteSession(_settings(request), _respdeck_recorders).start()
    except (ValueError, ImportFailure, RecordingError) as exc:  # one line, not a traceback
        pytest.fail(f"respdeck: {exc}", pytrace=False)
    settings = session.settings
    request.node.stash[SESSION_KEY] = session
    monkeypatch.setenv("OPENAI_BASE_URL", session.base_url)
    if not settings.plan.records:
        monkeypatch.setenv("OPENAI_API_KEY", REPLAY_API_KEY)
    try:
        yield session
    finally:
        session.close()


@pytest.fixture(autouse=True)
def _respdeck_marker(request: pytest.FixtureRequest) -> None:
    """`@pytest.mark.respdeck` alone gives a test its cassette (no fixture argument needed)."""
    if request.node.get_closest_marker(MARKER) is not None:
        request.getfixturevalue("respdeck_cassette")


@pytest.fixture
def respdeck_openai(respdeck_cassette: CassetteSession) -> Iterator[openai.OpenAI]:
    """An `openai.OpenAI` client pointed at the test's cassette (no retries: a miss is final)."""
    import openai

    with openai.OpenAI(base_url=respdeck_cassette.base_url, max_retries=0) as client:
        yield client


@pytest.fixture
def respdeck_async_openai(respdeck_cassette: CassetteSession) -> openai.AsyncOpenAI:
    """An `openai.AsyncOpenAI` client pointed at the test's cassette. A plain fixture, so it
    serves any async test runner (anyio, pytest-asyncio, `asyncio.run` in a sync test); its
    connections belong to the test's event loop and end with it."""
    import openai

    return openai.AsyncOpenAI(base_url=respdeck_cassette.base_url, max_retries=0)


def _report(item: pytest.Item, outcome: Outcome) -> None:
    if outcome.section:
        item.add_report_section("call", "respdeck", "\n".join(outcome.section))
    for note in outcome.notes:
        item.user_properties.append((MARKER, note))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """After the test body: misses and secrets fail it, even if the client swallowed them."""
    session = item.stash.get(SESSION_KEY, None)
    if session is None:
        return (yield)
    from .recording import RecordingError
    from .session import Outcome as Finished

    try:
        result = yield
    except BaseException:
        try:
            outcome = session.finish(passed=False)
        except RecordingError as exc:  # the test's own failure comes first
            outcome = Finished(section=[f"respdeck: {exc}"])
        _report(item, outcome)  # its section says what else went wrong
        raise
    try:
        outcome = session.finish(passed=True)
    except RecordingError as exc:
        pytest.fail(f"respdeck: {exc}", pytrace=False)
    _report(item, outcome)
    if outcome.failures:
        pytest.fail("\n".join(outcome.failures), pytrace=False)
    return result


class Notes:
    """What the session's cassettes say besides failures (recorded, never played), shown in
    the summary. Fed from each report, so with pytest-xdist they reach the controller."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.lines += [
                f"{report.nodeid}: {v}" for k, v in report.user_properties if k == MARKER
            ]

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.lines:
            terminalreporter.section("respdeck")
            for line in self.lines:
                terminalreporter.write_line(line)
