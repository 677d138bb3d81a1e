"""Word diffs of two texts: one changed word in a 4,000-word prompt shows as that word.

Texts are split into words, runs of whitespace and single punctuation marks, and aligned with
difflib's SequenceMatcher (autojunk off: in a long prompt the common words are not junk). The
result is a list of `[op, text]` pieces, op `equal`, `delete` (only in a) or `insert` (only in
b), which concatenate back to a (equal + delete) and to b (equal + insert). Two texts that are
mostly different (a rewritten answer) give one delete and one insert between their common start
and end, not an interleaving of the few words they happen to share.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")

Piece = list[str]  # [op, text]


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


# Below this share of their visible characters in common, two texts are rewritten, not
# edited: aligning their few shared words ("the", "a") would interleave them into noise.
MOSTLY_DIFFERENT = 0.5


def _common_ends(ta: list[str], tb: list[str]) -> tuple[int, int]:
    """How many tokens both start with, and how many both end with after that."""
    head = 0
    limit = min(len(ta), len(tb))
    while head < limit and ta[head] == tb[head]:
        head += 1
    tail = 0
    while tail < limit - head and ta[-1 - tail] == tb[-1 - tail]:
        tail += 1
    return head, tail


def _visible(tokens_: list[str]) -> int:
    return sum(len(t) for t in tokens_ if not t.isspace())


def shared_share(ta: list[str], tb: list[str], matcher: SequenceMatcher[str]) -> float:
    """The share of visible characters (whitespace does not count) the two token lists have
    in matched runs: 1.0 for equal texts, 0.0 for texts with no word in common."""
    total = _visible(ta) + _visible(tb)
    if not total:
        return 1.0
    shared = sum(_visible(ta[i : i + n]) for i, _, n in matcher.get_matching_blocks())
    return 2 * shared / total


def word_pieces(a: str, b: str) -> list[Piece]:
    """The pieces that turn a into b, adjacent pieces of one op merged. Where the texts differ
    mostly (below `MOSTLY_DIFFERENT` between their common start and end), the middle is one
    `delete` of a's and one `insert` of b's."""
    ta, tb = tokens(a), tokens(b)
    head, tail = _common_ends(ta, tb)
    mid_a, mid_b = ta[head : len(ta) - tail], tb[head : len(tb) - tail]
    pieces: list[Piece] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if pieces and pieces[-1][0] == op:
            pieces[-1][1] += text
        else:
            pieces.append([op, text])

    add("equal", "".join(ta[:head]))
    matcher = SequenceMatcher(None, mid_a, mid_b, autojunk=False)
    if mid_a and mid_b and shared_share(mid_a, mid_b, matcher) < MOSTLY_DIFFERENT:
        add("delete", "".join(mid_a))
        add("insert", "".join(mid_b))
    else:
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                add("equal", "".join(mid_a[i1:i2]))
            else:
                add("delete", "".join(mid_a[i1:i2]))
                add("insert", "".join(mid_b[j1:j2]))
    add("equal", "".join(ta[len(ta) - tail :]))
    return pieces


def text_diff(a: Any, b: Any) -> dict[str, Any]:
    """`{same, diff}` of two optional texts (None reads as no text): the document's form for
    `instructions` and `output_text`; `diff` is empty when they are the same."""
    a_text = a if isinstance(a, str) else "" if a is None else str(a)
    b_text = b if isinstance(b, str) else "" if b is None else str(b)
    if a_text == b_text and (a is None) == (b is None):
        return {"same": True, "diff": []}
    return {"same": False, "diff": word_pieces(a_text, b_text)}


def is_prose(a: Any, b: Any) -> bool:
    """Whether two changed values read better as a word diff than as `a → b`: texts that are
    long or have several words."""
    return (
        isinstance(a, str)
        and isinstance(b, str)
        and (max(len(a), len(b)) > 40 or " " in a or " " in b)
    )
