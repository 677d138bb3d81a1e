"""Recognise a recording by its content and pick the reader for it.

Extensions lie (Prism saves SSE streams as .json, vercel/ai JSON lines as .txt), so the
decision is made on the bytes: SSE field lines, then JSON (whole document, else JSON lines),
then YAML for cassette-looking text; the parsed document's shape then names the dialect.
respdeck's own JSON lines are recognised first, by the marker key every line starts with
(`respdeck_jsonl`): their records would also pass for VCR.py JSON records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from addon.importers import (
    azure,
    bare_json,
    govcr,
    har,
    nock,
    raw_http,
    respdeck_jsonl,
    ruby_vcr,
    sse,
    vcrpy,
)
from addon.importers._common import ImportFailure, one_line
from addon.importers.yamlload import load_yaml
from addon.wire.exchange import Exchange

VCR = "VCR.py YAML/JSON cassettes"
RUBY = "Ruby/R VCR"
GOVCR = "go-vcr"
HAR = "HAR 1.2"
SSE_RAW = "raw SSE text"
SSE_JSONL = "SSE JSON lines"
RESPONSE_JSON = "Response JSON"
NOCK = "nock"
RESPDECK = "respdeck JSONL"  # respdeck's own export (`respdeck export --format jsonl`)
RAW_HTTP = "respdeck raw HTTP"  # `respdeck export --format raw`
FORMATS: tuple[str, ...] = (
    VCR, RUBY, GOVCR, HAR, SSE_RAW, SSE_JSONL, RESPONSE_JSON, NOCK, RESPDECK, RAW_HTTP,
)  # fmt: skip

# dialect name (what detect_format returns) -> the format family it belongs to
DIALECTS: dict[str, str] = {
    "VCR.py YAML cassette": VCR,
    "VCR.py JSON cassette": VCR,
    "VCR.py JSON record": VCR,
    "Azure test-proxy record": VCR,
    "Ruby/R VCR cassette": RUBY,
    "go-vcr cassette": GOVCR,
    "HAR 1.2": HAR,
    "raw SSE text": SSE_RAW,
    "SSE JSON lines": SSE_JSONL,
    "SSE JSON array": SSE_JSONL,
    "Response JSON": RESPONSE_JSON,
    "respdeck raw HTTP": RAW_HTTP,
    "error body JSON": RESPONSE_JSON,
    "request body JSON": RESPONSE_JSON,
    "Batch API JSON": RESPONSE_JSON,
    "nock recording": NOCK,
    "respdeck JSONL": RESPDECK,
}

_BOM = b"\xef\xbb\xbf"
_YAML_SUFFIXES = frozenset({".yaml", ".yml"})
_CASSETTE_KEY = re.compile(rb"^(?:http_)?interactions\s*:", re.M)
_SSE_DATA_LINE = re.compile(rb"^data[ \t]*:", re.M)
_NON_SPACE = re.compile(rb"\S")
_SNIFF = 65536
_JSON_SUFFIXES = frozenset({".json", ".har"})

Reader = Callable[[], list[Exchange]]


class UnknownFormatError(ImportFailure):
    """The file is readable but is none of the supported recording formats."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(
            f"{path}: not a recording respdeck can read (supported: {', '.join(FORMATS)})"
        )
        self.path = str(path)


@dataclass(frozen=True, slots=True)
class Detected:
    dialect: str
    read: Reader

    @property
    def family(self) -> str:
        return DIALECTS[self.dialect]


def _from_json_doc(doc: Any, data: bytes) -> Detected | None:
    """Dialects that only exist as JSON bodies (their bytes are kept as the body)."""
    if bare_json.is_api_object(doc):
        return Detected("Response JSON", lambda: bare_json.read_api_object(doc, data))
    if bare_json.is_batch_state(doc):
        return Detected("Batch API JSON", lambda: bare_json.read_batch_state(doc))
    if bare_json.is_batch_line(doc):  # a Batch file of one line
        return Detected("Batch API JSON", lambda: bare_json.read_batch_lines([doc]))
    if nock.is_recording(doc):
        return Detected("nock recording", lambda: nock.read_recording(doc))
    if sse.is_event_array(doc):
        return Detected("SSE JSON array", lambda: sse.read_event_array(doc))
    if sse.is_single_event(doc):
        return Detected("SSE JSON array", lambda: sse.read_event_array([doc]))
    if bare_json.is_error_body(doc):
        return Detected("error body JSON", lambda: bare_json.read_error_body(doc, data))
    if bare_json.is_request_body(doc):
        return Detected("request body JSON", lambda: bare_json.read_request_body(data))
    return None


