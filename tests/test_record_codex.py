"""Recording OpenAI's Codex CLI in one command: `respdeck record -- codex ...`.

Codex ignores OPENAI_BASE_URL; respdeck passes it `-c openai_base_url=...` instead. The real
Codex (a Rust binary in the @openai/codex npm package) is run when it is found, on PATH or
at $RESPDECK_TEST_CODEX, against the replay upstream, offline."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path
from subprocess import DEVNULL

import pytest

from addon.recorder.proxy_process import ProxyConfig
from inspector.replay.upstream import ReplayUpstream
from tests.recorder_harness import ROOT, free_port, read_db, run


def config(mode: str = "reverse", port: int = 8080) -> ProxyConfig:
    return ProxyConfig(mode, "https://api.openai.com", "127.0.0.1", port, Path("d.duckdb"),
                       Path("j"), "r.rdj")  # fmt: skip


def test_codex_is_given_the_proxy_as_its_base_url() -> None:
    wired = ["-c", "openai_base_url=http://127.0.0.1:8080/v1"]
    assert config().client_command(["codex", "exec", "hi"]) == ["codex", *wired, "exec", "hi"]
    assert config().client_command(["/opt/bin/codex"]) == ["/opt/bin/codex", *wired]
    own = ["codex", "-c", "openai_base_url=http://elsewhere/v1", "exec", "hi"]
    assert config().client_command(own) == own  # the user's own choice stands
    assert config().client_command(["python", "codex"]) == ["python", "codex"]
    # Regular mode: Codex follows HTTPS_PROXY and trusts the CA named by CODEX_CA_CERTIFICATE.
    assert config("regular").client_command(["codex", "exec"]) == ["codex", "exec"]
    assert "CODEX_CA_CERTIFICATE" in config("regular").client_env()


def test_record_runs_codex_with_the_option(tmp_path: Path) -> None:
    """The arguments `respdeck record -- codex` really runs it with (a `codex` that prints them)."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    codex = fake_bin / "codex"
    codex.write_text('#!/bin/sh\necho "ARGS $*"\n')
    codex.chmod(0o755)
    port = free_port()
    result = run(
        [sys.executable, "-m", "inspector", "record", "--port", str(port),
         "--db", str(tmp_path / "c.duckdb"), "--", "codex", "exec", "say hi"],
        timeout=120, cwd=ROOT,
        env={**os.environ, "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    base = f"http://127.0.0.1:{port}/v1"
    assert result.stdout.strip() == f"ARGS -c openai_base_url={base} exec say hi"
    assert f"running codex with -c openai_base_url={base}" in result.stderr


def real_codex() -> str | None:
    found = os.environ.get("RESPDECK_TEST_CODEX") or shutil.which("codex")
    return found if found and Path(found).exists() else None


@pytest.mark.skipif(
    real_codex() is None and not os.environ.get("CI"),  # .ci/run installs it: never skipped there
    reason="the Codex CLI is not installed (npm install @openai/codex; or set RESPDECK_TEST_CODEX)",
)
def test_a_real_codex_turn_is_recorded(tmp_path: Path) -> None:
    codex = real_codex()
    assert codex is not None
    key = "sk-test-codex-0123456789abcdefXYZ"
    db, last = tmp_path / "codex.duckdb", tmp_path / "last.txt"
    home = tmp_path / "codex-home"  # Codex's config, logs and sessions: not ~/.codex
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CODEX_"))}
    env.update(CODEX_HOME=str(home), CODEX_API_KEY=key)
    # Codex speaks the WebSocket mode; one WebSocket session to replay answers each of its
    # messages (a warm-up, then the request) with the recorded turns.
    with ReplayUpstream.from_paths([ROOT / "recordings" / "websocket.har"], pace=0) as upstream:
        result = run(
            [sys.executable, "-m", "inspector", "record", "--port", str(free_port()),
             "--upstream", upstream.url, "--db", str(db), "--",
             codex, "exec", "--skip-git-repo-check", "--ephemeral", "-o", str(last),
             "Say hello in one sentence."],
            timeout=300, cwd=tmp_path, env=env, stdin=DEVNULL,
        )  # fmt: skip
        served = list(upstream.served)
    assert result.returncode == 0, result.stderr
    assert served, result.stderr  # Codex went through respdeck to the upstream
    answer = last.read_text().strip()
    assert answer
    rows = read_db(db, "SELECT exchange_id, endpoint, key_fingerprint FROM exchanges")
    assert rows and {r[1] for r in rows} <= {"responses.websocket", "responses.create"}
    fingerprint = "fp:" + hashlib.sha256(key.encode()).hexdigest()[:12]
    assert {r[2] for r in rows} == {fingerprint}  # Codex's own key, fingerprinted
    texts = read_db(db, "SELECT text FROM items WHERE direction = 'output' AND type = 'message'")
    assert any(answer in (text or "") for (text,) in texts), (answer, texts)
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.is_relative_to(home):
            assert key.encode() not in path.read_bytes(), path
