"""The README's schema section, generated from a freshly migrated database so it cannot drift.

uv run python -m addon.store.schema_doc --write README.md
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import duckdb

from .migrations import migrate

START, END = "<!-- schema:start -->", "<!-- schema:end -->"
ABOUT = {
    "captures": "one recording run or one imported file; `capture_id` a random UUID",
    "exchanges": "one HTTP exchange (or WebSocket session), with its raw bytes, exactly; "
    "`exchange_id` is uuid5(`capture_id`, `seq`), `seq` its place in its capture; from "
    "`input_tokens` on, what the list shows, stored at ingest: tokens summed over its "
    "responses, `response_status`, its one response's `response_model` and `service_tier` "
    "(what its cost is priced by), `ttft_ms`, `findings` and `worst_severity`",
    "responses": "response-level fields and token counts, one row per Response object",
    "items": "input, output and listed items, with plain text for search",
    "events": "stream events (SSE or WebSocket), with arrival time and the exact payload",
    "findings": "what is odd or wrong about an exchange (codes listed above)",
    "prices": "USD per 1M tokens: genai-prices' rows for each model seen, and RESPDECK_PRICES'",
    "price_matches": "what genai-prices made of each (host, model) seen, and its version",
    "resends": "each exchange `respdeck resend` made, linked to the recorded one it re-sent",
    "schema_version": "migrations applied",
    "usage": "one row per response (latest state per capture) with cost_usd",
    "threads": "responses chained into threads: previous_response_id, conversation or content",
    "tool_calls": "client-run tool calls joined with the output sent back",
}


def schema_markdown() -> str:
    conn = duckdb.connect()
    migrate(conn)
    objects = conn.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'main' ORDER BY table_type, table_name"
    ).fetchall()
    out = []
    for name, kind in objects:
        columns = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [name],
        ).fetchall()
        label = "view" if kind == "VIEW" else "table"
        out.append(f"- **`{name}`** ({label}): {ABOUT.get(name, '')}  ")
        out.append("  " + ", ".join(f"`{c}` {t.lower()}" for c, t in columns))
    return "\n".join(out)


def replace_block(text: str, block: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"no {START} ... {END} block")
    return pattern.sub(lambda _: f"{START}\n{block}\n{END}", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", type=Path, help="update the block in this file")
    args = parser.parse_args()
    block = schema_markdown()
    if args.write:
        args.write.write_text(replace_block(args.write.read_text(), block))
    else:
        sys.stdout.write(block + "\n")


if __name__ == "__main__":
    main()