def _from_doc(doc: Any, data: bytes, syntax: str) -> Detected | None:
    if syntax == "JSON" and respdeck_jsonl.is_record(doc):  # a one-line respdeck JSONL file
        return Detected("respdeck JSONL", lambda: respdeck_jsonl.read_records([doc]))
    if syntax == "JSON" and respdeck_jsonl.is_record_list(doc):  # lines gathered by `jq -s`
        return Detected("respdeck JSONL", lambda: respdeck_jsonl.read_records(doc))
    if har.is_har(doc):
        return Detected("HAR 1.2", lambda: har.read_har(doc))
    if ruby_vcr.is_cassette(doc):
        return Detected("Ruby/R VCR cassette", lambda: ruby_vcr.read_cassette(doc))
    if govcr.is_cassette(doc):
        return Detected("go-vcr cassette", lambda: govcr.read_cassette(doc))
    if vcrpy.is_cassette(doc):
        return Detected(f"VCR.py {syntax} cassette", lambda: vcrpy.read_cassette(doc))
    if azure.is_session(doc):
        return Detected("Azure test-proxy record", lambda: azure.read_session(doc))
    if vcrpy.is_record(doc):
        return Detected("VCR.py JSON record", lambda: vcrpy.read_record(doc))
    if isinstance(doc, list) and doc and all(vcrpy.is_record(r) for r in doc):
        return Detected(
            "VCR.py JSON record", lambda: [e for r in doc for e in vcrpy.read_record(r)]
        )
    return _from_json_doc(doc, data) if syntax == "JSON" else None


def _json_lines(path: Path, text: bytes, error: ValueError) -> Detected:
    records = respdeck_jsonl.record_lines(text)  # its marker key first: checked first
    if records is not None:
        return Detected("respdeck JSONL", lambda: respdeck_jsonl.read_lines(records))
    lines = sse.jsonl_events(text)
    if lines is not None:
        return Detected("SSE JSON lines", lambda: sse.read_jsonl(lines))
    try:
        objs = [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError:
        objs = []
    if objs and all(bare_json.is_batch_line(o) for o in objs):
        return Detected("Batch API JSON", lambda: bare_json.read_batch_lines(objs))
    if path.suffix.lower() in _JSON_SUFFIXES:
        raise ImportFailure(f"{path}: invalid JSON: {error}")
    raise UnknownFormatError(path)


def detect(path: Path, data: bytes) -> Detected:
    """Name the dialect of `data` (the content of `path`) and bind its reader."""
    text = data[len(_BOM) :] if data.startswith(_BOM) else data
    first = _NON_SPACE.search(text)
    if first is None:
        raise UnknownFormatError(path)
    head = text[first.start() : first.start() + _SNIFF]  # no copy of a big body
    if raw_http.looks_like_raw(head):
        return Detected("respdeck raw HTTP", lambda: raw_http.read_raw(data))
    if sse.looks_like_sse(head) and _SSE_DATA_LINE.search(head):
        return Detected("raw SSE text", lambda: sse.read_raw(data))
    if head[:1] in (b"{", b"["):
        try:
            doc = json.loads(text)
        except ValueError as exc:  # includes UnicodeDecodeError
            return _json_lines(path, text, exc)
        found = _from_doc(doc, data, "JSON")
        if found is None:
            raise UnknownFormatError(path)
        return found
    if path.suffix.lower() in _YAML_SUFFIXES or _CASSETTE_KEY.search(head):
        try:
            doc = load_yaml(data)
        except yaml.YAMLError as exc:
            raise ImportFailure(f"{path}: invalid YAML: {one_line(str(exc))}") from exc
        found = _from_doc(doc, data, "YAML")
        if found is not None:
            return found
    raise UnknownFormatError(path)
