"""`respdeck scan`: planted secrets are found in every format (file:line and kind, never the
secret), clean files and placeholders are not, `--fix` leaves files clean, parseable and
holding the recorder's fingerprints, and bad input is one line with exit 2.

The command runs in a real subprocess; databases are real DuckDB files made by `respdeck
import`."""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import yaml

from addon.store.queries import short_id
from addon.wire.exchange import fingerprint, redact_value

from .conftest import CORPUS, RECORDINGS
from .helpers import respdeck

# Made-up secrets, random like real ones (a pattern-looking key would be a placeholder).
PROJECT = "sk-proj-CbcQlWScqN1h2tUi0CJI27mSMcSEtW7CwjZa_LwSXpyV5l0VviGxtwWSno-X"
SVCACCT = "sk-svcacct-H-_SsPRgxk9y5UdHdX4mFkTSTQAsKbUdPxR__QFvXNL9fzDFcUiDdxAl8ZZw"
ADMIN = "sk-admin-RNb_6XfX9zkQ5nukDSePgYn4yefRMN_QMjWjhQtZLyM8m7ZfdU"
LEGACY = "sk-FMSok2zWzsk1Sy2LYWxujrwF8Bz5pCPXIAdjsmmplaG4Fer1"
LEGACY2 = "sk-v38uDM0roV0kNLxZVeSmG7tT7tOyurVbP8k2swhjHvaYq36n"
AZURE = "27f9d69588a1285f06fb0f8e1cae3142"
AZURE2 = "a551a557f9319f2dfee3de88baae4546"
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyXzkxIn0.ARDGf4Jyjco16YwGUtlAsGdNl183"
COOKIE = "rDKTGhtDjYrLKU0vMLUTuTIbL7uYpOvJVaWBj6Dl"
COOKIE2 = "Qm7Zr2Wk9Xv4Tn8Ls1Pd6Hb3Jc5Fg0"
COOKIE3 = "u8Nf3Kq1Ye6Rb9Zt2Wm5Xc7Vd4Ls0"
ALL = (PROJECT, SVCACCT, ADMIN, LEGACY, LEGACY2, AZURE, AZURE2, JWT, COOKIE, COOKIE2, COOKIE3)
CF_BM = "Xk2o9Qd7Lr4Ws1Zv8Tn5Hm3Jb6Pc0Fg-1771938497-1.0.1.1-a8Rj3Lq0Ns6Wd2Yt5Vm9"

Planted = list[tuple[str, str]]  # (secret text, kind), in file order
Builder = Callable[[], tuple[str, str, Planted]]  # -> (file name, text, planted)


def har() -> tuple[str, str, Planted]:
    """A shipped HAR with keys in headers, a cookie list, the body and the query string."""
    doc = json.loads((RECORDINGS / "stream_text.har").read_text())
    entry = doc["log"]["entries"][0]
    request, response = entry["request"], entry["response"]
    request["url"] += f"?api-key={AZURE}"
    for item in request["headers"]:
        if item["name"] == "authorization":
            item["value"] = f"Bearer {PROJECT}"
    request["headers"].append({"name": "Cookie", "value": f"__cf_bm={CF_BM}; session={COOKIE}"})
    request["cookies"] = [{"name": "__cf_bm", "value": CF_BM}, {"name": "sid", "value": COOKIE2}]
    body = json.loads(request["postData"]["text"])
    request["postData"]["text"] = json.dumps({**body, "api_key": LEGACY})
    response["headers"].append({"name": "Set-Cookie", "value": f"sid={COOKIE3}; path=/; Secure"})
    planted = [
        (AZURE, "azure-api-key"),
        (PROJECT, "openai-project-key"),
        (COOKIE, "cookie"),
        (COOKIE2, "cookie"),
        (LEGACY, "openai-key"),
        (COOKIE3, "set-cookie"),
    ]
    return "leaky.har", json.dumps(doc, indent=2, ensure_ascii=False), planted


