"""WHATWG event-stream decoding, whatever the chunking."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from addon.wire.sse import SseDecoder, SseEvent, decode_all

STREAM = (
    "\ufeff: comment line\n"
    "event: response.created\n"
    'data: {"type":"response.created","sequence_number":0}\n'
    "\n"
    "retry: 1500\r\n"
    "id: 7\r\n"
    'data: {"type":"response.output_text.delta","delta":"caf\u00e9 \U0001f600"}\r\n'
    "\r\n"
    ":keep-alive\r"
    "data: line one\r"
    "data:line two\r"
    "\r"
    "data\n"
    "\n"
    "event: ignored-without-data\n"
    "\n"
    "unknown: field\n"
    "data: [DONE]"  # no final blank line at EOF
).encode()

EXPECTED = [
    SseEvent('{"type":"response.created","sequence_number":0}', "response.created"),
    SseEvent(
        '{"type":"response.output_text.delta","delta":"caf\u00e9 \U0001f600"}', None, "7", 1500
    ),
    SseEvent("line one\nline two", None, "7", 1500),
    SseEvent("", None, "7", 1500),
    SseEvent("[DONE]", None, "7", 1500),
]


def feed_in_pieces(data: bytes, cuts: list[int]) -> tuple[list[SseEvent], SseDecoder]:
    decoder = SseDecoder()
    events: list[SseEvent] = []
    last = 0
    for cut in sorted(set(cuts)):
        events += decoder.feed(data[last:cut])
        last = cut
    events += decoder.feed(data[last:])
    events += decoder.close()
    return events, decoder


def test_whole_stream_decodes_to_the_expected_events() -> None:
    events, decoder = feed_in_pieces(STREAM, [])
    assert events == EXPECTED
    assert decoder.comments == 2
    assert decoder.unterminated  # the last event had no blank line


def test_every_single_byte_split_gives_the_same_events() -> None:
    for cut in range(len(STREAM) + 1):
        assert feed_in_pieces(STREAM, [cut])[0] == EXPECTED, cut


def test_cr_lf_split_across_chunks_is_one_line_break() -> None:
    data = b"data: a\r\n\r\ndata: b\r\n\r\n"
    for cut in range(len(data) + 1):
        assert [e.data for e in feed_in_pieces(data, [cut])[0]] == ["a", "b"]


def test_byte_at_a_time() -> None:
    assert feed_in_pieces(STREAM, list(range(len(STREAM))))[0] == EXPECTED


def test_events_without_blank_line_between_them_are_split_on_event_field() -> None:
    data = b"event: a\ndata: 1\nevent: b\ndata: 2\n\n"
    decoder = SseDecoder()
    events = decoder.feed(data) + decoder.close()
    assert [(e.event, e.data) for e in events] == [("a", "1"), ("b", "2")]
    assert decoder.merged_events == 1


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert decode_all(b"data: \xff\xfe ok\n\n")[0].data == "\ufffd\ufffd ok"


def test_long_line_fed_in_small_pieces_is_linear() -> None:
    decoder = SseDecoder()
    piece = b"x" * 4096
    for _ in range(2000):  # 8 MB line, no line break until the end
        assert decoder.feed(piece) == []
    events = decoder.feed(b"\n\n")
    assert events == []  # "xxx..." is a field name without value: ignored, as the standard says
    assert decoder.close() == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=25))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    assert feed_in_pieces(STREAM, cuts)[0] == EXPECTED


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
            max_size=30,
        ),
        max_size=6,
    ),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.data(),
)
def test_generated_streams_with_any_line_ending_and_chunking(
    payloads: list[str], newline: str, data: st.DataObject
) -> None:
    text = "".join(f"data: {p}{newline}{newline}" for p in payloads)
    raw = text.encode()
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(raw)), max_size=10))
    events = feed_in_pieces(raw, cuts)[0]
    assert [e.data for e in events] == payloads


def test_a_line_longer_than_the_cap_is_cut_and_counted(monkeypatch) -> None:
    import addon.wire.sse as sse

    monkeypatch.setattr(sse, "MAX_LINE", 1000)
    decoder = SseDecoder()
    for _ in range(50):
        decoder.feed(b"data: " + b"x" * 100)
    events = decoder.feed(b"\n\ndata: ok\n\n") + decoder.close()
    assert decoder.overlong_lines == 1
    assert len(events[0].data) <= 1000 and events[1].data == "ok"


STREAM_LF = STREAM.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + b"\n\n\n\nevent: x\ndata: y\n\n"
EXPECTED_LF = [*EXPECTED, SseEvent("y", "x", "7", 1500)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM_LF)), max_size=25))
def test_lf_only_streams_any_chunking(cuts: list[int]) -> None:
    """LF-only streams take the whole-block fast path; it must agree with the line rules."""
    assert feed_in_pieces(STREAM_LF, cuts)[0] == EXPECTED_LF


def test_lf_only_every_split() -> None:
    for cut in range(len(STREAM_LF) + 1):
        assert feed_in_pieces(STREAM_LF, [cut])[0] == EXPECTED_LF, cut
