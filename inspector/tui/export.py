"""Export one exchange as JSON, or as a curl command that sends the same request again."""

from __future__ import annotations

import json
import shlex
from datetime import date, datetime
from pathlib import Path
from typing import Any

from addon.store.queries import short_id
from addon.wire.exchange import FINGERPRINT_PREFIX

from . import fmt
from .detail_render import decoded_body
from .fetch import Detail

# Headers curl sets itself, or that make no sense to send again.
SKIP_HEADERS = {
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
# A fingerprinted secret is sent again from an environment variable: this one for Azure's
# api-key header, OPENAI_API_KEY for any other.
KEY_VARIABLES = {"api-key": "AZURE_OPENAI_API_KEY"}


def _secret_from_env(name: str, value: str) -> str | None:
    """The header with its fingerprint replaced by a variable, or None if it holds none.
    Decided by the stored value (the recorder's `fp:` marker), so every header the recorder
    fingerprinted is covered, `--redact-header` ones included."""
    scheme, sep, token = value.partition(" ")
    variable = "${" + KEY_VARIABLES.get(name.lower(), "OPENAI_API_KEY") + "}"
    if sep and token.startswith(FINGERPRINT_PREFIX):
        return f"{name}: {scheme} {variable}"
    if value.startswith(FINGERPRINT_PREFIX):
        return f"{name}: {variable}"
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _body(text: str) -> Any:
    value = fmt.loads(text) if text else None
    return value if value is not None else (text or None)


def exchange_json(detail: Detail) -> str:
    """The exchange, its bodies decoded (JSON bodies as JSON), responses, items, events,
    findings; headers as stored (secrets are fingerprints already)."""
    ex = detail.exchange
    req_headers = fmt.headers(ex.get("request_headers"))
    resp_headers = fmt.headers(ex.get("response_headers"))
    skip = {
        "request_headers",
        "response_headers",
        "request_body",
        "response_body",
        "response_chunks",
        "websocket",
    }
    out: dict[str, Any] = {k: _plain(v) for k, v in ex.items() if k not in skip}
    out["request"] = {
        "method": ex.get("method"),
        "url": ex.get("url"),
        "headers": req_headers,
        "body": _body(decoded_body(ex.get("request_body"), req_headers)),
    }
    out["response"] = {
        "status": ex.get("status"),
        "headers": resp_headers,
        "body": _body(decoded_body(ex.get("response_body"), resp_headers)),
        "chunks": fmt.loads(ex.get("response_chunks")),
    }
    if ex.get("websocket"):
        out["websocket"] = fmt.loads(ex.get("websocket"))
    out["usage"] = {
        k: _plain(detail.row.get(k))
        for k in (
            "input_tokens",
            "cached_tokens",
            "output_tokens",
            "reasoning_tokens",
            "cost_usd",
            "ttft_ms",
        )
    }
    out["responses"] = [
        {k: (fmt.loads(v) if k == "raw" else _plain(v)) for k, v in r.items()}
        for r in detail.responses
    ]
    out["items"] = [
        {k: (fmt.loads(v) if k == "raw" else _plain(v)) for k, v in i.items()} for i in detail.items
    ]
    out["events"] = [{k: _plain(v) for k, v in e.items()} for e in detail.events]
    out["findings"] = [{k: _plain(v) for k, v in f.items()} for f in detail.findings]
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def curl_command(detail: Detail) -> str:
    """A shell script running curl with the recorded method, URL, headers and body.

    Secrets were never stored: the key comes from $OPENAI_API_KEY (or $AZURE_OPENAI_API_KEY).
    """
    ex = detail.exchange
    headers = fmt.headers(ex.get("request_headers"))
    url = ex.get("url") or f"https://{ex.get('host') or 'api.openai.com'}{ex.get('path')}"
    lines = [f"curl -sS -X {ex.get('method') or 'GET'} {shlex.quote(str(url))}"]
    if ex.get("streamed"):
        lines.append("-N")
    for name, value in headers:
        lower = name.lower()
        if lower in SKIP_HEADERS:
            continue
        secret = _secret_from_env(name, value)
        if secret is not None:
            lines.append(f'-H "{secret}"')
        else:
            lines.append(f"-H {shlex.quote(f'{name}: {value}')}")
    body = decoded_body(ex.get("request_body"), headers)
    head = ""
    if body:  # printf '%s' sends the body byte for byte (a heredoc would add a newline)
        head = f"printf '%s' {shlex.quote(body)} |\n"
        lines.append("--data-binary @-")
    note = (
        f"# exchange {ex.get('exchange_id')}: {ex.get('endpoint')} recorded "
        f"{_plain(ex.get('started_at'))}\n# the key was recorded as a fingerprint only: "
        "export OPENAI_API_KEY first\n"
    )
    return "#!/bin/sh\n" + note + head + " \\\n  ".join(lines) + "\n"


def default_name(detail: Detail, kind: str) -> str:
    return f"exchange-{short_id(detail.exchange_id)}.{'json' if kind == 'json' else 'curl.sh'}"


def write_export(detail: Detail, kind: str, path: Path) -> Path:
    """Write the export; returns the path written. Raises OSError."""
    text = exchange_json(detail) if kind == "json" else curl_command(detail)
    path = path.expanduser()
    path.write_text(text, encoding="utf-8")
    if kind == "curl":
        path.chmod(0o755)
    return path
