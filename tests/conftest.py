"""Shared fixtures: the external corpus (skipped when absent) and the shipped recordings."""

from __future__ import annotations

from pathlib import Path

import pytest

from addon.importers import iter_paths, load_file
from addon.wire.parse import parse_exchange
from addon.wire.result import ParsedExchange

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
RECORDINGS = ROOT / "recordings"


def parse_folder(folder: Path) -> list[ParsedExchange]:
    return [parse_exchange(ex) for path in iter_paths([folder]) for ex in load_file(path)]


@pytest.fixture(scope="session")
def corpus_parsed() -> list[ParsedExchange]:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus not present: corpus tests skipped")
    return parse_folder(CORPUS)


@pytest.fixture(scope="session")
def recordings_parsed() -> list[ParsedExchange]:
    return parse_folder(RECORDINGS)


# Figures the corpus tests measured, shown at the end of every run (not only with -s).
REPORT: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("respdeck corpus report")
        for key, value in REPORT.items():
            terminalreporter.write_line(f"{key}: {value}")