def vcr_yaml() -> tuple[str, str, Planted]:
    """A VCR.py cassette as VCR.py writes it: header lists, a long body string PyYAML folds,
    and a Set-Cookie folded onto a second line."""
    body = {"model": "gpt-4.1-mini", "input": "Write a haiku about the sea. " * 4}
    cassette = {
        "interactions": [
            {
                "request": {
                    "body": json.dumps({**body, "api_key": ADMIN}),
                    "headers": {
                        "authorization": [f"Bearer {SVCACCT}"],
                        "api-key": [AZURE2],
                        "content-type": ["application/json"],
                    },
                    "method": "POST",
                    "uri": "https://example.openai.azure.com/openai/v1/responses",
                },
                "response": {
                    "body": {"string": '{"id": "resp_1", "object": "response"}'},
                    "headers": {
                        "Set-Cookie": [
                            f"__cf_bm={CF_BM}; path=/; HttpOnly",
                            f"session={COOKIE}; path=/; expires=Sat, 03-May-25 05:12:55 GMT; "
                            "domain=.api.openai.com; HttpOnly; Secure; SameSite=None",
                        ]
                    },
                    "status": {"code": 200, "message": "OK"},
                },
            }
        ],
        "version": 1,
    }
    planted = [
        (ADMIN, "openai-admin-key"),
        (SVCACCT, "openai-service-account-key"),
        (AZURE2, "azure-api-key"),
        (COOKIE, "set-cookie"),
    ]
    return "cassette.yaml", yaml.safe_dump(cassette), planted


def vcr_json() -> tuple[str, str, Planted]:
    """A JSON cassette, header values as lists over several lines."""
    cassette = {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": "https://api.openai.com/v1/responses",
                    "body": json.dumps({"model": "gpt-4.1-mini", "input": "hi"}),
                    "headers": {"Authorization": [f"Bearer {JWT}"], "x-api-key": [COOKIE2]},
                },
                "response": {"status": {"code": 200}, "headers": {}, "body": {"string": "{}"}},
            }
        ],
    }
    return (
        "cassette.json",
        json.dumps(cassette, indent=4),
        [(JWT, "bearer-token"), (COOKIE2, "api-key")],
    )


def env_file() -> tuple[str, str, Planted]:
    text = (
        "# local settings\n"
        f"OPENAI_API_KEY={LEGACY2}\n"
        "OPENAI_BASE_URL=https://api.openai.com/v1\n"
        f"AZURE_OPENAI_API_KEY={AZURE}\n"
        "DEBUG=1\n"
    )
    return "settings.env", text, [(LEGACY2, "openai-key"), (AZURE, "api-key")]


def jsonl() -> tuple[str, str, Planted]:
    lines = [
        {"custom_id": "a", "method": "POST", "url": "/v1/responses", "body": {"input": "hi"}},
        {"custom_id": "b", "headers": {"authorization": f"Bearer {PROJECT}"}, "body": {}},
        {"custom_id": "c", "body": {"input": "hi", "metadata": {"note": SVCACCT}}},
    ]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    return (
        "batch.jsonl",
        text,
        [(PROJECT, "openai-project-key"), (SVCACCT, "openai-service-account-key")],
    )


def sse() -> tuple[str, str, Planted]:
    events = [
        {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}},
        {"type": "response.output_text.delta", "delta": f"your key is {LEGACY}"},
        {"type": "response.output_text.delta", "delta": f"send Authorization: Bearer {JWT}"},
        {"type": "response.completed", "response": {"id": "resp_1", "status": "completed"}},
    ]
    text = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    return "stream.sse", text, [(LEGACY, "openai-key"), (JWT, "bearer-token")]


FORMATS: dict[str, Builder] = {
    "har": har,
    "vcr-yaml": vcr_yaml,
    "vcr-json": vcr_json,
    "env": env_file,
    "jsonl": jsonl,
    "sse": sse,
}


