"""`respdeck scan`: secrets left in recordings (cassettes, HAR, any text file) or a database.

What a secret is and what replaces it are `addon.wire.secrets`' (the recorder's definitions);
this module walks the paths, reads the store's raw columns (not loaded Exchanges: loading
fingerprints headers, which would hide what is stored), prints where and what kind, never the
secret, and rewrites files with `--fix`.

Exit status: 0 clean, 1 secrets found (with `--fix`: found and not fixed), 2 bad input.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from addon.atomic import replace_file
from addon.wire.secrets import Secret, find_secrets, fix_text, header_secrets

from ._common import db_option, one_line, reading

if TYPE_CHECKING:
    from addon.store.reader import Reader

DUCKDB_MAGIC = (8, b"DUCK")  # offset and bytes of DuckDB's file header
PAGE = 200  # exchanges fetched at a time


@dataclass(slots=True)
class Tally:
    """What the summary line counts."""

    files: int = 0
    exchanges: int = 0
    databases: int = 0
    found: int = 0
    fixed: int = 0
    places: set[str] = field(default_factory=set)  # files and exchanges with a finding


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@db_option
@click.option(
    "--fix", is_flag=True, help="Rewrite files in place, secrets replaced by fingerprints."
)
@click.option("--backup", is_flag=True, help="With --fix: keep the original as FILE.bak.")
def scan(paths: tuple[Path, ...], db: Path | None, fix: bool, backup: bool) -> None:
    """Find secrets (API keys, bearer tokens, cookies) in PATHS (files, folders, databases)
    and --db; print file:line and the kind, never the secret. Exit 1 when any is found."""
    if not paths and db is None:
        raise click.UsageError("give a PATH to scan (a file, a folder, a .duckdb) or --db")
    if backup and not fix:
        raise click.UsageError("--backup goes with --fix")
    files, databases = targets(paths)
    if db is not None:
        databases.append(db)
    if fix and databases:
        raise click.ClickException(
            f"--fix rewrites files, not a database ({databases[0]}): the store is written only "
            "by its Writer; scan it without --fix, or re-import fixed recordings"
        )
    tally = Tally()
    for path in files:
        scan_file(path, tally, fix=fix, backup=backup)
    for path in databases:
        scan_database(path, tally)
    click.echo(summary(tally))
    sys.exit(1 if tally.found > tally.fixed else 0)


def targets(paths: tuple[Path, ...]) -> tuple[list[Path], list[Path]]:
    """The files and the databases to scan: folders walked (hidden folders skipped); bad input
    found before anything is scanned or rewritten."""
    files: list[Path] = []
    databases: list[Path] = []
    for path in paths:
        if not path.exists():
            raise click.ClickException(f"no such file or folder: {path}")
        found = sorted(_walk(path)) if path.is_dir() else [path]
        for each in found:
            if not each.is_file():  # a socket or a FIFO: nothing to read, or a read that hangs
                raise click.ClickException(f"not a regular file: {each}")
            if not os.access(each, os.R_OK):
                raise click.ClickException(f"cannot read {each}: permission denied")
            (databases if is_database(each) else files).append(each)
    return files, databases


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith(".") and (Path(root) / name).is_file():
                yield Path(root) / name


def is_database(path: Path) -> bool:
    """A DuckDB file: by its name or by its header."""
    if path.suffix == ".duckdb":
        return True
    offset, magic = DUCKDB_MAGIC
    try:
        with path.open("rb") as handle:
            return handle.read(offset + len(magic))[offset:] == magic
    except OSError:
        return False


def scan_file(path: Path, tally: Tally, *, fix: bool, backup: bool) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from exc
    tally.files += 1
    text = data.decode("utf-8", "surrogateescape")  # any bytes; a fix writes them back as read
    found = find_secrets(text)
    if not found:
        return
    tally.found += len(found)
    tally.places.add(str(path))
    fixed = fix and _fix(path, data, text, found, backup)
    for secret in found:
        click.echo(f"{path}:{secret.line}: {secret.kind}" + (" (fixed)" if fixed else ""))
    if fixed:
        tally.fixed += len(found)


def _fix(path: Path, data: bytes, text: str, found: list[Secret], backup: bool) -> bool:
    """Rewrite `path` with fingerprints, atomically; False (and why) when it must not be."""
    if b"\0" in data:
        click.echo(f"{path}: binary file, not fixed", err=True)
        return False
    new = fix_text(text, found).encode("utf-8", "surrogateescape")
    if not still_parses(path, data, new):
        click.echo(f"{path}: a fix would not parse as before, not fixed", err=True)
        return False
    try:
        mode = path.stat().st_mode
        if backup:
            bak = path.with_name(path.name + ".bak")
            replace_file(bak, data)  # private (0600): the backup holds the secrets
        replace_file(path, new)
        os.chmod(path, mode)  # the file keeps its own permissions
    except OSError as exc:
        raise click.ClickException(f"cannot rewrite {path}: {exc.strerror or exc}") from exc
    return True


def still_parses(path: Path, old: bytes, new: bytes) -> bool:
    """A JSON, JSONL, HAR or YAML file that parsed before the fix parses after it."""
    loaders = {".json": _json, ".har": _json, ".jsonl": _jsonl, ".yaml": _yaml, ".yml": _yaml}
    load = loaders.get(path.suffix.lower())
    if load is None or not load(old):
        return True
    return load(new)


def _json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def _jsonl(data: bytes) -> bool:
    return all(_json(line) for line in data.splitlines() if line.strip())


def _yaml(data: bytes) -> bool:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        yaml.load(data, Loader=loader)  # a safe loader (the C one when built)
    except yaml.YAMLError:
        return False
    return True


# ---- a database: every stored header and body, request and response, WebSocket payloads

_COLUMNS = (
    "exchange_id, url, request_headers, response_headers, request_body, response_body, "
    "websocket, websocket_frames, websocket_payload"
)


def scan_database(path: Path, tally: Tally) -> None:
    import duckdb

    from addon.store.queries import short_id

    tally.databases += 1
    with reading(path) as reader:
        try:
            for row in _rows(reader):
                tally.exchanges += 1
                where = f"{path}:exchange {short_id(row[0])}"
                for part, kind in exchange_secrets(row):
                    tally.found += 1
                    tally.places.add(where)
                    click.echo(f"{where} {part}: {kind}")
        except duckdb.Error as exc:
            raise one_line(exc) from exc


def _rows(reader: Reader) -> Iterator[tuple[object, ...]]:
    result = reader.execute(f"SELECT {_COLUMNS} FROM exchanges ORDER BY seq, exchange_id")
    while rows := result.fetchmany(PAGE):
        yield from rows


def exchange_secrets(row: tuple[object, ...]) -> Iterator[tuple[str, str]]:
    """(part, kind) per secret in one stored exchange's raw columns."""
    from addon.store.load import websocket_messages

    _, url, req_headers, resp_headers, req_body, resp_body, ws, frames, payload = row
    requests = _pairs(req_headers)
    responses = _pairs(resp_headers)
    for secret in find_secrets(str(url or "")):
        yield "request.url", secret.kind
    for kind in header_secrets(requests):
        yield "request.headers", kind
    for secret in find_secrets(_decoded(req_body, requests)):
        yield "request.body", secret.kind
    for kind in header_secrets(responses):
        yield "response.headers", kind
    for secret in find_secrets(_decoded(resp_body, responses)):
        yield "response.body", secret.kind
    messages = websocket_messages(
        str(ws) if ws is not None else None,
        str(frames) if frames is not None else None,
        bytes(payload) if isinstance(payload, bytes | bytearray | memoryview) else None,
    )
    for index, message in enumerate(messages or ()):
        text = message.content.decode("utf-8", "surrogateescape")
        for secret in find_secrets(text):
            yield f"websocket.{index}", secret.kind


