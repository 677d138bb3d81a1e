"""The layout is the architecture: one table says which layer may import which.

Every module under addon/ and inspector/ is parsed and each import in it (top-level or lazy
inside a function, absolute or relative, or `importlib.import_module("...")` with a literal) is
mapped to a layer; an import of a layer the table does not allow fails the test. Modules
outside the project and the table (the standard library, most dependencies) are free to all;
mitmproxy and textual are layers of their own because who may load them is the point.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("addon", "inspector")

# Dotted-name prefix -> layer; the longest matching prefix wins.
LAYER_OF_PREFIX: dict[str, str] = {
    "addon": "addon",  # the package itself (its __init__)
    "addon.atomic": "shared",
    "addon.ports": "shared",
    "addon.wire": "wire",
    "addon.importers": "importers",
    "addon.exporters": "exporters",
    "addon.store": "store",
    "addon.recorder": "recorder",
    "addon.recorder.hooks": "hooks",  # the mitmproxy addon: the one module that imports it
    "inspector": "inspector",  # cli, __main__ and the package itself
    "inspector.commands": "commands",
    "inspector.tui": "tui",
    "inspector.replay": "replay",
    "inspector.diff": "diff",
    "inspector.cassettes": "cassettes",
    "inspector.resend": "resend",
    "mitmproxy": "mitmproxy",
    "textual": "textual",
}

# The capture side's core, usable by every project layer.
_CORE = {"shared", "wire", "importers", "exporters", "store"}

# layer -> the layers it may import (its own layer is always allowed).
MAY_IMPORT: dict[str, set[str]] = {
    "shared": set(),  # addon/atomic.py and addon/ports.py: standard library only
    "addon": {"shared"},
    "wire": {"shared"},  # nothing of store, recorder or importers
    "importers": {"shared", "wire"},  # nothing of store or recorder
    "exporters": {"shared", "wire", "importers"},  # pure over Exchanges: nothing of store
    "store": {"shared", "wire", "importers"},  # nothing of recorder
    "recorder": {*_CORE, "hooks"},  # the parent side names the addon's script path
    "hooks": {*_CORE, "recorder", "mitmproxy"},  # only here: mitmproxy
    # The read side: all of the capture core and recorder, never mitmproxy (nor, through
    # hooks, transitively).
    "inspector": {*_CORE, "addon", "recorder", "commands", "tui", "replay", "diff", "textual"},
    "commands": {
        *_CORE,
        "addon",
        "recorder",
        "inspector",
        "tui",
        "replay",
        "diff",
        "resend",
        "textual",
    },
    "tui": {*_CORE, "addon", "recorder", "inspector", "replay", "diff", "resend", "textual"},
    # the replay server matches and explains misses by the diff's definitions
    "replay": {*_CORE, "addon", "recorder", "inspector", "diff"},
    # pure comparison over the store's sides: no UI, no commands, no recorder, no replay
    "diff": {*_CORE, "addon"},
    # sending recorded requests again: the recorder's capture code, the store, the diff; no UI
    "resend": {*_CORE, "addon", "recorder", "diff"},
    # the pytest plugin: replay server and recorder, no UI, no commands
    "cassettes": {*_CORE, "addon", "recorder", "replay", "inspector"},
}


def layer_of(module: str) -> str | None:
    """The layer of a dotted module name, or None when the table does not govern it."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        layer = LAYER_OF_PREFIX.get(".".join(parts[:n]))
        if layer is not None:
            return layer
    return None


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_project_module(dotted: str, root: Path) -> bool:
    base = root.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imported_modules(path: Path, root: Path = ROOT) -> Iterator[tuple[int, str]]:
    """(line, absolute dotted name) of every import anywhere in the file.

    `from .. import store` names `addon.store` (a submodule), `from ..store import x` names
    `addon.store`; `from . import x` in a package resolves against that package.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield node.lineno, sub if _is_project_module(sub, root) else base
        elif (
            isinstance(node, ast.Call)
            and _dotted(node.func) in ("importlib.import_module", "import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _dotted(expr: ast.expr) -> str:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return f"{_dotted(expr.value)}.{expr.attr}"
    return ""


def violations(path: Path, root: Path = ROOT) -> list[str]:
    """Each import in `path` that the table forbids, as 'file:line: layer -> target (layer)'."""
    own = layer_of(module_name(path, root))
    assert own is not None, f"{path} is in no layer: add it to LAYER_OF_PREFIX"
    allowed = MAY_IMPORT[own] | {own}
    where = path.relative_to(root).as_posix()
    found: dict[str, None] = {}  # ordered and once each (`from x import a, b` is one line)
    for line, target in imported_modules(path, root):
        layer = layer_of(target)
        if layer is not None and layer not in allowed:
            found[f"{where}:{line}: {own} -> {target} ({layer})"] = None
    return list(found)


def sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_every_layer_has_a_row() -> None:
    layers = set(LAYER_OF_PREFIX.values()) - {"mitmproxy", "textual"}
    assert layers == set(MAY_IMPORT)
    assert all(targets <= set(LAYER_OF_PREFIX.values()) for targets in MAY_IMPORT.values())


@pytest.mark.parametrize("path", sources(), ids=rel)
def test_module_imports_only_what_its_layer_may(path: Path) -> None:
    assert violations(path) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        file = tmp_path / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_checker_catches_forbidden_imports(tmp_path: Path) -> None:
    """A relative import, a lazy one inside a function and an import_module call are all seen;
    allowed imports in the same file are not reported."""
    root = _tree(
        tmp_path,
        {
            "addon/__init__.py": "",
            "addon/atomic.py": "",
            "addon/store/__init__.py": "",
            "addon/store/db.py": "",
            "addon/recorder/__init__.py": "",
            "addon/wire/__init__.py": "",
            "addon/wire/bad.py": (
                "import json\n"
                "from .. import atomic\n"
                "from . import sibling\n"
                "from ..store import db\n"
                "def later():\n"
                "    from addon.recorder import journal\n"
                "    import textual.app\n"
                "import importlib\n"
                "importlib.import_module('mitmproxy.http')\n"
            ),
            "addon/wire/sibling.py": "",
            "inspector/__init__.py": "",
            "inspector/tui/__init__.py": "",
            "inspector/tui/bad.py": "from ..commands import record\nfrom .. import commands\n",
            "inspector/commands/__init__.py": "",
        },
    )
    assert violations(root / "addon/wire/bad.py", root) == [
        "addon/wire/bad.py:4: wire -> addon.store.db (store)",
        "addon/wire/bad.py:6: wire -> addon.recorder (recorder)",
        "addon/wire/bad.py:7: wire -> textual.app (textual)",
        "addon/wire/bad.py:9: wire -> mitmproxy.http (mitmproxy)",
    ]
    assert violations(root / "inspector/tui/bad.py", root) == [
        "inspector/tui/bad.py:1: tui -> inspector.commands (commands)",
        "inspector/tui/bad.py:2: tui -> inspector.commands (commands)",
    ]


def test_relative_imports_resolve_against_their_package(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {"addon/__init__.py": "", "addon/store/__init__.py": "from ..wire import x\n"},
    )
    assert [t for _, t in imported_modules(root / "addon/store/__init__.py", root)] == [
        "addon.wire"
    ]


def test_the_table_encodes_the_rules() -> None:
    """The architecture's rules, spelled out against the table itself."""

    def may(a: str, b: str) -> bool:
        return b in MAY_IMPORT[a] | {a}

    assert not any(may("wire", x) for x in ("store", "recorder", "importers", "hooks"))
    assert not any(may("importers", x) for x in ("store", "recorder", "hooks"))
    assert not may("store", "recorder") and not may("store", "hooks")
    assert not may("tui", "commands")
    assert not any(may("exporters", x) for x in ("store", "recorder", "hooks"))
    assert not any(may("diff", x) for x in ("tui", "commands", "recorder", "textual"))
    addon_layers = {
        "addon", "shared", "wire", "importers", "exporters", "store", "recorder", "hooks",
    }  # fmt: skip
    inspector_layers = set(MAY_IMPORT) - addon_layers
    for layer in addon_layers:
        assert not MAY_IMPORT[layer] & (inspector_layers | {"textual"})
        assert may(layer, "shared")
    assert [layer for layer in MAY_IMPORT if may(layer, "mitmproxy")] == ["hooks"]
    for layer in inspector_layers:
        assert may(layer, "shared") and not may(layer, "mitmproxy") and not may(layer, "hooks")


def test_wire_core_loads_without_mitmproxy_or_textual() -> None:
    """Importing the core in a fresh interpreter pulls in neither library."""
    code = (
        "import sys, addon.wire.parse, addon.importers, inspector.cli\n"
        "import addon.recorder.ingest_main, addon.recorder.spool, inspector.commands.record\n"
        "bad = [m for m in ('mitmproxy', 'textual') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