def line_of(text: str, needle: str) -> int:
    assert text.count(needle) == 1, f"{needle[:12]} should be planted once"
    return text[: text.index(needle)].count("\n") + 1


def assert_no_secret(output: str) -> None:
    """No secret, nor any piece of one past the kind's fixed prefix, is printed."""
    for secret in ALL:
        tail = secret.split("-")[-1] if secret.startswith("sk-") else secret
        assert tail[:6] not in output, f"{secret[:9]}... leaked into the output"
    assert "fp:" not in output


def parses(path: Path) -> object:
    text = path.read_text()
    if path.suffix in (".har", ".json"):
        return json.loads(text)
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines()]
    if path.suffix == ".yaml":
        return yaml.safe_load(text)
    return text


@pytest.mark.parametrize("fmt", FORMATS)
def test_planted_secrets_are_found_where_they_are(fmt: str, tmp_path: Path) -> None:
    name, text, planted = FORMATS[fmt]()
    (tmp_path / name).write_text(text)
    result = respdeck("scan", name, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    *findings, summary = result.stdout.splitlines()
    expected = sorted((line_of(text, s), kind) for s, kind in planted)
    assert findings == [f"{name}:{line}: {kind}" for line, kind in expected]
    assert (
        summary
        == f"scan: {len(planted)} secret{'s' * (len(planted) > 1)} in 1 place; 1 file scanned"
    )
    assert result.stderr == ""
    assert_no_secret(result.stdout)


@pytest.mark.parametrize("fmt", FORMATS)
def test_fix_leaves_the_file_clean_and_parseable(fmt: str, tmp_path: Path) -> None:
    name, text, planted = FORMATS[fmt]()
    path = tmp_path / name
    path.write_text(text)
    before = parses(path)
    result = respdeck("scan", "--fix", name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    *findings, summary = result.stdout.splitlines()
    assert len(findings) == len(planted) and all(f.endswith(" (fixed)") for f in findings)
    assert summary.endswith(f"; {len(planted)} fixed")
    assert_no_secret(result.stdout + result.stderr)
    fixed = path.read_text()
    assert not any(secret in fixed for secret, _ in planted)
    for secret, kind in planted:
        if kind.startswith("openai-") or kind == "bearer-token":
            assert fingerprint(secret) in fixed  # the recorder's fingerprint, not a new one
    assert type(parses(path)) is type(before)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no backup, no temp file
    again = respdeck("scan", name, cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "scan: no secrets; 1 file scanned\n")


def test_fixed_yaml_holds_what_the_recorder_stores(tmp_path: Path) -> None:
    """Header values become redact_value's output: the scheme kept, a folded Set-Cookie
    fingerprinted whole, as YAML reads it."""
    name, text, _ = vcr_yaml()
    path = tmp_path / name
    path.write_text(text)
    original = yaml.safe_load(text)["interactions"][0]
    assert respdeck("scan", "--fix", name, cwd=tmp_path).returncode == 0
    fixed = yaml.safe_load(path.read_text())["interactions"][0]
    for side in ("request", "response"):
        for header, values in original[side]["headers"].items():
            want = [
                redact_value(header, v) if header.lower() != "content-type" else v for v in values
            ]
            if header == "Set-Cookie":  # Cloudflare's own cookie is no secret: left alone
                want[0] = values[0]
            assert fixed[side]["headers"][header] == want
    assert json.loads(fixed["request"]["body"])["api_key"] == fingerprint(ADMIN)


def test_fixed_har_imports_with_the_headers_a_recording_stores(tmp_path: Path) -> None:
    """Importing the fixed HAR stores the same headers as importing the original (which the
    importer fingerprints itself): fixed files match recorded ones."""
    name, text, _ = har()
    (tmp_path / "original.har").write_text(text)
    (tmp_path / name).write_text(text)
    assert respdeck("scan", "--fix", name, cwd=tmp_path).returncode == 0
    headers = []
    for source in ("original.har", name):
        db = tmp_path / f"{source}.duckdb"
        imported = respdeck("import", source, "--db", str(db), cwd=tmp_path)
        assert imported.returncode == 0, imported.stderr
        with duckdb.connect(str(db), read_only=True) as conn:
            headers.append(conn.execute("SELECT request_headers FROM exchanges").fetchall())
    assert headers[0] == headers[1]
    assert f"Bearer {fingerprint(PROJECT)}" in str(headers[1])


def test_backup_keeps_the_original_and_the_file_keeps_its_mode(tmp_path: Path) -> None:
    name, text, _ = env_file()
    path = tmp_path / name
    path.write_text(text)
    path.chmod(0o644)
    result = respdeck("scan", "--fix", "--backup", name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / f"{name}.bak").read_text() == text
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert LEGACY2 not in path.read_text()
    assert stat.S_IMODE((tmp_path / f"{name}.bak").stat().st_mode) == 0o600  # holds secrets


def test_a_folder_is_scanned_recursively(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.env").write_text(f"OPENAI_API_KEY={LEGACY}\n")
    (tmp_path / "a" / "clean.txt").write_text("nothing here\n")
    result = respdeck("scan", "a", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "a/b/deep.env:1: openai-key",
        "scan: 1 secret in 1 place; 2 files scanned",
    ]


def _database(tmp_path: Path) -> tuple[Path, str, str]:
    """A store made by importing two HARs: a key in a request body, one in a WebSocket
    message (and a key in a header, which the importer fingerprints itself)."""
    doc = json.loads((RECORDINGS / "stream_text.har").read_text())
    request = doc["log"]["entries"][0]["request"]
    request["headers"].append({"name": "api-key", "value": AZURE})
    body = json.loads(request["postData"]["text"])
    request["postData"]["text"] = json.dumps({**body, "api_key": LEGACY})
    (tmp_path / "body.har").write_text(json.dumps(doc))
    doc = json.loads((RECORDINGS / "websocket.har").read_text())
    messages = doc["log"]["entries"][0]["_webSocketMessages"]
    first = json.loads(messages[0]["data"])
    messages[0]["data"] = json.dumps({**first, "metadata": {"token": PROJECT}})
    (tmp_path / "ws.har").write_text(json.dumps(doc))
    db = tmp_path / "store.duckdb"
    imported = respdeck("import", "body.har", "ws.har", "--db", str(db), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    with duckdb.connect(str(db), read_only=True) as conn:
        ids = dict(conn.execute(
            "SELECT c.source, e.exchange_id FROM exchanges e JOIN captures c USING (capture_id)"
            " WHERE e.request_body::VARCHAR LIKE '%api_key%' OR e.websocket IS NOT NULL"
        ).fetchall())  # fmt: skip
    by_name = {Path(source).name: short_id(i) for source, i in ids.items()}
    return db, by_name["body.har"], by_name["ws.har"]


@pytest.mark.parametrize("how", ["path", "--db"])
def test_a_database_reports_exchange_and_part(how: str, tmp_path: Path) -> None:
    db, body_id, ws_id = _database(tmp_path)
    args = ("store.duckdb",) if how == "path" else ("--db", "store.duckdb")
    result = respdeck("scan", *args, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    *findings, summary = result.stdout.splitlines()
    assert sorted(findings) == sorted([
        f"store.duckdb:exchange {body_id} request.body: openai-key",
        f"store.duckdb:exchange {ws_id} websocket.0: openai-project-key",
    ])  # fmt: skip
    (total,) = duckdb.connect(str(db), read_only=True).execute(
        "SELECT count(*) FROM exchanges"
    ).fetchone() or (0,)
    assert (
        summary == f"scan: 2 secrets in 2 places; 0 files, {total} exchanges in 1 database scanned"
    )
    assert_no_secret(result.stdout)


def test_fix_refuses_a_database_and_leaves_it_alone(tmp_path: Path) -> None:
    db, _, _ = _database(tmp_path)
    before = db.read_bytes()
    result = respdeck("scan", "--fix", "store.duckdb", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "--fix" in lines[0] and "Writer" in lines[0]
    assert db.read_bytes() == before


def test_shipped_recordings_are_clean() -> None:
    files = [p for p in RECORDINGS.rglob("*") if p.is_file() and not p.name.startswith(".")]
    files = [p for p in files if p.suffix != ".duckdb" and ".duckdb." not in p.name]
    result = respdeck("scan", *map(str, files))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"scan: no secrets; {len(files)} files scanned\n"


PLACEHOLDERS = """\
Authorization: Bearer <API_KEY>
Authorization: Bearer sk-proj-***
Authorization: Bearer ${OPENAI_API_KEY}
Authorization: Bearer test_openai_api_key
Authorization: Bearer fp:0123456789ab
authorization: AUTHORIZATION-XXX
api-key: REDACTED
api-key: <redacted>
Cookie: __cf_bm=CF_BM_VALUE; _cfuvid=Zx81Vb92Nm3QwErTy6Ui5Op4As3-1771938497920-0.0.1.1-604800000
Set-Cookie: <COOKIE>
OPENAI_API_KEY=sk-...
OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OPENAI_API_KEY=sk-test-respdeck-FAKE-key-0001-do-not-use
OPENAI_API_KEY=sk-1234567890abcdefghijklmnopqrstuvwxyz
{"api_key": "sk-proj-your-api-key-here", "headers": {"Authorization": ["Sanitized"]}}
{"name": "authorization", "value": "[REDACTED]"}
client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
""".replace("CF_BM_VALUE", CF_BM)


def test_placeholders_are_no_findings_but_a_key_beside_them_is(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(PLACEHOLDERS)
    clean = respdeck("scan", "notes.txt", cwd=tmp_path)
    assert (clean.returncode, clean.stdout) == (0, "scan: no secrets; 1 file scanned\n")
    path.write_text(PLACEHOLDERS + f"Authorization: Bearer {PROJECT}\n")
    found = respdeck("scan", "notes.txt", cwd=tmp_path)
    assert found.returncode == 1
    line = PLACEHOLDERS.count("\n") + 1
    assert found.stdout.splitlines()[0] == f"notes.txt:{line}: openai-project-key"


@pytest.mark.corpus
def test_corpus_has_no_findings() -> None:
    """Public cassettes are scrubbed with placeholders of every kind (`Sanitized`, `<filtered>`,
    `Bearer <AUTH_TOKEN>`, `AUTHORIZATION-XXX`, `test_openai_api_key`) and keep Cloudflare's
    cookies: none of that is a secret."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus not present")
    files = [p for p in CORPUS.rglob("*") if p.is_file() and not p.name.startswith(".")]
    result = respdeck("scan", str(CORPUS))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"scan: no secrets; {len(files)} files scanned\n"


@pytest.mark.parametrize(
    "args, says",
    [
        (("missing.har",), "no such file or folder: missing.har"),
        (("notes.txt", "--backup"), "--backup goes with --fix"),
        ((), "give a PATH"),
        (("fake.duckdb",), "fake.duckdb"),
        (("--db", "notes.txt"), "notes.txt"),
        (("sock",), "not a regular file: sock"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], says: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text(f"OPENAI_API_KEY={LEGACY}\n")
    (tmp_path / "fake.duckdb").write_text("not a database\n")
    listener = socket.socket(socket.AF_UNIX)
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)  # a socket path must be short: bind it relative
        listener.bind("sock")
    finally:
        os.chdir(cwd)
    try:
        result = respdeck("scan", *args, cwd=tmp_path)
    finally:
        listener.close()
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("respdeck: ") and says in lines[0], lines
    assert "Traceback" not in result.stderr
    assert LEGACY[3:9] not in result.stdout + result.stderr
