"""The layout is the architecture: who may import mitmproxy and textual."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Only the addon's hooks import mitmproxy; the journal, spool and ingester are plain Python.
MITMPROXY_ALLOWED = {"addon/recorder/hooks.py"}


def imported_top_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def mitmproxy_allowed(path: Path) -> bool:
    r = rel(path)
    return any(r == a or r.startswith(a + "/") for a in MITMPROXY_ALLOWED)


@pytest.mark.parametrize("path", sources("addon"), ids=rel)
def test_addon_core_imports_neither_textual_nor_mitmproxy(path: Path) -> None:
    imported = imported_top_modules(path)
    assert "textual" not in imported
    assert "inspector" not in imported, "the capture side must not depend on the read side"
    if not mitmproxy_allowed(path):
        assert "mitmproxy" not in imported


@pytest.mark.parametrize("path", sources("inspector"), ids=rel)
def test_inspector_never_imports_mitmproxy(path: Path) -> None:
    assert "mitmproxy" not in imported_top_modules(path)


def test_the_check_itself_catches_an_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import mitmproxy.http\nfrom textual.app import App\n")
    assert {"mitmproxy", "textual"} <= imported_top_modules(bad)


def test_wire_core_loads_without_mitmproxy_or_textual() -> None:
    """Importing the core in a fresh interpreter pulls in neither library."""
    import subprocess
    import sys

    code = (
        "import sys, addon.wire.parse, addon.importers, inspector.cli\n"
        "import addon.recorder.ingest_main, addon.recorder.spool, inspector.commands.record\n"
        "bad = [m for m in ('mitmproxy', 'textual') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
