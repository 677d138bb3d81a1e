"""Response objects as each server era serialises them, and the key order of replayed streams."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .common import MAY, NEW, Json


def usage(
    era: str, inp: int, out: int, cached: int = 0, reasoning: int = 0, write: int = 0
) -> Json:
    details: Json = {"cache_write_tokens": write, "cached_tokens": cached}
    if era != NEW:
        details = {"cached_tokens": cached}
    return {
        "input_tokens": inp,
        "input_tokens_details": details,
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": inp + out,
    }


TOOL_USAGE_ZERO = {
    "input_tokens": 0,
    "input_tokens_details": {"image_tokens": 0, "text_tokens": 0},
    "output_tokens": 0,
    "output_tokens_details": {"image_tokens": 0, "text_tokens": 0},
    "total_tokens": 0,
}


@dataclass
class RSpec:
    """The request-derived part of a Response object, echoed in every snapshot."""

    era: str
    id: str
    created_at: int
    model: str
    background: bool = False
    conversation: str | None = None
    instructions: str | None = None
    max_output_tokens: int | None = None
    previous_response_id: str | None = None
    effort: str | None = None
    summary: str | None = None
    store: bool = True
    temperature: float = 1.0
    top_p: float = 1.0
    tools: list[Json] = field(default_factory=list)
    tool_choice: Any = "auto"
    metadata: Json = field(default_factory=dict)
    web_searches: int = 0
    prompt_cache_key: str | None = None
    parallel_tool_calls: bool = True

    def obj(
        self,
        status: str,
        output: Iterable[Json] = (),
        use: Json | None = None,
        completed_at: int | None = None,
        tier: str = "auto",
        billing: bool = False,
        error: Json | None = None,
    ) -> Json:
        new = self.era == NEW
        r: Json = {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "background": self.background,
        }
        if billing:
            r["billing"] = {"payer": "developer"}
        r["completed_at"] = completed_at
        if self.conversation:
            r["conversation"] = {"id": self.conversation}
        r |= {
            "error": error,
            "frequency_penalty": 0.0,
            "incomplete_details": None,
            "instructions": self.instructions,
            "max_output_tokens": self.max_output_tokens,
            "max_tool_calls": None,
            "model": self.model,
        }
        if self.era in (NEW, MAY):
            r["moderation"] = None
        r |= {
            "output": copy.deepcopy(list(output)),
            "parallel_tool_calls": self.parallel_tool_calls,
            "presence_penalty": 0.0,
            "previous_response_id": self.previous_response_id,
            "prompt_cache_key": self.prompt_cache_key,
            "prompt_cache_retention": "in_memory" if self.era in (NEW, MAY) else None,
        }
        reasoning: Json = {"effort": self.effort, "summary": self.summary}
        if new:
            reasoning = {"context": None} | reasoning
        r |= {
            "reasoning": reasoning,
            "safety_identifier": None,
            "service_tier": tier,
            "store": self.store,
            "temperature": self.temperature,
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": self.tool_choice,
        }
        if new:
            r["tool_usage"] = {
                "image_gen": dict(TOOL_USAGE_ZERO),
                "web_search": {"num_requests": self.web_searches if status == "completed" else 0},
            }
        r |= {
            "tools": copy.deepcopy(self.tools),
            "top_logprobs": 0,
            "top_p": self.top_p,
            "truncation": "disabled",
            "usage": use,
            "user": None,
            "metadata": self.metadata,
        }
        return r


# The key order background-mode streams are replayed with (events after response.queued come
# out of a different store and are serialised in this scrambled order, without obfuscation).
def words(s: str) -> list[str]:
    return s.split()


SCRAMBLED_RESPONSE = words("""
    truncation tool_choice id usage status top_p temperature top_logprobs object created_at
    prompt_cache_key text incomplete_details frequency_penalty previous_response_id model
    safety_identifier metadata store output parallel_tool_calls error instructions
    max_output_tokens service_tier max_tool_calls prompt_cache_retention tools user background
    presence_penalty reasoning completed_at
""")
SCRAMBLED_EVENT = {
    "response.in_progress": words("type sequence_number response"),
    "response.completed": words("type sequence_number response"),
    "response.content_part.added": (
        words("type item_id part content_index output_index sequence_number")
    ),
    "response.output_text.delta": (
        words("type delta logprobs item_id content_index output_index sequence_number")
    ),
    "response.output_text.done": (
        words("type text logprobs item_id content_index output_index sequence_number")
    ),
    "response.content_part.done": (
        words("type item_id content_index part output_index sequence_number")
    ),
    "response.output_item.done": words("type item output_index sequence_number"),
}
SCRAMBLED_PART = words("annotations text logprobs type")
SCRAMBLED_MESSAGE = words("id content role status type")
SCRAMBLED_USAGE = words(
    "input_tokens input_tokens_details output_tokens_details output_tokens total_tokens"
)


def reorder(d: Json, keys: list[str]) -> Json:
    assert set(d) <= set(keys), set(d) - set(keys)
    return {k: d[k] for k in keys if k in d}


def scramble(ev: Json) -> Json:
    ev = reorder(ev, SCRAMBLED_EVENT[ev["type"]])
    if "response" in ev:
        r = reorder(ev["response"], SCRAMBLED_RESPONSE)
        r["text"] = {"verbosity": r["text"]["verbosity"], "format": r["text"]["format"]}
        if r["usage"]:
            r["usage"] = reorder(r["usage"], SCRAMBLED_USAGE)
        r["output"] = [reorder(o, SCRAMBLED_MESSAGE) for o in r["output"]]
        for o in r["output"]:
            o["content"] = [reorder(p, SCRAMBLED_PART) for p in o["content"]]
        ev["response"] = r
    if "part" in ev:
        ev["part"] = reorder(ev["part"], SCRAMBLED_PART)
    if "item" in ev:
        ev["item"] = reorder(ev["item"], SCRAMBLED_MESSAGE)
        ev["item"]["content"] = [reorder(p, SCRAMBLED_PART) for p in ev["item"]["content"]]
    return ev
