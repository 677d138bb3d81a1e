"""Word diffs of two texts: one changed word in a 4,000-word prompt shows as that word.

Texts are split into words, runs of whitespace and single punctuation marks, and aligned with
difflib's SequenceMatcher (autojunk off: in a long prompt the common words are not junk). The
result is a list of `[op, text]` pieces, op `equal`, `delete` (only in a) or `insert` (only in
b), which concatenate back to a (equal + delete) and to b (equal + insert).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")

Piece = list[str]  # [op, text]


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_pieces(a: str, b: str) -> list[Piece]:
    """The pieces that turn a into b, adjacent pieces of one op merged."""
    ta, tb = tokens(a), tokens(b)
    pieces: list[Piece] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if pieces and pieces[-1][0] == op:
            pieces[-1][1] += text
        else:
            pieces.append([op, text])

    matcher = SequenceMatcher(None, ta, tb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", "".join(ta[i1:i2]))
        else:
            add("delete", "".join(ta[i1:i2]))
            add("insert", "".join(tb[j1:j2]))
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
