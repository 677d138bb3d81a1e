"""Stream events -> the Response they describe, as plain JSON, with integrity checks.

Works on the raw event dicts, so unknown fields and unknown item types survive. Each item is
built from its deltas; `output_item.done` then gives its final form. Where the two disagree,
or a `.done` value is not the concatenation of its deltas, a finding says so. A stream that
never reaches a terminal event still yields a partial Response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .findings import Finding, Severity

TERMINAL = frozenset({"response.completed", "response.failed", "response.incomplete"})
LIFECYCLE = frozenset({"response.created", "response.in_progress", "response.queued"}) | TERMINAL

# event type -> (container key inside the item, or None for the item itself; index key; field)
_APPEND: dict[str, tuple[str | None, str | None, str]] = {
    "response.output_text.delta": ("content", "content_index", "text"),
    "response.refusal.delta": ("content", "content_index", "refusal"),
    "response.reasoning_text.delta": ("content", "content_index", "text"),
    "response.reasoning_summary_text.delta": ("summary", "summary_index", "text"),
    "response.function_call_arguments.delta": (None, None, "arguments"),
    "response.custom_tool_call_input.delta": (None, None, "input"),
    "response.mcp_call_arguments.delta": (None, None, "arguments"),
    "response.code_interpreter_call_code.delta": (None, None, "code"),
}
# `.done` event -> (container, index key, field in the item, field in the event)
_SET: dict[str, tuple[str | None, str | None, str, str]] = {
    "response.output_text.done": ("content", "content_index", "text", "text"),
    "response.refusal.done": ("content", "content_index", "refusal", "refusal"),
    "response.reasoning_text.done": ("content", "content_index", "text", "text"),
    "response.reasoning_summary_text.done": ("summary", "summary_index", "text", "text"),
    "response.function_call_arguments.done": (None, None, "arguments", "arguments"),
    "response.custom_tool_call_input.done": (None, None, "input", "input"),
    "response.mcp_call_arguments.done": (None, None, "arguments", "arguments"),
    "response.code_interpreter_call_code.done": (None, None, "code", "code"),
}
_PARTS = {
    "response.content_part.added": ("content", "content_index"),
    "response.content_part.done": ("content", "content_index"),
    "response.reasoning_summary_part.added": ("summary", "summary_index"),
    "response.reasoning_summary_part.done": ("summary", "summary_index"),
}
# Status-only tool events: `response.web_search_call.searching` -> item status `searching`.
_STATUS_PREFIXES = (
    "response.web_search_call.",
    "response.file_search_call.",
    "response.code_interpreter_call.",
    "response.image_generation_call.",
    "response.mcp_call.",
)
_STATUS_WORDS = frozenset(
    {"in_progress", "searching", "completed", "generating", "interpreting", "failed"}
)


@dataclass
class Accumulated:
    """The Response a stream describes. `partial` when the stream had no terminal event."""

    response: dict[str, Any]
    terminal_type: str | None
    terminal_response: dict[str, Any] | None  # the server's own final Response, if sent
    partial: bool
    findings: list[Finding] = field(default_factory=list)


MAX_INDEX_GAP = 1024  # an index this far past the end is garbage, not a position


def _put(seq: list[Any], index: int, value: Any) -> None:
    """Place `value` at a position the server gave; a negative or absurdly large one (a
    hostile `output_index` of 2**32 would pad a list to it) appends, keeping the value."""
    if index < 0 or index > len(seq) + MAX_INDEX_GAP:
        seq.append(value)
        return
    while len(seq) <= index:
        seq.append(None)
    seq[index] = value


class Accumulator:
    """Feed event dicts in arrival order; `result()` gives the Response so far.

    What it is fed stays as it was: an added item is grown in a copy of its own (items are
    added nearly empty), and a done item is copied before anything changes it (nothing does,
    in a well-formed stream). So the item dicts the parser typed, and memoised by content
    (models.type_item), are the items as they arrived.
    """

    def __init__(self) -> None:
        self.snapshot: dict[str, Any] = {}
        self.output: list[Any] = []
        self.built: dict[int, dict[str, Any]] = {}  # output_index -> item built from deltas
        self.terminal_type: str | None = None
        self.terminal_response: dict[str, Any] | None = None
        self.findings: list[Finding] = []
        self._pending: dict[tuple[int, str], tuple[dict[str, Any], list[str]]] = {}
        # the last delta's target, so a run of deltas skips the lookups
        self._last_where: tuple[Any, ...] | None = None
        self._last_pieces: list[str] = []
        self._as_done: set[int] = set()  # output indices whose item is an output_item.done's

    def _where(self, index: int, event: dict[str, Any]) -> dict[str, Any]:
        return {"event_index": index, "sequence_number": event.get("sequence_number")}

    def _item(self, event: dict[str, Any]) -> dict[str, Any] | None:
        index = event.get("output_index")
        if not isinstance(index, int) or index < 0:
            return None
        item = self.built.get(index)
        if item is None:  # deltas without output_item.added: start an item so nothing is lost
            item = self.built[index] = {"id": event.get("item_id")}
            _put(self.output, index, item)
        elif index in self._as_done:  # changed after its output_item.done: a copy changes
            self._as_done.discard(index)
            item = self.built[index] = _own(item)
            _put(self.output, index, item)
        return item

    def _slot(
        self, item: dict[str, Any], container: str | None, key: str | None, event: dict[str, Any]
    ) -> dict[str, Any] | None:
        if container is None:
            return item
        index = event.get(key or "")
        if not isinstance(index, int) or index < 0:
            return None
        parts = item.setdefault(container, [])
        if not isinstance(parts, list):
            return None
        if len(parts) <= index or not isinstance(parts[index], dict):
            _put(parts, index, {})
        part: dict[str, Any] = parts[index]
        return part

    def _after_terminal(self, index: int, kind: str | None, event: dict[str, Any]) -> None:
        self.findings.append(
            Finding(
                "event_after_terminal",
                Severity.WARNING,
                f"{kind} arrived after {self.terminal_type}",
                **self._where(index, event),
            )
        )

    def feed(self, index: int, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if type(kind) is not str:
            kind = None
        append = _APPEND.get(kind) if kind is not None else None
        if append is not None:  # most events: a delta
            if self.terminal_type is not None:
                self._after_terminal(index, kind, event)
            container, key, name = append
            where = (kind, event.get("output_index"), event.get(key) if key else None)
            pieces = self._last_pieces if where == self._last_where else None
            delta = event.get("delta")
            if pieces is None:
                item = self._item(event)
                slot = self._slot(item, container, key, event) if item is not None else None
                if slot is None or not isinstance(delta, str):
                    return
                pieces = self._pieces(slot, name)
                self._last_where, self._last_pieces = where, pieces
            if isinstance(delta, str):
                pieces.append(delta)
            return
        if self.terminal_type is not None and kind != "keepalive":
            self._after_terminal(index, kind, event)
        if kind in LIFECYCLE:
            response = event.get("response")
            if isinstance(response, dict):
                self.snapshot.update({k: v for k, v in response.items() if k != "output"})
                if kind in TERMINAL:
                    self.terminal_response = response
            if kind in TERMINAL:
                self.terminal_type = kind
            return
        if kind == "response.output_item.added":
            self._flush()  # the delta cache must not point into a replaced item
            item = event.get("item")
            oi = event.get("output_index")
            if isinstance(item, dict) and isinstance(oi, int) and oi >= 0:
                built = _own(item)
                self.built[oi] = built
                self._as_done.discard(oi)
                _put(self.output, oi, built)
            return
        if kind == "response.output_item.done":
            self._item_done(index, event)
            return
        if kind in _SET:
            self._set_done(index, event, *_SET[kind])
            return
        if kind in _PARTS:
            self._flush()
            container, key = _PARTS[kind]
            item = self._item(event)
            slot = self._slot(item, container, key, event) if item is not None else None
            part = event.get("part")
            if slot is not None and isinstance(part, dict):
                kept = {k: v for k, v in slot.items() if isinstance(v, str) and v}
                slot.clear()
                slot.update(_own_part({k: v for k, v in part.items() if k != "status"}))
                if kind.endswith(".added"):
                    slot.update(kept)  # deltas that arrived before their part stay
            return
        if kind == "response.output_text.annotation.added":
            item = self._item(event)
            slot = self._slot(item, "content", "content_index", event) if item else None
            ai = event.get("annotation_index")
            if slot is not None and isinstance(ai, int) and ai >= 0:
                annotations = slot.setdefault("annotations", [])
                if isinstance(annotations, list):
                    _put(annotations, ai, event.get("annotation"))
            return
        if isinstance(kind, str) and kind.startswith(_STATUS_PREFIXES):
            word = kind.rsplit(".", 1)[-1]
            item = self._item(event)
            if item is not None and word in _STATUS_WORDS:
                item["status"] = word

    def _set_done(
        self,
        index: int,
        event: dict[str, Any],
        container: str | None,
        key: str | None,
        name: str,
        event_field: str,
    ) -> None:
        item = self._item(event)
        slot = self._slot(item, container, key, event) if item is not None else None
        final = event.get(event_field)
        if slot is None or not isinstance(final, str):
            return
        self._flush()
        built = slot.get(name)
        if isinstance(built, str) and built != final:
            self.findings.append(
                Finding(
                    "delta_mismatch",
                    Severity.ERROR,
                    f"{event.get('type')}: deltas give {len(built)} chars that differ from the "
                    f"{len(final)}-char final value",
                    **self._where(index, event),
                )
            )
        slot[name] = final

    def _item_done(self, index: int, event: dict[str, Any]) -> None:
        item = event.get("item")
        oi = event.get("output_index")
        if not isinstance(item, dict) or not isinstance(oi, int) or oi < 0:
            return
        self._flush()
        built = self.built.get(oi)
        for key in ("id", "call_id"):
            if built is not None and built.get(key) and item.get(key) != built.get(key):
                self.findings.append(
                    Finding(
                        "item_id_changed",
                        Severity.INFO,
                        f"output[{oi}] {key} was {built.get(key)} when added, "
                        f"{item.get(key)} when done",
                        **self._where(index, event),
                    )
                )
        if built is not None:
            done_fields = _streamed_fields(item)
            for name, value in _streamed_fields(built).items():
                if name in done_fields and done_fields[name] != value:
                    self.findings.append(
                        Finding(
                            "item_done_mismatch",
                            Severity.ERROR,
                            f"output_item.done for output[{oi}] has a different {name} than its "
                            "deltas built",
                            **self._where(index, event),
                        )
                    )
        final = item
        self.built[oi] = final
        self._as_done.add(oi)
        _put(self.output, oi, final)

    def _pieces(self, slot: dict[str, Any], name: str) -> list[str]:
        """Deltas are joined once, when read: repeated `+=` on a dict value is quadratic."""
        key = (id(slot), name)
        pending = self._pending.get(key)
        if pending is None:
            current = slot.get(name)
            pending = self._pending[key] = (slot, [current if isinstance(current, str) else ""])
        return pending[1]

    def _flush(self) -> None:
        for (_, name), (slot, pieces) in self._pending.items():
            slot[name] = "".join(pieces)
        self._pending.clear()
        self._last_where = None

    def fork(self) -> Accumulator:
        """A copy that can be fed and read without changing this one: a stream in flight is
        shown with the events of its unfinished tail, which may read otherwise once the rest
        arrives. The items this one grows are copied (as `_own` does, their text shared),
        items done are shared (they are copied before anything changes them)."""
        self._flush()
        other = Accumulator()
        copies = {
            id(item): _own(item) for oi, item in self.built.items() if oi not in self._as_done
        }
        other.snapshot = dict(self.snapshot)
        other.output = [copies.get(id(item), item) for item in self.output]
        other.built = {oi: copies.get(id(item), item) for oi, item in self.built.items()}
        other.terminal_type = self.terminal_type
        other.terminal_response = self.terminal_response
        other.findings = list(self.findings)
        other._as_done = set(self._as_done)
        return other

    def result(self) -> Accumulated:
        self._flush()
        response = dict(self.snapshot)
        response.setdefault("object", "response")
        response["output"] = [i for i in self.output if i is not None]
        partial = self.terminal_type is None
        if partial:
            response["status"] = "incomplete"
        return Accumulated(
            response, self.terminal_type, self.terminal_response, partial, self.findings
        )


def _own(item: dict[str, Any]) -> dict[str, Any]:
    """A copy of an item to grow: what accumulation changes (the item, its content and summary
    lists, their parts and the parts' annotations) copied, the rest shared."""
    out = dict(item)
    for container in ("content", "summary"):
        parts = out.get(container)
        if isinstance(parts, list):
            out[container] = [_own_part(p) if isinstance(p, dict) else p for p in parts]
    return out


def _own_part(part: dict[str, Any]) -> dict[str, Any]:
    out = dict(part)
    if isinstance(out.get("annotations"), list):
        out["annotations"] = list(out["annotations"])
    return out


def _streamed_fields(item: dict[str, Any]) -> dict[str, Any]:
    """The parts of an item that deltas build: text of parts, arguments, input, code."""
    out: dict[str, Any] = {}
    for name in ("arguments", "input", "code"):
        if isinstance(item.get(name), str):
            out[name] = item[name]
    for container, text_keys in (("content", ("text", "refusal")), ("summary", ("text",))):
        parts = item.get(container)
        if isinstance(parts, list) and parts:
            out[container] = [
                {k: p.get(k) for k in text_keys if k in p} if isinstance(p, dict) else p
                for p in parts
            ]
    return out


def compare_output(built: list[Any], final: list[Any]) -> str | None:
    """Why two output lists differ (items, order, text, call arguments), or None if they agree.

    Item ids are not compared: some providers (OpenRouter, Copilot) rotate them between the
    streamed items and the final response.
    """
    if len(built) != len(final):
        return f"{len(built)} items built from events, {len(final)} in the final response"
    for i, (a, b) in enumerate(zip(built, final, strict=True)):
        if not isinstance(a, dict) or not isinstance(b, dict):
            if a != b:
                return f"output[{i}] differs"
            continue
        if a.get("type") != b.get("type"):
            return f"output[{i}] is {a.get('type')} vs {b.get('type')}"
        fa, fb = _streamed_fields(a), _streamed_fields(b)
        for name in fa.keys() | fb.keys():
            if name == "content" and b.get("type") == "reasoning" and name not in fb:
                continue  # reasoning_text content not stored in the final response
            if fa.get(name) != fb.get(name):
                return f"output[{i}].{name} differs"
    return None
