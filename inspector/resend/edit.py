"""Edits of a recorded JSON body: `--set PATH=VALUE`, `--unset PATH`, and `--edit`'s text.

A path is dotted keys from the body's root; a part that is an integer indexes a list (`-1`
the last element): `model`, `reasoning.effort`, `tools.2`, `input.0.content`. `--set` makes
the objects a path goes through when they are missing (`--set reasoning.effort=high` on a
body with no `reasoning`), and appends to a list when the index is its length. VALUE is JSON
when it parses as JSON (`0.2`, `false`, `[]`, `{"type": "auto"}`, `"42"`), else a string
(`gpt-5`). Pure functions: the body goes in, a new one comes out, the input is untouched.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


class EditError(ValueError):
    """An edit that cannot apply, or an edited text that is not JSON (one line)."""


@dataclass(frozen=True, slots=True)
class Edits:
    """What to change: `--set` pairs in order, then `--unset` paths; `replacement` is what was
    saved in $EDITOR (`--edit`), which already holds them."""

    sets: tuple[tuple[str, Any], ...] = ()
    unsets: tuple[str, ...] = ()
    replacement: dict[str, Any] | None = field(default=None, compare=False)

    def __bool__(self) -> bool:
        return bool(self.sets or self.unsets or self.replacement is not None)

    def described(self) -> list[str]:
        """The edits as a user wrote them, for the `resends.edits` column."""
        out = [f"set {path}={json.dumps(value, ensure_ascii=False)}" for path, value in self.sets]
        out += [f"unset {path}" for path in self.unsets]
        if self.replacement is not None:
            out.append("edit")
        return out


def parse_value(text: str) -> Any:
    """VALUE of `--set PATH=VALUE`: JSON when it is JSON, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_set(option: str) -> tuple[str, Any]:
    """`PATH=VALUE` -> (path, value); the first `=` splits (a value may hold more)."""
    path, sep, value = option.partition("=")
    if not sep or not path.strip():
        raise EditError(f"--set {option!r}: give PATH=VALUE, e.g. model=gpt-5")
    _parts(path.strip())
    return path.strip(), parse_value(value)


def make_edits(sets: Sequence[str], unsets: Sequence[str]) -> Edits:
    """The command line's `--set` and `--unset` options, checked."""
    for path in unsets:
        _parts(path)
    return Edits(tuple(parse_set(s) for s in sets), tuple(p.strip() for p in unsets))


def _parts(path: str) -> list[str]:
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise EditError(f"bad path {path!r}: use dotted keys and list indexes, e.g. tools.2")
    return parts


def _index(container: list[Any], part: str, path: str, *, append: bool = False) -> int:
    try:
        index = int(part)
    except ValueError:
        raise EditError(f"{path}: {part!r} is not an index of a list") from None
    size = len(container)
    if index < 0:
        index += size
    if 0 <= index < size or (append and index == size):
        return index
    raise EditError(f"{path}: no index {part} in a list of {size}")


def _child(node: Any, part: str, path: str, *, make: bool) -> Any:
    if isinstance(node, dict):
        if part not in node:
            if not make:
                raise EditError(f"{path}: the body has no {part!r} there")
            node[part] = {}
        return node[part]
    if isinstance(node, list):
        return node[_index(node, part, path)]
    raise EditError(f"{path}: {part!r} is inside a {type(node).__name__}, not an object or list")


def set_path(body: Any, path: str, value: Any) -> None:
    """Set `path` to `value` in place."""
    *parents, last = _parts(path)
    node = body
    for part in parents:
        node = _child(node, part, path, make=True)
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list):
        index = _index(node, last, path, append=True)
        if index == len(node):
            node.append(value)
        else:
            node[index] = value
    else:
        raise EditError(f"{path}: cannot set {last!r} inside a {type(node).__name__}")


def unset_paths(body: Any, paths: Sequence[str]) -> None:
    """Remove every path in place. All are found first, so several indexes of one list name
    its elements as they were (`--unset tools.1 --unset tools.3`), then removed."""
    targets: list[tuple[Any, str | int]] = []
    for path in paths:
        *parents, last = _parts(path)
        node = body
        for part in parents:
            node = _child(node, part, path, make=False)
        if isinstance(node, dict):
            if last not in node:
                raise EditError(f"{path}: the body has no {last!r} there")
            targets.append((node, last))
        elif isinstance(node, list):
            targets.append((node, _index(node, last, path)))
        else:
            raise EditError(f"{path}: {last!r} is inside a {type(node).__name__}")
    # list elements from the highest index down, so earlier removals move nothing still due
    ordered = sorted(
        {(id(n), k): (n, k) for n, k in targets}.values(),
        key=lambda t: t[1] if isinstance(t[1], int) else -1,
        reverse=True,
    )
    for node, key in ordered:
        del node[key]


def apply_edits(body: dict[str, Any], edits: Edits) -> dict[str, Any]:
    """A copy of `body` with each `--set` made in order, then the `--unset`s; or the `--edit`
    document when there is one (it was edited from the body with those made already)."""
    if edits.replacement is not None:
        return copy.deepcopy(edits.replacement)
    out = copy.deepcopy(body)
    for path, value in edits.sets:
        set_path(out, path, value)
    unset_paths(out, edits.unsets)
    return out


def pretty(body: Any) -> str:
    """The body as `--edit` shows it in $EDITOR."""
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def parse_edited(text: str) -> dict[str, Any]:
    """What came back from $EDITOR: a JSON object, or EditError saying where it is not."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EditError(
            f"the edited body is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(document, dict):
        raise EditError("the edited body is not a JSON object")
    return document


def body_bytes(document: dict[str, Any]) -> bytes:
    """An edited body as sent: compact JSON in UTF-8, keys in their order, as the SDKs send."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
