"""Two captures diffed (`respdeck diff --capture`): two runs of a test suite or an agent.

Exchanges pair up by request, with the keys replay matches an incoming request to a
recording by (`request_key`), read by meaning as the exchange diff reads them (item ids, call
ids and volatile parameters left out): the same request first, then the most similar one of
the same method and path (input, then model, then the other fields agreeing), each used
once, earlier ones first. Each pair gets its exchange diff; the exchanges left over are
listed, and totals of tokens, cost and time cover both runs whole.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from addon.wire.canonical import canonical_json
from addon.wire.content_key import content_key

from .document import diff_exchanges
from .items import as_items
from .outcome import totals
from .request import without_volatile
from .request_key import RequestKey, request_key, similarity
from .side import DiffSide


def _digest(value: Any) -> str:
    return hashlib.blake2b(canonical_json(value), digest_size=12).hexdigest()


def key_of(side: DiffSide) -> RequestKey:
    """The replay matcher's key of a side's request, by meaning: field values as digests (so
    `similarity` scores without re-serialising an input of a thousand items per comparison),
    the input by its items' content keys (another run resends the same conversation with
    other item and call ids), volatile parameters left out and state ids reduced to whether
    there is one, as the exchange diff reads them; the body is the digests' canonical JSON, so
    "the same request" means the same once that is left out."""
    if side.turn_requests:  # a WebSocket session: keyed by its first create
        key = request_key("WS", side.path, canonical_json(side.turn_requests[0]))
    else:
        key = request_key(side.method, side.path, side.request_body)
    if not key.fields:
        return key
    digests = {
        name: _digest([content_key(i) for i in as_items(value)] if name == "input" else value)
        for name, value in without_volatile(key.fields).items()
    }
    return replace(key, fields=digests, body=canonical_json(digests))


def pair_sides(a: Sequence[DiffSide], b: Sequence[DiffSide]) -> list[tuple[int | None, int | None]]:
    """(a index, b index) pairs in b's order, then a's unpaired (None: no partner)."""
    a_keys, b_keys = [key_of(s) for s in a], [key_of(s) for s in b]
    partner: dict[int, int] = {}  # b index -> a index
    exact: dict[tuple[Any, ...], deque[int]] = defaultdict(deque)
    for i, k in enumerate(a_keys):
        exact[(k.method, k.path, k.query, k.body)].append(i)
    for j, k in enumerate(b_keys):
        queue = exact.get((k.method, k.path, k.query, k.body))
        if queue:
            partner[j] = queue.popleft()
    used = set(partner.values())
    route: dict[tuple[str, str], list[int]] = defaultdict(list)
    same_input: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, k in enumerate(a_keys):
        if i not in used:
            route[(k.method, k.path)].append(i)
            if "input" in k.fields:
                same_input[(k.method, k.path, k.fields["input"])].append(i)
    for j, k in enumerate(b_keys):
        if j in partner:
            continue
        # An equal input outranks anything else `similarity` weighs: when an unused a has b's
        # input, the best is among those (the same pick, without scoring every a of the route).
        best = None
        if "input" in k.fields:
            best = _best(a_keys, same_input.get((k.method, k.path, k.fields["input"]), ()), k, used)
        if best is None:
            best = _best(a_keys, route.get((k.method, k.path), ()), k, used)
        if best is not None:
            partner[j] = best
            used.add(best)
    pairs: list[tuple[int | None, int | None]] = [(partner.get(j), j) for j in range(len(b))]
    pairs.extend((i, None) for i in range(len(a)) if i not in used)
    return pairs


def _best(
    a_keys: Sequence[RequestKey], candidates: Sequence[int], key: RequestKey, used: set[int]
) -> int | None:
    """The unused candidate most similar to `key` (the earliest of equals), None if none may
    match."""
    best: tuple[tuple[int, ...], int] | None = None
    for i in candidates:
        if i in used:
            continue
        score = similarity(a_keys[i], key)
        if score is not None and (best is None or score > best[0]):
            best = (score, i)
    return None if best is None else best[1]


def diff_captures(
    a: Sequence[DiffSide],
    b: Sequence[DiffSide],
    *,
    ignore: Sequence[str] = (),
    strict: bool = False,
    names: tuple[str | None, str | None] = (None, None),
) -> dict[str, Any]:
    """`{same, a, b, counts, pairs: [{a_index, b_index, same, diff}], only_a, only_b, totals}`."""
    pairs, only_a, only_b = [], [], []
    for i, j in pair_sides(a, b):
        if i is not None and j is not None:
            doc = diff_exchanges(a[i], b[j], ignore=ignore, strict=strict)
            pairs.append({"a_index": i, "b_index": j, "same": doc["same"], "diff": doc})
        elif j is not None:
            only_b.append(_alone(b[j], j))
        elif i is not None:
            only_a.append(_alone(a[i], i))
    pairs.sort(key=lambda p: (p["b_index"], p["a_index"]))
    return {
        "same": not only_a and not only_b and all(p["same"] for p in pairs),
        "a": {"capture_id": names[0], "exchanges": len(a)},
        "b": {"capture_id": names[1], "exchanges": len(b)},
        "counts": {
            "a": len(a),
            "b": len(b),
            "paired": len(pairs),
            "same": sum(1 for p in pairs if p["same"]),
            "changed": sum(1 for p in pairs if not p["same"]),
            "only_a": len(only_a),
            "only_b": len(only_b),
        },
        "pairs": pairs,
        "only_a": only_a,
        "only_b": only_b,
        "totals": totals(a, b),
    }


def _alone(side: DiffSide, index: int) -> dict[str, Any]:
    return {
        "index": index,
        "label": side.label,
        "exchange_id": side.exchange_id,
        "endpoint": side.endpoint,
        "model": side.request.get("model"),
        "usage": dict(side.usage),
    }
