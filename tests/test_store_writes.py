"""One writer: SQL that changes rows is written only where the store writes.

Every string in addon/ and inspector/ (f-strings with their holes as `{}`) is searched for a
data-changing statement. They may appear only in the Writer and its rows, in the migrations,
and in the price tables' refresh (addon/store/prices.py: the shipped and user prices are a
cache of the library and the user's file, rewritten whole, never captured data).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .conftest import ROOT

ALLOWED = {
    "addon/store/writer.py",
    "addon/store/batch_write.py",
    "addon/store/rows.py",
    "addon/store/migrations.py",
    "addon/store/migrations_list.py",
    "addon/store/migrations_text.py",
    "addon/store/migrations_uuid.py",
    "addon/store/prices.py",
    "addon/store/in_flight.py",  # the writer's rows of a stream in flight
}
WRITES = re.compile(
    r"\b(INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|MERGE\s+INTO"
    r"|TRUNCATE\s+\S+|COPY\s+\S+\s+FROM)\b",
    re.IGNORECASE,
)


def strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string literal of a module, an f-string's pieces joined around `{}`."""
    found: list[tuple[int, str]] = []
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
                for v in node.values
            )
            found.append((node.lineno, text))
            inside.update(id(v) for v in node.values)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in inside
        ):
            found.append((node.lineno, node.value))
    return found


def writes_outside_the_writer(root: Path) -> list[str]:
    out = []
    for path in sorted([*root.glob("addon/**/*.py"), *root.glob("inspector/**/*.py")]):
        rel = path.relative_to(root).as_posix()
        if rel in ALLOWED:
            continue
        for line, text in strings(ast.parse(path.read_text(), rel)):
            if match := WRITES.search(text):
                out.append(f"{rel}:{line}: {match.group(0)!r}")
    return out


def test_only_the_writer_changes_rows() -> None:
    assert writes_outside_the_writer(ROOT) == []


def test_the_check_finds_a_write(tmp_path: Path) -> None:
    """What it looks for: a DELETE in an f-string, an UPDATE in a plain string."""
    module = tmp_path / "addon" / "x.py"
    module.parent.mkdir()
    module.write_text(
        'T = "exchanges"\n'
        'a = f"DELETE FROM {T} WHERE exchange_id = ?"\n'
        'b = "UPDATE captures SET ended_at = now()"\n'
        'c = "an HTTP DELETE of /v1/responses/{id}"\n'
    )
    assert writes_outside_the_writer(tmp_path) == [
        "addon/x.py:2: 'DELETE FROM'",
        "addon/x.py:3: 'UPDATE captures SET'",
    ]
