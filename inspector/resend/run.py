"""One `respdeck resend` run: what is to be sent and whether it can be (`prepare`), what is
said before (`plan_lines`, with the estimate), then sending, recording and the diff (`run`).

Ids made by what goes out earlier in a run re-chain what goes out later: a capture re-run
(`prepare_capture`) maps each old response and conversation id to its new one, and so does a
list of ids given in order. Input and output are for the command to show; nothing here
prints or prompts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import duckdb
from rich.console import RenderableType
from rich.text import Text

from addon.store.queries import short_id
from inspector.diff import diff_exchanges, side_from_store, sides_from_store
from inspector.diff.captures import diff_captures
from inspector.diff.render import SECTIONS, TITLES, differs, exchange_renderables
from inspector.diff.render_runs import capture_renderables

from .edit import EditError, Edits
from .estimate import Estimate, estimate, recorded_tokens
from .original import Original, capture_ids, load_original, made_ids
from .plan import (
    default_upstream,
    json_object,
    key_use,
    outgoing_body,
    outgoing_headers,
    outgoing_message,
    plan_http,
    target_url,
)
from .refuse import notes, refusal
from .send import Recording, SendError, send_http
from .spread import spread, spread_lines
from .websocket import send_websocket


@dataclass(frozen=True, slots=True)
class Options:
    upstream: str | None = None  # None: where each request went when recorded
    edits: Edits = field(default_factory=Edits)
    times: int = 1
    key: str | None = None  # the API key itself: sent, never stored nor shown
    env: str = "OPENAI_API_KEY"
    # Called with each piece of the answer as it arrives (a body chunk, a server WebSocket
    # message), from the sending thread: how the TUI shows an answer growing.
    on_data: Callable[[bytes], None] | None = None


class Refused(Exception):
    """Nothing is sent: one line per reason."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(slots=True)
class Job:
    """One recorded exchange to send again, with its own edits (an `--edit` is per job)."""

    original: Original
    edits: Edits
    upstream: str


@dataclass(slots=True)
class Report:
    document: dict[str, Any]  # what --json prints
    renderables: list[RenderableType]  # what is printed otherwise
    trouble: list[str] = field(default_factory=list)  # sends that failed (one line each)


def _jobs(
    conn: duckdb.DuckDBPyConnection, named: list[tuple[str, str | None]], options: Options
) -> list[Job]:
    jobs, reasons, known = [], [], set[str]()
    for name, exchange_id in named:
        original = load_original(
            conn, name, key_available=options.key is not None, env=options.env, known=known,
            exchange_id=exchange_id,
        )  # fmt: skip
        if (reason := refusal(original.facts)) is not None:
            reasons.append(reason)
        known.update(made_ids(original.parsed))
        upstream = options.upstream or default_upstream(original.stored.request.url)
        job = Job(original, options.edits, upstream)
        try:
            _outgoing_bodies(job)
        except EditError as exc:
            reasons.append(f"{name}: {exc}")
        jobs.append(job)
    if reasons:
        raise Refused(reasons)
    return jobs


def prepare(conn: duckdb.DuckDBPyConnection, names: list[str], options: Options) -> list[Job]:
    """The exchanges `names` name, in that order; Refused when any cannot be re-sent."""
    return _jobs(conn, [(name, None) for name in names], options)


def prepare_capture(
    conn: duckdb.DuckDBPyConnection, name: str, options: Options
) -> tuple[str, list[Job]]:
    """A capture's exchanges in recorded order (its id and the jobs)."""
    capture, ids = capture_ids(conn, name)
    return capture, _jobs(conn, [(short_id(i), i) for i in ids], options)


def editable_body(job: Job) -> dict[str, Any]:
    """The body `--edit` opens: the recorded one with the `--set`s and `--unset`s made."""
    if job.original.websocket:
        raise EditError(
            f"{job.original.label} is a WebSocket session (a body per turn): use --set/--unset"
        )
    body = json_object(job.original.stored.request.body)
    if body is None:
        raise EditError(f"{job.original.label}: the recorded body is not a JSON object")
    edited = json_object(outgoing_body(job.original.stored.request.body, job.edits)[0])
    return edited if edited is not None else body


