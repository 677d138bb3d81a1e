"""Incremental Server-Sent Events decoder following the WHATWG event-stream rules.

Feed it bytes as they arrive, split anywhere (mid-line, mid UTF-8 sequence, between CR and LF);
it yields the same events whatever the chunking. Two leniencies beyond the standard, both
counted so callers can report them: a pending event is dispatched at EOF even without the final
blank line, and an `event:` line that arrives while data is pending starts a new event (streams
whose events are not separated by blank lines).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A line longer than this is cut (and counted): no real event comes near it, and garbage without
# line breaks must not grow without bound.
MAX_LINE = 32 << 20


@dataclass(slots=True)
class SseEvent:
    """One dispatched event. `data` is the `data:` lines joined with LF."""

    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None


# An event as the decoder builds it: (data, event, id, retry), a plain tuple being far cheaper
# to make than an SseEvent; `feed` and `close` hand out SseEvents, the `_fields` forms tuples.
Fields = tuple[str, str | None, str | None, int | None]


class SseDecoder:
    """Stateful decoder: `feed(bytes) -> events`, then `close() -> events` at end of stream."""

    __slots__ = (
        "_bom_checked",
        "_data",
        "_decoder",
        "_event",
        "_has_data",
        "_overlong",
        "_pending",
        "_skip_lf",
        "_tail",
        "_tail_len",
        "comments",
        "last_event_id",
        "merged_events",
        "overlong_lines",
        "retry",
        "unterminated",
    )

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._tail: list[str] = []  # pieces of a long line that has no line break yet
        self._tail_len = 0
        self._overlong = False
        self.overlong_lines = 0  # lines cut at MAX_LINE
        self._skip_lf = False
        self._bom_checked = False
        self._data: list[str] = []
        self._has_data = False
        self._event: str | None = None
        self.last_event_id: str | None = None
        self.retry: int | None = None
        self.comments = 0
        self.merged_events = 0  # events split out of a stream with no blank line between them
        self.unterminated = False  # the stream ended inside an event (no final blank line)

    def feed(self, data: bytes | memoryview) -> list[SseEvent]:
        return [SseEvent(*fields) for fields in self.feed_fields(data)]

    def fork(self) -> SseDecoder:
        """A copy in the same state, to close without closing this one: a stream in flight is
        shown as if it ended at the bytes so far (addon/wire/incremental) while this decoder
        goes on with the next ones. Costs what is pending, not what was decoded."""
        other = SseDecoder.__new__(SseDecoder)
        for name in SseDecoder.__slots__:
            setattr(other, name, getattr(self, name))
        other._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        other._decoder.setstate(self._decoder.getstate())
        other._tail = list(self._tail)
        other._data = list(self._data)
        return other

    def close(self) -> list[SseEvent]:
        """Flush at EOF: a last line without line break and a last event without blank line."""
        return [SseEvent(*fields) for fields in self.close_fields()]

    def feed_fields(self, data: bytes | memoryview) -> list[Fields]:
        """`feed`, each event as (data, event, id, retry)."""
        return self._feed_text(self._decoder.decode(data))

    def close_fields(self) -> list[Fields]:
        """`close`, each event as (data, event, id, retry)."""
        out = self._feed_text(self._decoder.decode(b"", final=True))
        if self._tail:
            self._pending += "".join(self._tail)
            self._tail = []
            self._tail_len = 0
            self._overlong = False
        if self._pending:
            line, self._pending = self._pending, ""
            self._line(line, out)
        if self._has_data:
            self.unterminated = True
            self._dispatch(out)
        return out

    def _feed_text(self, text: str) -> list[Fields]:
        if not text:
            return []
        if not self._bom_checked:
            self._bom_checked = True
            text = text.removeprefix("\ufeff")
        if self._skip_lf:
            self._skip_lf = False
            if text.startswith("\n"):
                text = text[1:]
        if "\n" not in text and "\r" not in text:
            self._add_tail(text)  # no line ends here: avoid re-copying a growing line
            return []
        if self._tail:
            self._pending += "".join(self._tail)
            self._tail = []
            self._tail_len = 0
            self._overlong = False
        buf = self._pending + text
        out: list[Fields] = []
        if "\r" in buf:
            lines = _LINE_BREAK.split(buf)
            self._skip_lf = buf.endswith("\r")
        else:
            if not self._has_data and self._event is None and "\n\n" in buf:
                blocks = buf.split("\n\n")
                buf = blocks.pop()  # what follows the last blank line: lines, below
                self._blocks(blocks, out)
            lines = buf.split("\n")
        self._pending = lines.pop()
        line_of = self._line
        data = self._data
        for line in lines:
            # Fast path for the two lines nearly every event consists of; the rest goes the
            # general way. Same result either way.
            if line.startswith("data: "):
                data.append(line[6:])
                self._has_data = True
            elif line.startswith("event: ") and not self._has_data:
                self._event = line[7:]
            elif line or self._has_data or self._event is not None:
                line_of(line, out)
                data = self._data
        return out

    def _blocks(self, blocks: list[str], out: list[Fields]) -> None:
        """Whole events (text between blank lines, LF endings), starting between events.

        The usual `event: X` + `data: Y` block is read directly; any other block goes line by
        line, so the result is exactly what the line rules give.
        """
        for block in blocks:
            if block.startswith("event: "):
                nl = block.find("\n")
                if nl > 0 and block.startswith("data: ", nl + 1) and block.find("\n", nl + 1) < 0:
                    out.append((block[nl + 7 :], block[7:nl], self.last_event_id, self.retry))
                    continue
            elif block.startswith("data: ") and "\n" not in block:
                out.append((block[6:], None, self.last_event_id, self.retry))
                continue
            elif not block:
                continue  # two more line breaks: blank lines with nothing pending
            for line in block.split("\n"):
                self._line(line, out)
            self._line("", out)

    def _add_tail(self, text: str) -> None:
        room = MAX_LINE - len(self._pending) - self._tail_len
        if len(text) > room:
            if not self._overlong:  # first time past the cap for this line
                self._overlong = True
                self.overlong_lines += 1
            text = text[: max(room, 0)]
        if text:
            self._tail.append(text)
            self._tail_len += len(text)

    def _line(self, line: str, out: list[Fields]) -> None:
        if not line:
            if self._has_data:
                self._dispatch(out)
            else:
                self._event = None
            return
        if line[0] == ":":
            self.comments += 1
            return
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._has_data = True
        elif name == "event":
            if self._has_data:  # no blank line before the next event: dispatch the last one
                self.merged_events += 1
                self._dispatch(out)
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)
        # any other field name is ignored, as the standard says

    def _dispatch(self, out: list[Fields]) -> None:
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        out.append((data, self._event, self.last_event_id, self.retry))
        self._data = []
        self._has_data = False
        self._event = None


def decode_all(body: bytes) -> list[SseEvent]:
    """Decode a complete body in one go."""
    decoder = SseDecoder()
    return decoder.feed(body) + decoder.close()
