"""Incremental Content-Encoding decoding; failures become errors, never exceptions."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
import zstandard

from addon.wire.decoding import BodyDecoder

PLAIN = b'data: {"type":"response.output_text.delta","delta":"hello"}\n\n' * 200

ENCODERS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
}


def decode_in_chunks(encoding: str, data: bytes, size: int) -> tuple[bytes, BodyDecoder]:
    decoder = BodyDecoder(encoding)
    out = b"".join(decoder.feed(data[i : i + size]) for i in range(0, len(data), size))
    return out + decoder.close(), decoder


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
@pytest.mark.parametrize("size", [1, 7, 512, 1 << 20])
def test_each_encoding_decodes_incrementally(encoding: str, size: int) -> None:
    out, decoder = decode_in_chunks(encoding, ENCODERS[encoding](PLAIN), size)
    assert out == PLAIN
    assert decoder.error is None


def test_raw_deflate_without_zlib_header() -> None:
    compressor = zlib.compressobj(wbits=-15)
    data = compressor.compress(PLAIN) + compressor.flush()
    assert decode_in_chunks("deflate", data, 100)[0] == PLAIN


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd", "deflate"])
def test_truncated_body_is_an_error_with_the_decoded_prefix_kept(encoding: str) -> None:
    data = ENCODERS[encoding](PLAIN)
    out, decoder = decode_in_chunks(encoding, data[: len(data) // 2], 64)
    assert decoder.error is not None
    assert PLAIN.startswith(out)


def test_garbage_under_gzip_header_is_an_error_not_an_exception() -> None:
    _, decoder = decode_in_chunks("gzip", b"\x1f\x8b" + bytes(range(256)) * 4, 50)
    assert decoder.error is not None


def test_plain_body_under_compression_header_is_passed_through() -> None:
    out, decoder = decode_in_chunks("gzip", b'{"object": "response"}', 5)
    assert out == b'{"object": "response"}'
    assert decoder.mismatch and decoder.error is None


def test_stacked_encodings_are_undone_in_reverse_order() -> None:
    data = brotli.compress(gzip.compress(PLAIN))
    assert decode_in_chunks("gzip, br", data, 333)[0] == PLAIN


def test_unsupported_encoding_is_reported() -> None:
    decoder = BodyDecoder("compress")
    assert decoder.unsupported == ["compress"]
    assert decoder.feed(b"abc") == b"abc"
