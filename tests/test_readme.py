"""The README documents what the code does: its commands, findings codes and JSON fields."""

from __future__ import annotations

from addon.wire.findings import CODES

from .conftest import ROOT
from .test_cli_parse import REQUIRED_KEYS

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_finding_code_is_documented() -> None:
    for code, meaning in CODES.items():
        assert f"| `{code}` | {meaning} |" in README, code


def test_the_two_commands_and_the_json_fields_are_documented() -> None:
    assert "uv run respdeck parse recordings/" in README
    assert "uv run respdeck demo" in README
    assert "uv run pytest" in README
    for key in REQUIRED_KEYS:
        assert f"`{key}`" in README, key


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert '"${UV[@]}" run pytest\n' in ci and "sync --locked" in ci


def test_the_schema_section_matches_a_freshly_migrated_database() -> None:
    from addon.store.schema_doc import END, START, schema_markdown

    block = README.split(START, 1)[1].split(END, 1)[0].strip()
    assert block == schema_markdown(), (
        "README schema is stale: run `uv run python -m addon.store.schema_doc --write README.md`"
    )