def _outgoing_bodies(job: Job) -> list[dict[str, Any]]:
    """The bodies as they will go out, ids not yet re-chained (a session's creates); raises
    EditError when an edit cannot apply."""
    stored = job.original.stored
    if stored.websocket is None:
        found = [json_object(outgoing_body(stored.request.body, job.edits)[0])]
    else:
        found = [
            json_object(outgoing_message(m.content, job.edits))
            for m in stored.websocket
            if m.from_client and m.is_text
        ]
    bodies = []
    for body in found:
        inner = body.get("response") if body is not None else None
        if isinstance(inner, dict):
            body = inner
        if body is not None:
            bodies.append(body)
    return bodies


def _planned_model(job: Job) -> str | None:
    """The model the request asks for as it will go out (a session's last turn's)."""
    for body in reversed(_outgoing_bodies(job)):
        if isinstance(body.get("model"), str):
            return str(body["model"])
    return job.original.parsed.model


def job_estimate(conn: duckdb.DuckDBPyConnection, job: Job) -> Estimate:
    rows = recorded_tokens(conn, job.original.exchange_id)
    return estimate(conn, rows, urlsplit(job.upstream).netloc, _planned_model(job))


def _what(job: Job) -> str:
    original = job.original
    stored = original.stored
    if original.websocket:
        turns = sum(1 for m in stored.websocket or [] if m.from_client)
        kind = f"WebSocket session, {turns} client messages"
    else:
        kind = "streamed" if original.parsed.request.stream else "not streamed"
    change = (
        ("edited: " + ", ".join(job.edits.described())) if job.edits else "the bytes as recorded"
    )
    url = target_url(stored.request.url, job.upstream)
    return f"{original.label} ({short_id(original.exchange_id)}): {stored.request.method} {url}" \
        f" · {_planned_model(job) or '?'} · {kind} · {change}"  # fmt: skip


def plan_lines(conn: duckdb.DuckDBPyConnection, jobs: list[Job], options: Options) -> list[str]:
    """What is about to be sent, the keys, notes and the estimate: said before sending."""
    lines = [_what(job) for job in jobs[:20]]
    if len(jobs) > 20:
        lines.append(f"... and {len(jobs) - 20} more")
    uses = {key_use(j.original.stored.request.headers, options.key, options.env) for j in jobs}
    for use in sorted(uses, key=lambda u: (u.recorded or "", u.in_use or "")):
        lines.append(use.describe())
        if use.mismatch:
            lines.append(
                f"note: the key in ${options.env} ({use.in_use}) is not the one recorded "
                f"({use.recorded})"
            )
    for job in jobs:
        lines += [f"note: {n}" for n in notes(job.original.facts)]
    costs = [job_estimate(conn, job) for job in jobs]
    total = Estimate(
        None if any(c.cost_usd is None for c in costs) else sum(c.cost_usd or 0 for c in costs),
        sum(c.input_tokens for c in costs),
        sum(c.output_tokens for c in costs),
        next((c.why_unknown for c in costs if c.why_unknown), None),
    )
    lines.append(total.describe(options.times))
    return lines


@dataclass(slots=True)
class Sent:
    exchange_id: str | None
    trouble: str | None = None


def send_job(recording: Recording, job: Job, options: Options, ids: dict[str, str]) -> Sent:
    """Send one job and store its answer; `ids` learns the ids it made."""
    stored = job.original.stored
    try:
        if stored.websocket is not None:
            changed: list[str] = []

            def outgoing(content: bytes) -> bytes:
                new = outgoing_message(content, job.edits, ids)
                if new != content and not changed:
                    changed.extend(job.edits.described() or ["re-chained"])
                return new

            url = target_url(stored.request.url, job.upstream, ids)
            headers, _ = outgoing_headers(
                stored.request.headers, urlsplit(url).netloc, options.key, None, websocket=True
            )
            captured = send_websocket(
                url, headers, stored.websocket, outgoing, ids, on_data=options.on_data
            )
        else:
            request = plan_http(
                stored.request.method, stored.request.url, stored.request.headers,
                stored.request.body, job.upstream, options.key, job.edits, ids,
            )  # fmt: skip
            changed = request.changed
            captured = send_http(request, on_data=options.on_data)
    except SendError as exc:
        return Sent(None, f"{job.original.label}: {exc}")
    exchange_id, parsed = recording.store(captured, job.original.exchange_id, changed)
    for old, new in zip(made_ids(job.original.parsed), made_ids(parsed), strict=False):
        ids[old] = new
    trouble = f"{job.original.label}: {captured.error}" if captured.error else None
    return Sent(exchange_id, trouble)


