"""Request and response headers as the Python SDK sends them and api.openai.com answers."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from .common import SDK_FOR_ERA, Ids, epoch, http_date


def sdk_headers(
    era: str, key: str, *, os_: str = "MacOS", arch: str = "arm64", pyver: str = "3.12.7"
) -> list[tuple[str, str]]:
    v = SDK_FOR_ERA[era]
    return [
        ("user-agent", f"OpenAI/Python {v}"),
        ("x-stainless-lang", "python"),
        ("x-stainless-package-version", v),
        ("x-stainless-os", os_),
        ("x-stainless-arch", arch),
        ("x-stainless-runtime", "CPython"),
        ("x-stainless-runtime-version", pyver),
        ("authorization", f"Bearer {key}"),
        ("x-stainless-async", "false"),
    ]


class SessionHeaders:
    """The header half of a HAR session: SDK request headers, the server's response headers
    and the Cloudflare cookies the first response sets and later requests send back."""

    rng: random.Random
    ids: Ids
    era: str
    key: str
    client: dict[str, str]
    agent: list[tuple[str, str]] | None
    fresh: bool
    cookie: str | None
    project: str

    def request_headers(
        self,
        method: str,
        body: bytes | None,
        *,
        accept: str = "application/json",
        retry: int = 0,
        encoding: str = "gzip, deflate",
    ) -> list[tuple[str, str]]:
        if self.agent is not None:
            length = [("content-length", str(len(body)))] if body is not None else []
            return [("host", "api.openai.com"), *self.agent, *length]
        h = [
            ("host", "api.openai.com"),
            ("accept-encoding", encoding),
            ("connection", "keep-alive"),
            ("accept", accept),
        ]
        if body is not None:
            h.append(("content-type", "application/json"))
        h += sdk_headers(self.era, self.key, **self.client)
        h += [("x-stainless-retry-count", str(retry)), ("x-stainless-read-timeout", "600")]
        if self.cookie:
            h.append(("cookie", self.cookie))
        if body is not None:
            h.append(("content-length", str(len(body))))
        return h

    def response_headers(
        self,
        content_type: str,
        processing_ms: int,
        date: datetime,
        *,
        length: int | None,
        ratelimit: bool = False,
        extra: Iterable[tuple[str, str]] = (),
    ) -> list[tuple[str, str]]:
        h = [("Date", http_date(date)), ("Content-Type", content_type)]
        h.append(
            ("Content-Length", str(length))
            if length is not None
            else ("Transfer-Encoding", "chunked")
        )
        h += [("Connection", "keep-alive"), *extra]
        h += [
            ("access-control-expose-headers", "X-Request-ID"),
            ("openai-organization", "respdeck-demo-x7k2qa"),
            ("openai-processing-ms", str(processing_ms)),
            ("openai-project", self.project),
            ("openai-version", "2020-10-01"),
        ]
        if ratelimit:
            used = self.rng.randint(1200, 9000)
            h += [
                ("x-ratelimit-limit-requests", "10000"),
                ("x-ratelimit-limit-tokens", "10000000"),
                ("x-ratelimit-remaining-requests", "9999"),
                ("x-ratelimit-remaining-tokens", str(10000000 - used)),
                ("x-ratelimit-reset-requests", "6ms"),
                ("x-ratelimit-reset-tokens", "0s"),
            ]
        h += [
            ("x-request-id", self.ids.req()),
            ("x-envoy-upstream-service-time", str(processing_ms + self.rng.randint(2, 9))),
            ("CF-Cache-Status", "DYNAMIC"),
        ]
        if self.fresh:
            ts = int(epoch(date))
            bm = f"{self.ids.alnum(43)}-{ts}-1.0.1.1-{self.ids.alnum(86)}"
            uv = f"{self.ids.alnum(43)}-{ts}{self.rng.randint(100, 999)}-0.0.1.1-604800000"
            exp = (
                (date + timedelta(minutes=30)).astimezone(UTC).strftime("%a, %d-%b-%y %H:%M:%S GMT")
            )
            h += [
                (
                    "Set-Cookie",
                    f"__cf_bm={bm}; path=/; expires={exp}; domain=.api.openai.com;"
                    " HttpOnly; Secure; SameSite=None",
                ),
                (
                    "Set-Cookie",
                    f"_cfuvid={uv}; path=/; domain=.api.openai.com; HttpOnly;"
                    " Secure; SameSite=None",
                ),
            ]
            self.cookie = f"__cf_bm={bm}; _cfuvid={uv}"
        h += [
            ("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"),
            ("X-Content-Type-Options", "nosniff"),
            ("Server", "cloudflare"),
            ("CF-RAY", self.ids.ray()),
            ("alt-svc", 'h3=":443"; ma=86400'),
        ]
        return h

    def upgrade_headers(self, accept: str, date: datetime) -> list[tuple[str, str]]:
        """The 101 response to a WebSocket upgrade."""
        return [
            ("Date", http_date(date)),
            ("Connection", "upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Accept", accept),
            ("openai-organization", "respdeck-demo-x7k2qa"),
            ("openai-project", self.project),
            ("openai-version", "2020-10-01"),
            ("x-request-id", self.ids.req()),
            ("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"),
            ("Server", "cloudflare"),
            ("CF-RAY", self.ids.ray()),
        ]
