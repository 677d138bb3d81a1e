"""Secrets in recorded text: where they are, what kind, and the text with fingerprints instead.

What is a secret is the recorder's own definition (`exchange.SECRET_HEADERS`, any field named
like an API key) plus the shapes keys have wherever they land (`sk-...` in a body, a `Bearer`
token in a log line). A fix writes what the recorder stores (`exchange.redact_value`, the same
`fingerprint`), so a fixed cassette holds the fingerprints a recording of it would.

The scan is textual, so it reads every format the same way: header lines, JSON and YAML maps
(VCR's lists of values, YAML's folded lines), HAR's `{"name": ..., "value": ...}` objects and
cookie lists, JSON quoted inside JSON or YAML strings, query strings, `.env` files. A value that
is a fingerprint or a placeholder (`is_placeholder`) is not a secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

from .exchange import FINGERPRINT_PREFIX, SECRET_HEADERS, fingerprint, redact_value

_FP_DIGITS = len(fingerprint("")) - len(FINGERPRINT_PREFIX)
FINGERPRINT_RE = re.compile(re.escape(FINGERPRINT_PREFIX) + f"[0-9a-f]{{{_FP_DIGITS}}}")

# Key prefixes: the part a report may show, and the kind it names. Longest first.
KEY_KINDS = {
    "sk-proj-": "openai-project-key",
    "sk-svcacct-": "openai-service-account-key",
    "sk-admin-": "openai-admin-key",
    "sk-ant-": "anthropic-key",
    "sk-or-": "openrouter-key",
    "sk-": "openai-key",
}
_KEY_RE = re.compile(r"(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin|ant|or)-)?[A-Za-z0-9_-]{20,}")
_BEARER_RE = re.compile(r"(?<![A-Za-z0-9_-])bearer[ \t]+([A-Za-z0-9._~+/=-]{16,})", re.I)

_AUTH = ("authorization", "proxy-authorization")


def _name_pattern(name: str) -> str:
    return re.escape(name).replace(r"\-", "[-_]")


# A field that holds a secret: a secret header's name, or anything named like an API key
# (`api_key`, `OPENAI_API_KEY`, `x-goog-api-key`), as a header, a JSON/YAML key or a query
# parameter. Then its separator; the value is read by `_values`.
_NAMES = "|".join(_name_pattern(n) for n in sorted(SECRET_HEADERS, key=len, reverse=True))
_FIELD_RE = re.compile(
    rf"(?<![A-Za-z0-9_-])(?P<name>{_NAMES}|[A-Za-z0-9_-]*api[-_]?key)(?P<quote>\\*[\"']?)"
    r"[ \t]*(?P<sep>[:=])",
    re.I,
)
_STRING = r'"((?:[^"\\]|\\.)*)"'
_HAR_NAMES = rf"(?:{_NAMES}|[A-Za-z0-9_-]*api[-_]?key)"
_HAR_PAIR_RE = re.compile(
    rf'"name"\s*:\s*"(?P<name>{_HAR_NAMES})"\s*,\s*"value"\s*:\s*{_STRING}'
    rf'|"value"\s*:\s*{_STRING}\s*,\s*"name"\s*:\s*"(?P<name2>{_HAR_NAMES})"',
    re.I,
)
_HAR_COOKIES_RE = re.compile(r'"cookies"\s*:\s*\[([^\]]*)\]')
_HAR_OBJECT_RE = re.compile(r"\{[^{}]*\}")
_HAR_NAME_RE = re.compile(rf'"name"\s*:\s*{_STRING}')
_HAR_VALUE_RE = re.compile(rf'"value"\s*:\s*{_STRING}')

# Placeholders: masks and templates, words, runs, and words no key is made of.
_MASK_RE = re.compile(r"[*<>{}\[\]$()…\s]|\.\.\.|^%\w+%$")
_RUN_RE = re.compile(r"([^0-9])\1{4,}|([0-9])\2{7,}|^[0-9]+$")
_XS_RE = re.compile(r"(?:^|[^a-z0-9])x{3,}(?:$|[^a-z0-9])", re.I)
PLACEHOLDER_WORDS = frozenset(
    {
        "redacted", "redact", "placeholder", "dummy", "fake", "test", "testing", "tests",
        "example", "sample", "sanitized", "filtered", "masked", "hidden", "removed", "mock",
        "mocked", "changeme", "replaceme", "invalid", "fixme", "todo", "your", "insert", "foo",
        "bar", "none", "null", "undefined",
    }
)  # fmt: skip
MIN_SECRET = 8  # shorter is no credential: a flag, a count, a word
# Cookies the infrastructure in front of an API sets for itself (Cloudflare's bot filter, load
# balancer stickiness): they name a visitor to the CDN, not an account, and are in every
# recording of api.openai.com. A header holding only these is no finding.
INFRASTRUCTURE_COOKIES = frozenset(
    {"__cf_bm", "_cfuvid", "__cflb", "awsalb", "awsalbcors", "arraffinity", "arraffinitysamesite"}
)


@dataclass(frozen=True, slots=True)
class Secret:
    """One secret in a text: the span of its value, what it is, and what a fix writes there."""

    start: int
    end: int
    line: int
    kind: str
    replacement: str


class _Span(NamedTuple):
    start: int
    end: int
    kind: str
    replacement: str


def is_placeholder(value: str) -> bool:
    """A value that stands in for a secret (`<API_KEY>`, `sk-proj-***`, `${OPENAI_API_KEY}`,
    `REDACTED`, `test_openai_api_key`, `sk-xxxx`, `12345678`) or is already a fingerprint.

    Keys are long random strings: no masks or template characters, no words, no runs of one
    character or counting sequences. The rule errs on the side of a finding: a real key
    trips it only by a chance of about one in 100,000.
    """
    value = value.strip().strip("\"'")
    if FINGERPRINT_RE.match(value) or len(value) < MIN_SECRET:
        return True
    if _MASK_RE.search(value) or _RUN_RE.search(value) or _XS_RE.search(value):
        return True
    segments = [s for s in re.split(r"[^A-Za-z0-9]+", value) if s]
    if any(s.lower() in PLACEHOLDER_WORDS for s in segments):
        return True
    if all(s.isalpha() and len(s) <= 16 for s in segments):
        return True  # words (`OPENAI_API_KEY`, `Sanitized`, `self.api_key`), not a key
    return _counts_up(value)


def _counts_up(value: str, length: int = 8) -> bool:
    """`12345678`, `abcdefgh`: a typed sequence."""
    run = 1
    for a, b in pairwise(value.lower()):
        run = run + 1 if ord(b) - ord(a) == 1 and b.isalnum() else 1
        if run >= length:
            return True
    return False


def key_kind(token: str) -> str | None:
    """The kind of an `sk-` key (None when it is not one, or a placeholder)."""
    for prefix, kind in KEY_KINDS.items():
        if token.startswith(prefix):
            if _KEY_RE.fullmatch(token) and not is_placeholder(token[len(prefix) :]):
                return kind
            return None
    return None


def classify(name: str, value: str) -> str | None:
    """The kind of secret a field named `name` holds in `value`; None when there is none."""
    lname = name.lower().replace("_", "-")
    value = value.strip()
    if lname in _AUTH:
        scheme, sep, token = value.partition(" ")
        secret = token.strip() if sep else value
        kind = "bearer-token" if scheme.lower() == "bearer" or not sep else "authorization"
    elif lname in ("cookie", "set-cookie"):
        pairs = value.split(";")[:1] if lname == "set-cookie" else value.split(";")
        named = [p.partition("=") for p in pairs]
        secret_cookie = any(_is_cookie_secret(n, v or n) for n, _, v in named)
        return lname if secret_cookie else None
    else:
        secret, kind = value, "azure-api-key" if lname == "api-key" else "api-key"
    if secret.startswith("sk-"):
        return key_kind(secret) or (None if is_placeholder(secret[3:]) else kind)
    return None if is_placeholder(secret) else kind


def _is_cookie_secret(name: str, value: str) -> bool:
    return name.strip().lower() not in INFRASTRUCTURE_COOKIES and not is_placeholder(value)


def fixed_value(name: str, value: str) -> str:
    """What the recorder stores for this field: its fingerprint (an auth scheme kept)."""
    lname = name.lower().replace("_", "-")
    return redact_value(lname, value) if lname in SECRET_HEADERS else fingerprint(value.strip())


def header_secrets(headers: Iterable[tuple[str, str]]) -> list[str]:
    """The kinds of secret in stored header pairs: by name, then keys inside any value."""
    kinds: list[str] = []
    for name, value in headers:
        if _FIELD_RE.fullmatch(f"{name}:"):
            kind = classify(name, value)
            if kind is not None:
                kinds.append(kind)
                continue
        kinds += [s.kind for s in find_secrets(value)]
    return kinds


def find_secrets(text: str) -> list[Secret]:
    """Every secret in `text`, in order; a span found by a field rule is not found again."""
    spans: list[_Span] = []
    for rule in (_field_spans, _har_spans, _har_cookie_spans, _key_spans, _bearer_spans):
        for span in rule(text):
            if not any(span.start < s.end and s.start < span.end for s in spans):
                spans.append(span)
    spans.sort()
    lines = _LineIndex(text)
    return [Secret(s.start, s.end, lines.line(s.start), s.kind, s.replacement) for s in spans]


def fix_text(text: str, secrets: Iterable[Secret]) -> str:
    """`text` with every secret's value replaced by its fingerprint."""
    out: list[str] = []
    pos = 0
    for secret in sorted(secrets, key=lambda s: s.start):
        out += [text[pos : secret.start], secret.replacement]
        pos = secret.end
    out.append(text[pos:])
    return "".join(out)


