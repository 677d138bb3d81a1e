"""What an item says, apart from how it was sent: a stable key per item, and chained prefix keys.

A stateless client (Codex, most agent SDKs: `store: false`, no `previous_response_id`) resends
the whole conversation as `input` on every turn. What it resends is the same content, not the
same JSON: ids are dropped or changed, an assistant message comes back without `status`,
`annotations` or `logprobs`, a string `input` stands for one user message, a text part may be a
plain string. `canonical_item` keeps what the model saw and drops the rest, so the item the
server sent and the item the client sends back get the same `content_key`.

Encrypted content (reasoning, compaction) is opaque and long: it is compared by its SHA-256.
A reasoning item without encrypted content cannot be resent as it was (with `store: false`
there is nothing to refer to), so clients drop it; `in_context` says it does not count.

`chain` folds keys into one 64-bit hash per prefix of a sequence, so "B's input starts with A's
input and output" becomes an equality between two integers (the store's threads rely on it).
Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from .canonical import canonical_json
from .models import implied_type

# Keys that say how an item was delivered, not what it says. A call_id pairs a call with its
# output, which their places in the conversation do as well: several clients send the call's
# item id (fc_...) as its call_id when they resend it.
_BOOKKEEPING = frozenset({"id", "status", "call_id"})
# Text parts of either direction: a user's input_text and the assistant's output_text resent
# as input are the same text (the role tells them apart).
_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})
# Items the client writes (the rest of a conversation is what the model produced).
_CLIENT_TYPES = frozenset({"mcp_approval_response", "item_reference", "compaction_trigger"})
# Tools the server runs: the server keeps their results, and clients resend the call trimmed
# (an image without its base64, code without its outputs, a tool list emptied). What the call
# was is what identifies it.
_HOSTED = {
    "web_search_call": ("action",),
    "file_search_call": ("queries",),
    "code_interpreter_call": ("code", "container_id"),
    "image_generation_call": (),
    "mcp_list_tools": ("server_label",),
    "mcp_call": ("server_label", "name", "arguments"),
}
# Fields holding JSON as a string, which clients re-serialise (`{"a":1}` comes back `{"a": 1}`).
_JSON_STRINGS = frozenset({"arguments"})


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _part(part: Any) -> Any:
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if not isinstance(part, dict):
        return part
    if part.get("type") in _TEXT_PARTS:
        return {"type": "text", "text": part.get("text")}
    # refusal, images, files, audio: what they carry, without annotations or logprobs
    return _value({k: v for k, v in part.items() if k not in ("annotations", "logprobs")})


def _parts(content: Any) -> Any:
    if isinstance(content, str):
        return [_part(content)]
    if isinstance(content, list):
        return [_part(p) for p in content]
    return _value(content)


def _json_string(text: str) -> Any:
    try:
        return {"json": orjson.loads(text)}
    except orjson.JSONDecodeError:
        return text


def _value(value: Any) -> Any:
    """Nested JSON without nulls (a resent item omits what was null), encrypted by hash."""
    if isinstance(value, dict):
        out = {}
        for key, inner in value.items():
            if inner is None:
                continue
            if key == "encrypted_content" and isinstance(inner, str):
                out["encrypted_sha256"] = _sha256(inner)
            elif key in _JSON_STRINGS and isinstance(inner, str):
                out[key] = _json_string(inner)
            elif key == "sources" and isinstance(inner, list):
                continue  # web search results: included on request, dropped when resent
            else:
                out[key] = _value(inner)
        return out
    if isinstance(value, list):
        return [_value(v) for v in value]
    return value


def canonical_item(item: Any) -> Any:
    """The item as the model sees it: JSON without ids, status or delivery details."""
    if isinstance(item, str):  # `input: "hi"` is one user message
        return {"type": "message", "role": "user", "content": [_part(item)]}
    if not isinstance(item, dict):
        return item
    kind = implied_type(item)
    if kind == "message":
        return {"type": "message", "role": item.get("role"), "content": _parts(item.get("content"))}
    if kind == "reasoning":
        encrypted = item.get("encrypted_content")
        if isinstance(encrypted, str) and encrypted:
            return {"type": "reasoning", "encrypted_sha256": _sha256(encrypted)}
        return {
            "type": "reasoning",
            "summary": _parts(item.get("summary")),
            "content": _parts(item.get("content")),
        }
    if kind == "item_reference":  # the id is what it says
        return {"type": "item_reference", "id": item.get("id")}
    if kind in _HOSTED:
        return _value({"type": kind} | {k: item.get(k) for k in _HOSTED[kind]})
    return _value({k: v for k, v in item.items() if k not in _BOOKKEEPING})


def content_key(item: Any) -> str:
    """A stable key (32 hex digits) for what an item says: equal for the item the server sent
    and the one a client resends, different as soon as the text, a call or an output differs."""
    data = canonical_json(canonical_item(item))
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def produced_by_model(item: Any) -> bool:
    """An item of the model's output (assistant message, reasoning, a tool call), as opposed to
    one the client wrote (a user, system or developer message, a tool's output)."""
    if not isinstance(item, dict):
        return False  # a bare string is a user message
    kind = implied_type(item)
    if kind == "message":
        return item.get("role") == "assistant"
    if not isinstance(kind, str):
        return False
    return not kind.endswith("_output") and kind not in _CLIENT_TYPES


def in_context(item: Any) -> bool:
    """Whether an item counts when a continuation is matched: a reasoning item without
    encrypted content is dropped by clients that resend (they cannot send it back), and an
    empty assistant message (some clients add one before their tool calls) says nothing."""
    if not isinstance(item, dict):
        return True
    kind = implied_type(item)
    if kind == "reasoning":
        encrypted = item.get("encrypted_content")
        return isinstance(encrypted, str) and bool(encrypted)
    if kind == "message" and item.get("role") == "assistant":
        return any(_said(p) for p in _parts(item.get("content")))
    return True


def _said(part: Any) -> bool:
    if isinstance(part, dict) and part.get("type") == "text":
        return bool(part.get("text"))
    return part is not None


START = 0  # the chain of an empty sequence


def chain(previous: int, key: str) -> int:
    """The chained hash of a sequence extended by one item's key (a signed 64-bit integer)."""
    data = previous.to_bytes(8, "big", signed=True) + bytes.fromhex(key)
    digest = hashlib.blake2b(data, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def chained(keys: Iterable[str], start: int = START) -> Iterator[int]:
    """The chained hash after each key: one per prefix of the sequence."""
    state = start
    for key in keys:
        state = chain(state, key)
        yield state
