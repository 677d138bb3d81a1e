"""The state a replay keeps: what the recordings imply (`facts`), changed by what was played.

A request on a stored object is answered by its recording when one matches and is still
right: recorded polls of a response in order, a recorded conversation listing only when the
same changes led to it (the exchanges that changed the conversation before it are exactly
those played). Otherwise the state answers: a response's last recorded state (cancelled once
cancelled), its recorded events after `starting_after`, its input items (the chain of
`previous_response_id` first) in pages, a conversation with the items the played exchanges
added. `DELETE` and `cancel` change it: a deleted response or conversation then answers the
API's 404 (as one created with `store: false` does), and a create continuing one is refused.
One lock-free object: the cassette holds the lock around every call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from addon.wire.exchange import Exchange, HttpResponse

from .answers import api_error, json_response, not_found, sse_response
from .facts import Facts, ResponseFacts, build_facts
from .listing import BadPage, page, with_ids
from .meaning import link_of

STATE_ROUTES = frozenset({
    "responses.retrieve", "responses.input_items", "responses.delete", "responses.cancel",
    "conversations.retrieve", "conversations.update", "conversations.delete",
    "conversations.items.list", "conversations.items.retrieve", "conversations.items.delete",
})  # fmt: skip
CONTINUING = frozenset({"responses.create", "responses.compact", "responses.input_tokens"})
MAX_CHAIN = 1000  # previous_response_id links followed, at most (a recording may loop)
Query = dict[str, list[str]]


def _last(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


class State:
    """Runtime state of one cassette over its HTTP exchanges (indexes are theirs)."""

    def __init__(self, http: Sequence[Exchange], websockets: Sequence[Exchange] = ()) -> None:
        self._http, self._websockets = http, websockets
        self._facts: Facts | None = None
        self.played: list[int] = []  # HTTP exchanges served, in order
        self.deleted_responses: set[str] = set()
        self.cancelled: dict[str, dict[str, Any]] = {}
        self.deleted_conversations: set[str] = set()
        self.removed_items: dict[str, set[str]] = {}
        self.metadata: dict[str, Any] = {}
        self.changed: set[str] = set()  # conversations changed by answers made up here

    @property
    def facts(self) -> Facts:
        if self._facts is None:
            self._facts = build_facts(self._http, self._websockets)
        return self._facts

    # -- before matching --------------------------------------------------------------------

    def guard(
        self, endpoint: str, ids: Sequence[str], body: dict[str, Any] | None
    ) -> HttpResponse | None:
        """The API's error for a request on something deleted here, else None."""
        if ids and endpoint.startswith("responses.") and ids[0] in self.deleted_responses:
            return not_found("Response", ids[0])
        on_conversation = (
            endpoint.startswith("conversations.") and endpoint != "conversations.create"
        )
        if ids and on_conversation and ids[0] in self.deleted_conversations:
            return not_found("Conversation", ids[0])
        link = link_of(body) if endpoint in CONTINUING else None
        if link is not None:
            previous, conversation = link
            if previous in self.deleted_responses:
                message = f"Previous response with id '{previous}' not found."
                return api_error(400, message, "previous_response_id")
            if conversation in self.deleted_conversations:
                return api_error(
                    404, f"Conversation with id '{conversation}' not found.", "conversation"
                )
        return None

    def may_replay(self, endpoint: str, ids: Sequence[str], index: int) -> bool:
        """Whether recorded exchange `index` still answers a read of the state: a poll until
        the response is cancelled, a conversation read when the same changes led to it."""
        if not ids:
            return True
        if endpoint == "responses.retrieve":
            return ids[0] not in self.cancelled
        if endpoint in ("conversations.retrieve", "conversations.items.list",
                        "conversations.items.retrieve"):  # fmt: skip
            if ids[0] in self.changed:
                return False
            found = self.facts.conversations.get(ids[0])
            if found is None:
                return True
            before = {e for e in found.effects if e < index}
            return before == {e for e in self.played if e in found.effects}
        return True

    # -- after a recording was served -------------------------------------------------------

    def play(
        self, index: int, endpoint: str, ids: Sequence[str], body: dict[str, Any] | None
    ) -> None:
        """What serving recorded exchange `index` changes."""
        self.played.append(index)
        if not ids:
            return
        if endpoint == "responses.delete":
            self.deleted_responses.add(ids[0])
        elif endpoint == "responses.cancel":
            found = self.facts.responses.get(ids[0])
            if found is not None and found.cancelled is not None:
                self.cancelled[ids[0]] = found.cancelled
        elif endpoint == "conversations.delete":
            self.deleted_conversations.add(ids[0])
        elif endpoint == "conversations.items.delete" and len(ids) > 1:
            self.removed_items.setdefault(ids[0], set()).add(ids[1])
        elif endpoint == "conversations.update" and body is not None:
            self.metadata[ids[0]] = body.get("metadata")

    # -- answers from the state -------------------------------------------------------------

    def answer(
        self, endpoint: str, ids: Sequence[str], query: Query, body: dict[str, Any] | None
    ) -> HttpResponse | None:
        """The state's answer to a request on a stored object; None when the recordings know
        nothing of it (a miss)."""
        if not ids:
            return None
        try:
            if endpoint.startswith("responses."):
                return self._response(endpoint, ids[0], query)
            if endpoint.startswith("conversations."):
                return self._conversation(endpoint, ids, query, body)
        except BadPage as exc:
            return api_error(400, str(exc), exc.param)
        return None

    def _response(self, endpoint: str, rid: str, query: Query) -> HttpResponse | None:
        found = self.facts.responses.get(rid)
        if found is None:
            return None
        if not found.stored:  # as the API answers for a response it never kept
            return not_found("Response", rid)
        if endpoint == "responses.retrieve" and (_last(query, "stream") or "") in ("true", "1"):
            after_text = _last(query, "starting_after")
            try:
                after = int(after_text) if after_text else -1
            except ValueError:
                return api_error(
                    400, f"Invalid 'starting_after': {after_text!r}.", "starting_after"
                )
            if not found.events:
                return api_error(400, f"respdeck replay: no recorded stream events of {rid}")
            return sse_response([found.events[s] for s in sorted(found.events) if s > after])
        if endpoint == "responses.retrieve":
            final = self.cancelled.get(rid) or found.final()
            return json_response(final) if final is not None else None
        if endpoint == "responses.input_items":
            items = self.input_items(rid)
            return json_response(
                page(items, _last(query, "order"), _last(query, "after"), _last(query, "limit"))
            )
        if endpoint == "responses.delete":
            self.deleted_responses.add(rid)
            return json_response({"id": rid, "object": "response", "deleted": True})
        if endpoint == "responses.cancel":
            if not found.background:
                return api_error(
                    400, "Only responses created with background=true can be cancelled."
                )
            cancelled = dict(self.cancelled.get(rid) or found.cancelled or found.states[0])
            cancelled["status"] = "cancelled"
            self.cancelled[rid] = cancelled
            return json_response(cancelled)
        return None

    def input_items(self, rid: str) -> list[dict[str, Any]]:
        """A response's input items oldest first: a recorded listing, else what the chain of
        `previous_response_id` holds (each one's input, then its output), then its own input."""
        chain: list[ResponseFacts] = []
        seen: set[str] = set()
        at: str | None = rid
        while at is not None and at not in seen and len(chain) < MAX_CHAIN:
            found = self.facts.responses.get(at)
            if found is None:
                break
            seen.add(at)
            chain.append(found)
            if found.listed is not None:
                break
            at = found.previous
        items: list[dict[str, Any]] = []
        for found in reversed(chain):
            own = found.listed if found.listed is not None else with_ids(found.input, found.id)
            items.extend(own)
            if found.id != rid:
                final = found.final() or {}
                items.extend(i for i in final.get("output") or [] if isinstance(i, dict))
        return items

    def items(self, cid: str) -> list[dict[str, Any]]:
        """A conversation's items oldest first: those the played exchanges added (all the
        recordings show when none was played), less those deleted here."""
        found = self.facts.conversations[cid]
        played = [i for i in self.played if i in found.effects]
        added = dict(found.added)
        items = (
            [item for i in played for item in added.get(i, [])] if played else found.known_items()
        )
        removed = self.removed_items.get(cid, set())
        return [item for item in items if item.get("id") not in removed]

    def _conversation_object(self, cid: str) -> dict[str, Any]:
        found = self.facts.conversations[cid]
        obj = dict(found.object or {"id": cid, "object": "conversation", "created_at": 0})
        if cid in self.metadata:
            obj["metadata"] = self.metadata[cid]
        obj.setdefault("metadata", {})
        return obj

    def _conversation(
        self, endpoint: str, ids: Sequence[str], query: Query, body: dict[str, Any] | None
    ) -> HttpResponse | None:
        cid = ids[0]
        if cid not in self.facts.conversations:
            return None
        if endpoint == "conversations.retrieve":
            return json_response(self._conversation_object(cid))
        if endpoint == "conversations.update":
            self.metadata[cid] = (body or {}).get("metadata")
            self.changed.add(cid)
            return json_response(self._conversation_object(cid))
        if endpoint == "conversations.delete":
            self.deleted_conversations.add(cid)
            return json_response({"id": cid, "object": "conversation.deleted", "deleted": True})
        if endpoint == "conversations.items.list":
            items = self.items(cid)
            return json_response(
                page(items, _last(query, "order"), _last(query, "after"), _last(query, "limit"))
            )
        item_id = ids[1] if len(ids) > 1 else ""
        item = next((i for i in self.items(cid) if i.get("id") == item_id), None)
        if item is None:
            return not_found("Item", item_id)
        if endpoint == "conversations.items.retrieve":
            return json_response(item)
        if endpoint == "conversations.items.delete":
            self.removed_items.setdefault(cid, set()).add(item_id)
            self.changed.add(cid)
            return json_response(self._conversation_object(cid))
        return None

    def known(self, endpoint: str, ids: Sequence[str]) -> str | None:
        """What the recordings know instead, for a miss on a stored object (None: not one)."""
        if endpoint not in STATE_ROUTES or not ids:
            return None
        if endpoint.startswith("responses."):
            names, kind = sorted(self.facts.responses), "response"
        else:
            names, kind = sorted(self.facts.conversations), "conversation"
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return f"no recording knows {kind} {ids[0]}" + (f"; they know {shown}" if names else "")