class _LineIndex:
    def __init__(self, text: str) -> None:
        self._starts = [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        from bisect import bisect_right

        return bisect_right(self._starts, offset) + 1


def _span(name: str, start: int, end: int, value: str) -> _Span | None:
    kind = classify(name, value)
    return None if kind is None else _Span(start, end, kind, fixed_value(name, value))


def _field_spans(text: str) -> Iterator[_Span]:
    for match in _FIELD_RE.finditer(text):
        name = match["name"]
        for start, end, value in _values(text, match.end(), match["sep"], name):
            span = _span(name, start, end, value)
            if span is not None:
                yield span


def _har_spans(text: str) -> Iterator[_Span]:
    for match in _HAR_PAIR_RE.finditer(text):
        group = 2 if match["name"] is not None else 3
        name = match["name"] or match["name2"]
        value = _unescape(match[group])
        span = _span(name, match.start(group), match.end(group), value)
        if span is not None:
            yield span


def _har_cookie_spans(text: str) -> Iterator[_Span]:
    for cookies in _HAR_COOKIES_RE.finditer(text):
        for cookie in _HAR_OBJECT_RE.finditer(text, cookies.start(1), cookies.end(1)):
            name = _HAR_NAME_RE.search(cookie[0])
            match = _HAR_VALUE_RE.search(cookie[0])
            if match is None:
                continue
            value = _unescape(match[1])
            if _is_cookie_secret(_unescape(name[1]) if name else "", value):
                base = cookie.start()
                yield _Span(
                    base + match.start(1), base + match.end(1), "cookie", fingerprint(value)
                )


def _key_spans(text: str) -> Iterator[_Span]:
    for match in _KEY_RE.finditer(text):
        kind = key_kind(match[0])
        if kind is not None:
            yield _Span(match.start(), match.end(), kind, fingerprint(match[0]))


def _bearer_spans(text: str) -> Iterator[_Span]:
    for match in _BEARER_RE.finditer(text):
        token = match[1]
        kind = key_kind(token) if token.startswith("sk-") else None
        if kind is not None or not is_placeholder(token):
            yield _Span(match.start(1), match.end(1), kind or "bearer-token", fingerprint(token))


# ---- reading a field's value, whatever the format around it


def _values(text: str, pos: int, sep: str, name: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, decoded value) of what follows a field's separator: a quoted string
    (escaped to any depth), a JSON list of them, a YAML block list, or a plain value."""
    i = _skip(text, pos, " \t")
    if i >= len(text):
        return
    if text[i] == "[":
        yield from _list_items(text, i + 1)
    elif text[i] in "\r\n" and sep == ":":
        yield from _block_items(text, i)
    elif (quoted := _quoted(text, i)) is not None:
        yield quoted
    elif text[i] not in "\r\n":
        yield from _plain(text, i, sep, name)


def _skip(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _quoted(text: str, i: int) -> tuple[int, int, str] | None:
    """A string opening at `i`: `"..."`, `'...'`, or `\\"...\\"` inside another string."""
    j = _skip(text, i, "\\")
    if j >= len(text) or text[j] not in "\"'":
        return None
    quote, depth = text[j], j - i
    start = j + 1
    if depth:  # quoted inside a string: ends where the same escaped quote comes back
        end = text.find("\\" * depth + quote, start)
        return None if end < 0 else (start, end, text[start:end])
    if quote == "'":  # YAML single-quoted (or Python): '' is a quote, lines fold
        k = start
        while (k := text.find("'", k)) >= 0 and text.startswith("''", k):
            k += 2
        if k < 0:
            return None
        raw = text[start:k]
        return start, k, re.sub(r"[ \t]*\r?\n[ \t]*", " ", raw).replace("''", "'")
    match = re.compile(r'(?:[^"\\\r\n]|\\.)*"').match(text, start)
    if match is None:
        return None
    end = match.end() - 1
    return start, end, _unescape(text[start:end])


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw


def _list_items(text: str, i: int) -> Iterator[tuple[int, int, str]]:
    while True:
        i = _skip(text, i, " \t\r\n")
        quoted = _quoted(text, i)
        if quoted is None:
            return
        yield quoted
        i = _skip(text, quoted[1] + 1 + (_depth(text, quoted[0])), " \t\r\n")
        if i >= len(text) or text[i] != ",":
            return
        i += 1


def _depth(text: str, start: int) -> int:
    """How many backslashes escaped the quote before `start`."""
    depth = 0
    while start - 2 - depth >= 0 and text[start - 2 - depth] == "\\":
        depth += 1
    return depth


_ITEM_RE = re.compile(r"[ \t]*-[ \t]+")


def _line_end(text: str, start: int) -> int:
    """Where the line holding `start` ends (before its CR LF or LF)."""
    nl = text.find("\n", start)
    end = len(text) if nl < 0 else nl
    return end - 1 if end > start and text[end - 1] == "\r" else end


def _block_items(text: str, i: int) -> Iterator[tuple[int, int, str]]:
    """YAML after `name:` and a line break: `- value` items, or a string folded onto the
    next line; a plain item continues on more-indented lines that are no new item or key."""
    line = i + (2 if text.startswith("\r\n", i) else 1)
    if (quoted := _quoted(text, _skip(text, line, " \t"))) is not None:
        yield quoted
        return
    while (item := _ITEM_RE.match(text, line)) is not None:
        start = item.end()
        quoted = _quoted(text, start)
        if quoted is not None:
            yield quoted
            end = quoted[1]
        else:
            indent = item.end() - line
            end = _line_end(text, start)
            parts = [text[start:end].strip()]
            while (more := _continuation(text, end, indent)) is not None:
                end, part = more
                parts.append(part)
            end = start + len(text[start:end].rstrip())
            if parts[0]:
                yield start, end, " ".join(parts)
        nl = text.find("\n", end)
        if nl < 0:
            return
        line = nl + 1


def _continuation(text: str, end: int, indent: int) -> tuple[int, str] | None:
    """The next line of a plain YAML scalar, if the line after `end` continues it."""
    nl = text.find("\n", end)
    if nl < 0:
        return None
    start = nl + 1
    body = text[start : _line_end(text, start)]
    stripped = body.lstrip(" \t")
    if (
        not stripped.strip()
        or len(body) - len(stripped) < indent
        or stripped.startswith(("- ", "#"))
        or re.match(r"[^\s:]+:(\s|$)", stripped)
    ):
        return None
    return start + len(body), stripped.strip()


def _plain(text: str, i: int, sep: str, name: str) -> Iterator[tuple[int, int, str]]:
    """A bare value: a header line's rest, or a query/env value up to its delimiter."""
    stop = r"\r\n\"'\\"
    if sep == "=":
        stop += r"\s&#;,)"
    elif name.lower().replace("_", "-") not in ("cookie", "set-cookie"):
        stop += r",}\]"
    match = re.compile(rf"[^{stop}]*").match(text, i)
    raw = match[0] if match else ""
    raw = re.sub(r"\s+#.*$", "", raw).rstrip()
    if raw:
        yield i, i + len(raw), raw
