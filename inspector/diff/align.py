"""Two sequences aligned by key: one inserted element shows as one insertion.

difflib's SequenceMatcher (autojunk off: a long agent session repeats the same tool outputs,
which are not junk) finds the equal runs over content keys. In a replaced block, elements of
the same kind pair up in order and count as changed; what is left is added or removed. Input
items, output items, thread turns all align this way.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import NamedTuple


class Step(NamedTuple):
    op: str  # equal, changed, added, removed
    a_index: int | None
    b_index: int | None


def align(
    a_keys: Sequence[str], b_keys: Sequence[str], a_kinds: Sequence[str], b_kinds: Sequence[str]
) -> list[Step]:
    """Steps through both sequences in order; keys say equal, kinds say may pair as changed."""
    steps: list[Step] = []
    matcher = SequenceMatcher(None, list(a_keys), list(b_keys), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            steps.extend(
                Step("equal", i, j) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
        else:
            steps.extend(_pair_block(range(i1, i2), range(j1, j2), a_kinds, b_kinds))
    return steps


def _pair_block(
    a_range: range, b_range: range, a_kinds: Sequence[str], b_kinds: Sequence[str]
) -> list[Step]:
    """A replaced block: each a element pairs with the next b element of its kind (never going
    back), the b elements skipped on the way are added, an a without a partner removed."""
    steps: list[Step] = []
    j = b_range.start
    for i in a_range:
        match = next((k for k in range(j, b_range.stop) if b_kinds[k] == a_kinds[i]), None)
        if match is None:
            steps.append(Step("removed", i, None))
            continue
        steps.extend(Step("added", None, k) for k in range(j, match))
        steps.append(Step("changed", i, match))
        j = match + 1
    steps.extend(Step("added", None, k) for k in range(j, b_range.stop))
    return steps
