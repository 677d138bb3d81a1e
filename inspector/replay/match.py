"""Which recorded exchange answers an incoming request: pure functions plus a round-robin pick.

Keys normalise what never matters (host, an Azure-style prefix, query order, JSON key order);
what else is left out (volatile fields, ids, user ignore paths) is `meaning`'s job, which
builds the keys HTTP matching compares. Tiers: `exact` (method, path, query and body agree),
then `synthetic` (a recording whose request the importer made up stands for any request of
its route and stream flag). A WebSocket session is chosen leniently (`lenient`): also the
recording whose first message agrees best (`similar`) or the only one on the path (`only`),
since an agent's first message changes from run to run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence

from addon.wire.exchange import WsMessage
from inspector.diff.request_key import RequestKey, similarity


def candidates(
    pool: Sequence[RequestKey], incoming: RequestKey, lenient: bool = False
) -> tuple[list[int], str]:
    """Indexes into `pool` that answer `incoming` equally well, in pool order, and the tier
    that found them: `exact`, with `lenient` also `similar` and `only` (sole recording of
    that method and path), then `synthetic` (recordings whose request was made up), or
    `none`."""
    same = [
        i for i, k in enumerate(pool) if k.method == incoming.method and k.path == incoming.path
    ]
    if not same:
        return [], "none"
    exact = [i for i in same if pool[i].query == incoming.query and pool[i].body == incoming.body]
    if exact:
        return exact, "exact"
    if lenient:
        scores = {i: similarity(pool[i], incoming) for i in same}
        ranked = {i: s for i, s in scores.items() if s is not None}
        if ranked:
            best = max(ranked.values())
            return [i for i in same if ranked.get(i) == best], "similar"
        if len(same) == 1:
            return same, "only"
    synthetic = [i for i in same if pool[i].synthetic and pool[i].stream == incoming.stream]
    if synthetic:
        return synthetic, "synthetic"
    return [], "none"


class Matcher:
    """Candidates plus the one stateful part: equal candidates are served in recorded order,
    so a background response polled several times replays its states, and a recorded retry
    (a stream, then a 429 for the same body) replays in turn. `links` (a recording's
    `previous_response_id` and `conversation`, as sent) narrow equal candidates to those
    continuing the same state as the request, when any does."""

    def __init__(self, keys: Sequence[RequestKey], links: Sequence[Hashable] = ()) -> None:
        self.keys = list(keys)
        self.links = list(links) or [None] * len(self.keys)
        self._by_route: dict[tuple[str, str], list[int]] = {}
        for i, key in enumerate(self.keys):
            self._by_route.setdefault((key.method, key.path), []).append(i)
        self._turns: dict[tuple[int, ...], int] = {}
        self._lock = threading.Lock()

    def route(self, method: str, path: str) -> list[int]:
        """Indexes of the recordings of one method and path, in recorded order."""
        return list(self._by_route.get((method, path), []))

    def candidates(self, incoming: RequestKey, lenient: bool = False) -> tuple[list[int], str]:
        """Like `candidates()`, over the recordings of the same method and path only."""
        route = self._by_route.get((incoming.method, incoming.path), [])
        found, tier = candidates([self.keys[i] for i in route], incoming, lenient)
        return [route[i] for i in found], tier

    def pick(
        self,
        incoming: RequestKey,
        *,
        link: Hashable = None,
        cycle: bool = True,
        lenient: bool = False,
        allowed: Callable[[int], bool] | None = None,
    ) -> tuple[int | None, str]:
        """The index of the recording to serve now (None when nothing matches), and the tier.
        Without `cycle`, a group served to the end answers None (tier `exhausted`): what
        comes after the recorded polls is the state's to say. `allowed` vets candidates."""
        found, tier = self.candidates(incoming, lenient)
        if allowed is not None:
            found = [i for i in found if allowed(i)]
        if not found:
            return None, tier if tier == "none" else "refused"
        linked = [i for i in found if link is not None and self.links[i] == link]
        group = tuple(linked or found)
        with self._lock:
            turn = self._turns.get(group, 0)
            if not cycle and turn >= len(group):
                return None, "exhausted"
            self._turns[group] = turn + 1
        return group[turn % len(group)], tier


def ws_turns(messages: Sequence[WsMessage]) -> tuple[list[WsMessage], list[WsMessage]]:
    """(server messages sent before any client message, the client messages) of a session."""
    first = next((i for i, m in enumerate(messages) if m.from_client), len(messages))
    return list(messages[:first]), [m for m in messages if m.from_client]


def ws_replies(
    messages: Sequence[WsMessage], turn: int
) -> tuple[WsMessage | None, list[WsMessage]]:
    """The `turn`-th client message and the server messages that followed it."""
    seen, client, replies = -1, None, []
    for message in messages:
        if message.from_client:
            seen += 1
            if seen > turn:
                break
            client = message if seen == turn else client
        elif seen == turn:
            replies.append(message)
    return client, replies