def _brief(doc: dict[str, Any]) -> str:
    if doc.get("same"):
        return "the same (volatile fields ignored)"
    found = [TITLES[s].split(" ")[0].lower() for s in SECTIONS[:3] if differs(doc, s)]
    return "different in " + (", ".join(found) or "outcome")


def run(conn: duckdb.DuckDBPyConnection, jobs: list[Job], options: Options, source: str) -> Report:
    """Send every job `options.times` times, in order, into one new capture; then each
    job's diffs against its original (and the spread of its answers)."""
    ids: dict[str, str] = {}
    upstream = jobs[0].upstream if jobs else ""
    sent: list[list[Sent]] = []
    with Recording(conn, source, upstream) as recording:
        for job in jobs:
            sent.append([send_job(recording, job, options, ids) for _ in range(options.times)])
    report = Report({"capture_id": recording.capture_id, "upstream": upstream, "resends": []}, [])
    for job, sends in zip(jobs, sent, strict=True):
        _report_job(conn, job, sends, report)
    return report


def _report_job(
    conn: duckdb.DuckDBPyConnection, job: Job, sends: list[Sent], report: Report
) -> None:
    label = job.original.label
    report.trouble += [s.trouble for s in sends if s.trouble]
    new_ids = [s.exchange_id for s in sends if s.exchange_id is not None]
    a = side_from_store(conn, job.original.exchange_id, label)
    b_sides = sides_from_store(conn, new_ids)
    docs = [diff_exchanges(a, b) for b in b_sides]
    entry: dict[str, Any] = {
        "original": job.original.exchange_id, "label": label, "exchanges": new_ids,
        "edits": job.edits.described(), "diffs": docs, "spread": None,
    }  # fmt: skip
    out = report.renderables
    for n, (b, doc) in enumerate(zip(b_sides, docs, strict=True)):
        status = b.http_status if b.http_status is not None else "no answer"
        took = b.timing.get("duration_ms")
        took_text = f" · {took:,.0f} ms" if isinstance(took, int | float) else ""
        count = f" ({n + 1} of {len(b_sides)})" if len(b_sides) > 1 else ""
        out.append(Text(f"sent {b.label}{count}, re-sending {label}: HTTP {status}{took_text}"
                        f" · {_brief(doc)}"))  # fmt: skip
    if docs:
        out += exchange_renderables(docs[0], label, b_sides[0].label)
    if len(b_sides) > 1:
        entry["spread"] = spread(a, b_sides)
        out += [Text(line) for line in spread_lines(entry["spread"])]
    report.document["resends"].append(entry)


def run_capture(
    conn: duckdb.DuckDBPyConnection, capture_id: str, jobs: list[Job], options: Options
) -> Report:
    """Re-run a capture in order, chains re-linked, then the capture diff (old, new)."""
    options = replace(options, times=1)
    ids: dict[str, str] = {}
    upstream = jobs[0].upstream if jobs else options.upstream or ""
    pairs: list[dict[str, Any]] = []
    trouble = []
    with Recording(conn, f"resend of capture {capture_id}", upstream) as recording:
        for job in jobs:
            result = send_job(recording, job, options, ids)
            pairs.append({"original": job.original.exchange_id, "exchange": result.exchange_id})
            if result.trouble:
                trouble.append(result.trouble)
    old = [j.original.exchange_id for j in jobs]
    new = [p["exchange"] for p in pairs if p["exchange"] is not None]
    doc = diff_captures(
        sides_from_store(conn, old), sides_from_store(conn, new),
        names=(capture_id, recording.capture_id),
    )  # fmt: skip
    document = {
        "capture_id": recording.capture_id, "upstream": upstream, "original_capture": capture_id,
        "exchanges": pairs, "ids": ids, "diff": doc,
    }  # fmt: skip
    head = Text(
        f"re-ran capture {short_id(capture_id)} as {short_id(recording.capture_id)}: "
        f"{len(new)} of {len(jobs)} sent, {sum(a != b for a, b in ids.items())} ids "
        "re-chained"
    )
    return Report(document, [head, *capture_renderables(doc)], trouble)