def _pairs(raw: object) -> list[tuple[str, str]]:
    import orjson

    return [(str(k), str(v)) for k, v in orjson.loads(str(raw))] if raw else []


def _decoded(body: object, headers: list[tuple[str, str]]) -> str:
    """A stored body as text, content-decoded when it can be (else as stored)."""
    from addon.wire.decoding import BodyDecoder
    from addon.wire.exchange import header

    raw = bytes(body) if isinstance(body, bytes | bytearray | memoryview) else b""
    decoder = BodyDecoder(header(headers, "content-encoding"))
    if decoder.active:
        try:
            decoded = decoder.feed(raw) + decoder.close()
        except ValueError:
            decoded = b""
        if decoded and not decoder.error:
            raw = decoded
    return raw.decode("utf-8", "surrogateescape")


def summary(tally: Tally) -> str:
    """`scan: 3 secrets in 2 places; 16 files, 28 exchanges in 1 database scanned`."""
    scanned = [f"{tally.files} file{'s' if tally.files != 1 else ''}"]
    if tally.databases:
        scanned.append(
            f"{tally.exchanges} exchange{'s' if tally.exchanges != 1 else ''} in "
            f"{tally.databases} database{'s' if tally.databases != 1 else ''}"
        )
    where = ", ".join(scanned)
    if not tally.found:
        return f"scan: no secrets; {where} scanned"
    places = len(tally.places)
    line = (
        f"scan: {tally.found} secret{'s' if tally.found != 1 else ''} in {places} "
        f"place{'s' if places != 1 else ''}; {where} scanned"
    )
    if tally.fixed:
        line += f"; {tally.fixed} fixed"
    return line
