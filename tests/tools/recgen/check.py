"""The self-check run before anything is written: HAR timings and sizes, chunk boundaries,
gzip decodable chunk by chunk, pretty or compact JSON where the API sends it, and the SDK
validating every payload."""

from __future__ import annotations

import base64
import json
import zlib

import yaml

from .check_sdk import Validator, body_kind
from .check_stream import check_events, expect, parse_sse
from .common import MAX_FILE, MAX_TOTAL, Json, cj, pj


def check_chunks(chunks: list[list[float | int]], size: int, where: str, *, streamed: bool) -> None:
    expect(sum(int(c[1]) for c in chunks) == size, f"{where}: chunk sizes != body length")
    offs = [float(c[0]) for c in chunks]
    expect(offs == sorted(offs), f"{where}: chunk offsets not monotonic")
    if streamed:
        expect(300 <= offs[0] <= 800, f"{where}: TTFB {offs[0]} outside 300-800 ms")


def check_har(name: str, doc: Json, val: Validator) -> dict[str, int]:
    stats = {"midline": 0, "utf8": 0, "streams": 0}
    for i, e in enumerate(doc["log"]["entries"]):
        where = f"{name}#{i}"
        req, resp = e["request"], e["response"]
        path = "/" + req["url"].split("/", 3)[3].partition("?")[0]
        t = e["timings"]
        total = sum(max(t[k], 0) for k in ("blocked", "dns", "connect", "send", "wait", "receive"))
        expect(abs(total - e["time"]) < 0.01, f"{where}: timings do not add up to time")
        auth = next(h["value"] for h in req["headers"] if h["name"].lower() == "authorization")
        expect(auth.startswith("Bearer sk-test-"), f"{where}: key")
        if "_webSocketMessages" in e:
            expect(resp["status"] == 101, f"{where}: websocket status")
            msgs = e["_webSocketMessages"]
            times = [m["time"] for m in msgs]
            expect(times == sorted(times), f"{where}: ws times")
            run: list[Json] = []
            for m in msgs:
                data = json.loads(m["data"])
                if m["type"] == "send":
                    val("ws_client", data, where)
                    if run:
                        check_events(run, where)
                    run = []
                else:
                    val("ws_server", data, where)
                    run.append(data)
                    if data["type"].startswith("response.") and "response" in data:
                        val("response", data["response"], where)
            check_events(run, where)
            continue
        c = resp["content"]
        raw = base64.b64decode(c["text"]) if c.get("encoding") == "base64" else c["text"].encode()
        expect(resp["bodySize"] == len(raw), f"{where}: bodySize")
        streamed = c["mimeType"].startswith("text/event-stream")
        check_chunks(c["_chunks"], len(raw), where, streamed=streamed)
        if req.get("postData"):
            body = req["postData"]["text"].encode()
            cl = next(h["value"] for h in req["headers"] if h["name"] == "content-length")
            expect(int(cl) == len(body), f"{where}: content-length")
        enc = next((h["value"] for h in resp["headers"] if h["name"] == "Content-Encoding"), None)
        if enc == "gzip":
            decoded = zlib.decompress(raw, 31)
            expect(c["size"] == len(decoded), f"{where}: decoded size")
            # every chunk boundary must be decodable incrementally
            d = zlib.decompressobj(31)
            pos, got = 0, b""
            for _, n in c["_chunks"]:
                got += d.decompress(raw[pos : pos + int(n)])
                pos += int(n)
            expect(got == decoded, f"{where}: incremental gzip")
        else:
            decoded = raw
        if not streamed:
            obj = json.loads(decoded)
            expect(decoded.decode() == pj(obj), f"{where}: body is not 2-space pretty JSON")
            kind = body_kind(path, req["method"], obj)
            if kind:
                val(kind, obj, where)
            continue
        stats["streams"] += 1
        text = decoded.decode("utf-8")
        evs, tail = parse_sse(text)
        for ev_name, data in evs:
            expect(ev_name == data["type"], f"{where}: event name != type")
            expect(f"data: {cj(data)}\n" in text, f"{where}: data line is not compact JSON")
            val("event", data, where)
            if "response" in data:
                val("response", data["response"], where)
        partial = bool(tail)
        if partial:
            expect(tail.startswith("event: response.output_text.delta\ndata: {"), f"{where}: cut")
        check_events([d for _, d in evs], where, partial=partial)
        # chunk boundary statistics over the raw body
        pos = 0
        for _, n in c["_chunks"][:-1]:
            pos += int(n)
            if enc != "gzip":
                line_start = raw.rfind(b"\n", 0, pos) + 1
                if raw[line_start:pos].startswith(b"data: ") and raw[pos - 1 : pos] != b"\n":
                    stats["midline"] += 1
                if 0x80 <= raw[pos] < 0xC0:
                    stats["utf8"] += 1
    return stats


def check_files(files: dict[str, bytes]) -> None:
    val = Validator()
    total = 0
    stats_all = {"midline": 0, "utf8": 0, "streams": 0}
    for name, data in sorted(files.items()):
        total += len(data)
        expect(len(data) < MAX_FILE, f"{name}: {len(data)} bytes >= {MAX_FILE}")
        if name.endswith(".har"):
            stats = check_har(name, json.loads(data), val)
            for k, v in stats.items():
                stats_all[k] += v
            if name == "stream_text.har":
                expect(stats["utf8"] >= 1, "stream_text: no chunk splits a UTF-8 character")
        elif name.endswith(".sse"):
            evs, tail = parse_sse(data.decode())
            expect(not tail, f"{name}: trailing bytes")
            for _, d in evs:
                val("event", d, name)
                if "response" in d:
                    val("response", d["response"], name)
            check_events([d for _, d in evs], name)
        elif name.endswith(".yaml"):
            cas = yaml.safe_load(data)
            for it in cas["interactions"]:
                obj = json.loads(it["response"]["body"]["string"])
                val("response", obj, name)
    expect(total < MAX_TOTAL, f"recordings total {total} bytes >= {MAX_TOTAL}")
    expect(stats_all["midline"] >= 3, "too few chunk boundaries inside data lines")
    print(
        f"  {len(files)} files, {total} bytes; {stats_all['streams']} SSE bodies; "
        f"{stats_all['midline']} mid-line and {stats_all['utf8']} mid-UTF-8 chunk boundaries; "
        f"SDK validations: {val.counts['ok']} ok, {val.counts['expected_fail']} rejected on "
        "purpose (no cache_write_tokens / nested error)"
    )
