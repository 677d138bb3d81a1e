"""Exchanges as a shell script of curl commands that send the recorded requests again.

One command per exchange, each preceded by a comment naming it. Secrets were never stored:
a header that holds a fingerprint is sent from `$OPENAI_API_KEY` (`$AZURE_OPENAI_API_KEY`
for Azure's `api-key`). Bodies are sent byte for byte: `printf` piped into `--data-binary @-`
(text as a `%s` argument, anything else as octal escapes, so no byte depends on the shell's
locale or the script file's encoding).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Iterator

from addon.wire.exchange import FINGERPRINT_PREFIX, Exchange, Headers

from . import Format

# Headers curl sets itself, or that make no sense to send again.
SKIP_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "accept-encoding",
        "cookie",
        "transfer-encoding",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
    }
)
# A fingerprinted secret is sent again from an environment variable: this one for Azure's
# api-key header, OPENAI_API_KEY for any other.
KEY_VARIABLES = {"api-key": "AZURE_OPENAI_API_KEY"}
DEFAULT_KEY_VARIABLE = "OPENAI_API_KEY"
# What may stand inside a double-quoted shell word as itself.
_DOUBLE_QUOTE_SAFE = re.compile(r"[^\"$`\\!\r\n]*")
# Text bodies go in as a `%s` argument: UTF-8 without control characters but tab and newlines.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Bytes printf's format string may hold as themselves (printable ASCII but `%`, `\` and `'`).
_PLAIN_BYTES = frozenset(range(0x20, 0x7F)) - {ord("%"), ord("\\"), ord("'")}


def _secret_from_env(name: str, value: str) -> str | None:
    """The `-H` argument with the header's fingerprint replaced by a variable, or None if it
    holds none. Decided by the stored value (the recorder's `fp:` marker), so every header the
    recorder fingerprinted is covered, `--redact-header` ones included."""
    scheme, sep, token = value.partition(" ")
    variable = "${" + KEY_VARIABLES.get(name.lower(), DEFAULT_KEY_VARIABLE) + "}"
    if sep and token.startswith(FINGERPRINT_PREFIX):
        prefix = f"{name}: {scheme} "
    elif value.startswith(FINGERPRINT_PREFIX):
        prefix = f"{name}: "
    else:
        return None
    if _DOUBLE_QUOTE_SAFE.fullmatch(prefix):
        return f'"{prefix}{variable}"'
    return shlex.quote(prefix) + f'"{variable}"'


def _text_body(body: bytes) -> str | None:
    """The body as text when `printf '%s'` can send it unchanged, else None."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _CONTROL.search(text) else text


def printf_body(body: bytes) -> str:
    """A `printf` command writing exactly `body` to stdout (a heredoc would add a newline)."""
    text = _text_body(body)
    if text is not None:
        return f"printf '%s' {shlex.quote(text)}"
    escaped = "".join(chr(b) if b in _PLAIN_BYTES else f"\\{b:03o}" for b in body)
    return f"printf '{escaped}'"


def is_streaming(body: bytes) -> bool:
    """The request asks for a streamed response (`"stream": true` in its JSON body)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return isinstance(doc, dict) and doc.get("stream") is True


def header_args(headers: Headers) -> list[str]:
    """`-H` arguments for the headers worth sending again, in recorded order."""
    args = []
    for name, value in headers:
        lower = name.lower()
        if lower in SKIP_HEADERS or lower.startswith(":"):  # HTTP/2 pseudo-headers too
            continue
        secret = _secret_from_env(name, value)
        args.append(f"-H {secret if secret is not None else shlex.quote(f'{name}: {value}')}")
    return args


def curl_command(exchange: Exchange) -> str:
    """One curl command (and the printf feeding it a body) sending the recorded request."""
    request = exchange.request
    method = request.method or "GET"
    verb = "--head" if method.upper() == "HEAD" else f"-X {shlex.quote(method)}"
    args = [f"curl -sS {verb} {shlex.quote(request.url)}"]
    if is_streaming(request.body):
        args.append("-N")
    args += header_args(request.headers)
    head = ""
    if request.body:
        head = printf_body(request.body) + " |\n"
        args.append("--data-binary @-")
    return head + " \\\n  ".join(args) + "\n"


def _title(number: int, exchange: Exchange) -> str:
    exchange_id = getattr(exchange, "exchange_id", "")  # a StoredExchange says
    started = exchange.timings.started_at
    when = f" recorded {started.isoformat()}" if started is not None else ""
    name = f"{number} {exchange_id}" if exchange_id else f"{number}"
    line = f"# exchange {name}: {exchange.request.method} {exchange.request.url}"
    note = ""
    if exchange.websocket is not None:
        note = "\n# a WebSocket session: this sends its opening request only, not its messages"
    return " ".join((line + when).split()) + note + "\n"


def chunks(exchanges: Iterable[Exchange]) -> Iterator[bytes]:
    """The script: a header naming the variables, then one command per exchange."""
    yield (
        "#!/bin/sh\n# Recorded requests sent again by respdeck's curl export. Keys were "
        f"recorded as fingerprints only:\n# export {DEFAULT_KEY_VARIABLE} (or "
        f"{KEY_VARIABLES['api-key']} for Azure) before running it.\n"
    ).encode()
    for number, exchange in enumerate(exchanges, start=1):
        yield ("\n" + _title(number, exchange) + curl_command(exchange)).encode()


FORMAT = Format(
    "curl",
    ".sh",
    "a shell script of curl commands sending the requests again, bodies byte for byte",
    chunks,
)
