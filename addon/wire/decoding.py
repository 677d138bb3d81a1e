"""Incremental Content-Encoding decoding (gzip, deflate, br, zstd) for parsing only.

The raw bytes are never changed; this produces the decoded view the parsers read. Decoding is
per chunk so a long stream is parsed as it arrives and a huge body is never held decoded whole.
Failures (truncated or corrupt data) never raise: they are reported through `error`, and what
was decoded up to that point is still returned.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import brotli
import zstandard

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
SUPPORTED = ("gzip", "x-gzip", "deflate", "br", "zstd", "identity")


class _Stage(Protocol):
    def feed(self, data: bytes) -> bytes: ...
    def close(self) -> bytes: ...


class _Zlib:
    """gzip or deflate (zlib-wrapped or raw), told apart by the first bytes."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._obj: zlib._Decompress | None = None
        self._head = b""

    def feed(self, data: bytes) -> bytes:
        if self._obj is None:
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            if self._gzip:
                wbits = 31
            elif data[0] & 0x0F == 8 and int.from_bytes(data[:2], "big") % 31 == 0:
                wbits = 15  # zlib header
            else:
                wbits = -15  # raw deflate, as some servers send
            self._obj = zlib.decompressobj(wbits)
        out = self._obj.decompress(data)
        while self._obj.eof and self._obj.unused_data:  # concatenated gzip members
            rest = self._obj.unused_data
            self._obj = zlib.decompressobj(31 if self._gzip else 15)
            out += self._obj.decompress(rest)
        return out

    def close(self) -> bytes:
        if self._obj is None:
            if self._head:
                raise ValueError("body too short to be compressed")
            return b""
        out = self._obj.flush()
        if not self._obj.eof:
            raise ValueError("compressed body is truncated")
        return out


class _Brotli:
    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes) -> bytes:
        return self._obj.process(data)

    def close(self) -> bytes:
        if not self._obj.is_finished():
            raise ValueError("compressed body is truncated")
        return b""


class _Zstd:
    def __init__(self) -> None:
        self._obj = zstandard.ZstdDecompressor().decompressobj()
        self._any = False

    def feed(self, data: bytes) -> bytes:
        if data:
            self._any = True
        return self._obj.decompress(data)

    def close(self) -> bytes:
        if self._any and not self._obj.eof:
            raise ValueError("compressed body is truncated")
        return b""


def _stage(name: str) -> _Stage | None:
    if name in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if name == "deflate":
        return _Zlib(gzip=False)
    if name == "br":
        return _Brotli()
    if name == "zstd":
        return _Zstd()
    return None


def _looks_plain(data: bytes) -> bool:
    """Decoded text (JSON or SSE) stored under a compression header, as some cassettes do."""
    head = data.lstrip()[:6]
    return head[:1] in (b"{", b"[") or head.startswith((b"data:", b"event:", b"id:", b":"))


class BodyDecoder:
    """Decode a body encoded with `content_encoding`, one chunk at a time."""

    __slots__ = ("_first", "_stages", "error", "mismatch", "unsupported")

    def __init__(self, content_encoding: str | None) -> None:
        names = [n.strip().lower() for n in (content_encoding or "").split(",") if n.strip()]
        self.unsupported = [n for n in names if n not in SUPPORTED]
        self._stages: list[_Stage] = []
        if not self.unsupported:
            # Encodings are listed in the order applied: undo them last to first.
            self._stages = [s for s in (_stage(n) for n in reversed(names)) if s is not None]
        self._first = True
        self.error: str | None = None
        self.mismatch = False  # header said compressed, bytes were plain

    @property
    def active(self) -> bool:
        return bool(self._stages)

    def feed(self, data: bytes | memoryview) -> bytes:
        data = bytes(data)
        if not self._stages or self.error:
            return data if not self.error else b""
        if self._first and data:
            self._first = False
            if _looks_plain(data) and not data.startswith((GZIP_MAGIC, ZSTD_MAGIC)):
                self.mismatch = True
                self._stages = []
                return data
        try:
            for stage in self._stages:
                data = stage.feed(data)
        except Exception as exc:  # corrupt data of any codec: report, keep going without it
            self.error = f"cannot decode body: {exc}"
            return b""
        return data

    def close(self) -> bytes:
        if not self._stages or self.error:
            return b""
        out = b""
        try:
            for stage in self._stages:
                out = stage.feed(out) + stage.close() if out else stage.close()
        except Exception as exc:
            self.error = f"cannot decode body: {exc}"
        return out
