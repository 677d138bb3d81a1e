"""Replay keeps the API's state: the real openai SDK (base URL from OPENAI_BASE_URL) against a
real ReplayUpstream over the shipped recordings; each test gets its own server, since what
it does (deleting, cancelling) changes the state."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest

from addon.importers import load_file
from addon.wire.exchange import Exchange
from addon.wire.parse import parse_exchange
from inspector.replay import ReplayUpstream

from .conftest import RECORDINGS

Serve = Callable[..., tuple[openai.OpenAI, ReplayUpstream]]


def rec(name: str, index: int = 0) -> Exchange:
    return load_file(RECORDINGS / name)[index]


def body_of(name: str, index: int = 0) -> dict[str, Any]:
    return json.loads(rec(name, index).request.body)


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Serve]:
    """`serve("a.har", ...)`: a server over those recordings and an SDK client of it, pointed
    there the way a test suite points one: OPENAI_BASE_URL."""
    servers: list[ReplayUpstream] = []

    def start(*names: str) -> tuple[openai.OpenAI, ReplayUpstream]:
        server = ReplayUpstream.from_paths([RECORDINGS / n for n in names], pace=0).start()
        servers.append(server)
        monkeypatch.setenv("OPENAI_BASE_URL", server.url + "/v1")
        return openai.OpenAI(api_key="sk-test", max_retries=0), server

    yield start
    for server in servers:
        server.stop()


def tiers(server: ReplayUpstream) -> list[str]:
    """How each request was answered: exact (a recording), state, miss."""
    return [s.tier for s in server.served]


# -- responses -------------------------------------------------------------------------------


def test_a_created_response_is_retrieved_from_its_create(serve: Serve) -> None:
    client, server = serve("stream_text.har", "vcr_cassette.yaml")
    expected = parse_exchange(rec("stream_text.har"))
    with client.responses.create(**body_of("stream_text.har")) as stream:
        final = next(e for e in stream if e.type == "response.completed").response
    again = client.responses.retrieve(final.id)
    assert again.id == expected.response_id and again.status == "completed"
    assert again.output_text == expected.output_text
    plain = client.responses.create(**body_of("vcr_cassette.yaml"))
    assert client.responses.retrieve(plain.id).output_text == plain.output_text
    assert tiers(server) == ["exact", "state", "exact", "state"]


def test_a_background_response_polls_its_recorded_states_then_the_final(serve: Serve) -> None:
    client, server = serve("background.har")
    created = client.responses.create(**body_of("background.har"))
    assert created.status == "queued"
    polled = [client.responses.retrieve(created.id).status for _ in range(3)]
    assert polled == ["in_progress", "completed", "completed"]
    final = client.responses.retrieve(created.id)
    assert final.output_text == parse_exchange(rec("background.har", 2)).output_text
    assert tiers(server) == ["exact", "exact", "state", "state", "state"]


@pytest.mark.parametrize("after", [0, 10, 96])
def test_a_stream_resumes_after_any_sequence_number(serve: Serve, after: int) -> None:
    client, _ = serve("stream_text.har")
    recorded = parse_exchange(rec("stream_text.har"))
    with client.responses.create(**body_of("stream_text.har")) as stream:
        response_id = [e for e in stream][-1].response.id
    with client.responses.retrieve(response_id, stream=True, starting_after=after) as resumed:
        events = list(resumed)
    expected = [e for e in recorded.events if (e.sequence_number or 0) > after]
    assert [e.sequence_number for e in events] == [e.sequence_number for e in expected]
    assert [e.type for e in events] == [e.type for e in expected]
    assert events[-1].type == "response.completed"


def test_a_background_stream_resumes_past_its_recorded_resume(serve: Serve) -> None:
    client, server = serve("background.har")
    created = client.responses.create(**body_of("background.har"))
    with client.responses.retrieve(created.id, stream=True, starting_after=3) as recorded:
        first = [e.sequence_number for e in recorded]
    with client.responses.retrieve(created.id, stream=True, starting_after=20) as later:
        events = list(later)
    assert [e.sequence_number for e in events] == [n for n in first if n > 20]
    assert events[-1].type == "response.completed"
    assert tiers(server) == ["exact", "exact", "state"]


def test_input_items_page_the_recorded_input_and_follow_the_chain(serve: Serve) -> None:
    client, _ = serve("function_call_roundtrip.har")
    first = body_of("function_call_roundtrip.har", 0)
    second = body_of("function_call_roundtrip.har", 1)
    with client.responses.create(**first) as stream:
        call = [e for e in stream][-1].response
    answer = client.responses.create(**second)
    assert second["previous_response_id"] == call.id
    listed = client.responses.input_items.list(answer.id, order="asc")
    kinds = [i.type for i in listed.data]
    assert kinds == ["message", "function_call", "function_call_output"]  # the chain first
    assert listed.data[0].content[0].text == first["input"][0]["content"]  # type: ignore[union-attr]
    assert listed.data[1].id == call.output[0].id
    assert listed.first_id == listed.data[0].id and listed.last_id == listed.data[-1].id
    assert listed.has_more is False
    newest = client.responses.input_items.list(answer.id, limit=1)  # order desc by default
    assert [i.type for i in newest.data] == ["function_call_output"] and newest.has_more
    paged = [i.id for i in client.responses.input_items.list(answer.id, limit=1, order="asc")]
    assert paged == [i.id for i in listed.data]  # the SDK follows `after` page by page
    with pytest.raises(openai.BadRequestError, match="limit"):
        client.responses.input_items.list(answer.id, limit=500)


def test_a_recorded_listing_is_served_and_ordered_both_ways(serve: Serve) -> None:
    client, server = serve("input_items.har")
    rid = parse_exchange(rec("input_items.har", 1)).response_id
    assert rid
    recorded = json.loads(rec("input_items.har").response.body)  # type: ignore[union-attr]
    asc = client.responses.input_items.list(rid, limit=20, order="asc")
    desc = client.responses.input_items.list(rid)
    assert [i.id for i in asc.data] == [i["id"] for i in recorded["data"]]
    assert [i.id for i in desc.data] == [i["id"] for i in reversed(recorded["data"])]
    assert tiers(server) == ["exact", "state"]


def test_delete_then_the_api_404s_and_a_continuation_is_refused(serve: Serve) -> None:
    client, _ = serve("function_call_roundtrip.har")
    with client.responses.create(**body_of("function_call_roundtrip.har", 0)) as stream:
        first = [e for e in stream][-1].response
    assert client.responses.delete(first.id) is None
    with pytest.raises(openai.NotFoundError, match=f"Response with id '{first.id}' not found"):
        client.responses.retrieve(first.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(first.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.input_items.list(first.id)
    with pytest.raises(openai.BadRequestError, match="Previous response with id") as info:
        client.responses.create(**body_of("function_call_roundtrip.har", 1))
    assert isinstance(info.value.body, dict) and info.value.body["param"] == "previous_response_id"


def test_a_recorded_delete_is_played_and_deletes(serve: Serve) -> None:
    client, server = serve("background.har")
    created = client.responses.create(**body_of("background.har"))
    client.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)
    assert tiers(server) == ["exact", "exact", "state"]


def test_cancel_recorded_or_not_leaves_the_response_cancelled(serve: Serve) -> None:
    client, server = serve("background.har", "vcr_cassette.yaml")
    essay = client.responses.create(**body_of("background.har", 4))
    assert client.responses.cancel(essay.id).status == "cancelled"  # the recorded cancel
    assert client.responses.retrieve(essay.id).status == "cancelled"
    hike = client.responses.create(**body_of("background.har", 0))
    assert client.responses.cancel(hike.id).status == "cancelled"  # never recorded
    assert client.responses.retrieve(hike.id).status == "cancelled"  # not the recorded polls
    haiku = client.responses.create(**body_of("vcr_cassette.yaml"))
    with pytest.raises(openai.BadRequestError, match="background"):
        client.responses.cancel(haiku.id)
    assert tiers(server) == ["exact", "exact", "state", "exact", "state", "state", "exact", "state"]


def test_a_response_created_with_store_false_is_not_kept(serve: Serve) -> None:
    client, server = serve("whole_input_codex.har")
    request = body_of("whole_input_codex.har")
    assert request["store"] is False
    with client.responses.create(**request) as stream:
        response_id = [e for e in stream][-1].response.id
    with pytest.raises(openai.NotFoundError, match=f"Response with id '{response_id}' not found"):
        client.responses.retrieve(response_id)
    assert tiers(server) == ["exact", "state"]


def test_an_id_no_recording_knows_is_a_miss_that_says_what_is_known(serve: Serve) -> None:
    client, _ = serve("vcr_cassette.yaml")
    with pytest.raises(openai.NotFoundError, match="no recording knows response resp_nope"):
        client.responses.retrieve("resp_nope")


# -- conversations ---------------------------------------------------------------------------


def test_a_conversation_holds_what_was_played_into_it(serve: Serve) -> None:
    client, server = serve("conversation.har")
    conversation = client.conversations.create(**body_of("conversation.har", 0))
    cid = conversation.id
    early = client.conversations.items.list(cid)  # the recorded request, not yet its moment
    assert [i.content[0].text for i in early.data] == ["Hi! I'm planning a weekend in Lisbon."]  # type: ignore[union-attr]
    client.conversations.items.create(cid, **body_of("conversation.har", 1))
    client.responses.create(**body_of("conversation.har", 2))
    recorded = json.loads(rec("conversation.har", 3).response.body)  # type: ignore[union-attr]
    listed = client.conversations.items.list(cid)
    assert [i.id for i in listed.data] == [i["id"] for i in recorded["data"]]
    assert early.data[0].id == recorded["data"][-1]["id"]  # the id the recording showed
    assert tiers(server)[-1] == "exact"  # the same changes led here: the recorded listing
    assert [i.id for i in client.conversations.items.list(cid, order="asc").data] == [
        i["id"] for i in reversed(recorded["data"])
    ]
    first = recorded["data"][-1]["id"]
    assert client.conversations.items.retrieve(first, conversation_id=cid).id == first
    client.conversations.items.delete(first, conversation_id=cid)
    remaining = [i.id for i in client.conversations.items.list(cid).data]
    assert remaining == [i["id"] for i in recorded["data"][:-1]]
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.retrieve(first, conversation_id=cid)


def test_a_conversation_updates_and_deletes(serve: Serve) -> None:
    client, _ = serve("conversation.har")
    cid = client.conversations.create(**body_of("conversation.har", 0)).id
    assert client.conversations.retrieve(cid).metadata == {"topic": "travel"}
    client.conversations.update(cid, metadata={"topic": "food"})
    assert client.conversations.retrieve(cid).metadata == {"topic": "food"}
    deleted = client.conversations.delete(cid)  # the recorded delete
    assert deleted.deleted is True and deleted.id == cid
    with pytest.raises(openai.NotFoundError, match=f"Conversation with id '{cid}' not found"):
        client.conversations.retrieve(cid)
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.list(cid)
    with pytest.raises(openai.NotFoundError, match="Conversation with id"):
        client.responses.create(**body_of("conversation.har", 2))
