"""Every payload checked against the openai SDK's own models; the older usage objects and the
nested error event must be rejected, and only for the fields they lack."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from .check_stream import CheckError, expect
from .common import Json


def sdk_checks() -> dict[str, Callable[[Json], Any]]:
    from openai.types.conversations import (
        Conversation,
        ConversationDeletedResource,
        ConversationItemList,
    )
    from openai.types.responses import (
        CompactedResponse,
        InputTokenCountResponse,
        Response,
        ResponseCompactionItem,
        ResponseInputMessageItem,
        ResponseItemList,
        ResponsesClientEvent,
        ResponsesServerEvent,
        ResponseStreamEvent,
        ResponseUsage,
    )
    from pydantic import TypeAdapter

    def by_type(union: Any) -> Callable[[Json], Any]:
        """Validate against the union member named by the payload's `type` (the SDK's own
        discriminator), so errors are about that member only."""
        members = typing.get_args(typing.get_args(union)[0])
        table = {typing.get_args(m.model_fields["type"].annotation)[0]: m for m in members}
        fallback = TypeAdapter(union)

        def validate(obj: Json) -> Any:
            model = table.get(obj.get("type"))
            return model.model_validate(obj) if model else fallback.validate_python(obj)

        return validate

    stream_ev = by_type(ResponseStreamEvent)
    server_ev = by_type(ResponsesServerEvent)
    client_ev: TypeAdapter[Any] = TypeAdapter(ResponsesClientEvent)

    def compacted(obj: Json) -> None:
        # The SDK types CompactedResponse.output with the *output* item union, which has no
        # user-role message; the live API returns user messages there (see the corpus), so the
        # items are checked one by one instead.
        for item in obj["output"]:
            if item["type"] == "compaction":
                ResponseCompactionItem.model_validate(item)
            else:
                ResponseInputMessageItem.model_validate(item)
        CompactedResponse.model_validate(obj | {"output": obj["output"][-1:]})
        ResponseUsage.model_validate(obj["usage"])

    return {
        "response": Response.model_validate,
        "event": stream_ev,
        "ws_server": server_ev,
        "ws_client": client_ev.validate_python,
        "response.compaction": compacted,
        "response.input_tokens": InputTokenCountResponse.model_validate,
        "conversation": Conversation.model_validate,
        "conversation.deleted": ConversationDeletedResource.model_validate,
        "conversation_list": ConversationItemList.model_validate,
        "response_list": ResponseItemList.model_validate,
    }


def lacks_cache_write(obj: Any) -> bool:
    """True when some usage object in obj has no cache_write_tokens (older servers)."""
    if isinstance(obj, dict):
        d = obj.get("input_tokens_details")
        if isinstance(d, dict) and "cached_tokens" in d and "cache_write_tokens" not in d:
            return True
        return any(lacks_cache_write(v) for v in obj.values())
    if isinstance(obj, list):
        return any(lacks_cache_write(v) for v in obj)
    return False


def with_cache_write(obj: Any) -> Any:
    if isinstance(obj, dict):
        out = {k: with_cache_write(v) for k, v in obj.items()}
        d = out.get("input_tokens_details")
        if isinstance(d, dict) and "cached_tokens" in d:
            out["input_tokens_details"] = {"cache_write_tokens": 0} | d
        return out
    if isinstance(obj, list):
        return [with_cache_write(v) for v in obj]
    return obj


class Validator:
    def __init__(self) -> None:
        try:
            self.v = sdk_checks()
        except ImportError as exc:  # pragma: no cover - the project always has openai
            print(f"  (skipping SDK validation: {exc})")
            self.v = {}
        self.counts = {"ok": 0, "expected_fail": 0}

    def __call__(self, kind: str, obj: Json, where: str) -> None:
        if not self.v:
            return
        from pydantic import ValidationError

        fn = self.v[kind]
        nested_error = kind in ("event",) and obj.get("type") == "error" and "error" in obj
        if lacks_cache_write(obj) or nested_error:
            # on purpose: older usage objects and the nested error event do not fit the SDK
            try:
                fn(obj)
            except ValidationError as exc:
                locs = {".".join(map(str, e["loc"])) for e in exc.errors()}
                if nested_error:
                    expect(any(loc.endswith("message") for loc in locs), f"{where}: {locs}")
                else:
                    expect(all("cache_write_tokens" in loc for loc in locs), f"{where}: {locs}")
                    fn(with_cache_write(obj))
                self.counts["expected_fail"] += 1
                return
            raise CheckError(f"{where}: expected the SDK to reject {kind}")
        try:
            fn(obj)
        except ValidationError as exc:
            raise CheckError(f"{where}: SDK rejects {kind}: {exc}") from exc
        self.counts["ok"] += 1


def body_kind(path: str, method: str, obj: Json) -> str | None:
    o: Any = obj.get("object")
    if "error" in obj and len(obj) == 1:
        return None
    if o == "list":
        return "conversation_list" if path.startswith("/v1/conversations") else "response_list"
    if o == "response" and "deleted" in obj:
        return None
    if o == "response.deleted":
        return None
    return {
        "response": "response",
        "response.compaction": "response.compaction",
        "response.input_tokens": "response.input_tokens",
        "conversation": "conversation",
        "conversation.deleted": "conversation.deleted",
    }.get(o)
