"""`respdeck record` as a user runs it: `-- CMD`, proxy modes, bad options."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import openai
import pytest

from addon.recorder.proxy_process import ProxyConfig, ProxyProcess
from inspector.replay.upstream import ReplayUpstream
from tests.helpers import respdeck
from tests.recorder_harness import ROOT, Recorder, free_port, read_db, run
from tests.waiting import Lines, wait_exit, wait_until

RECORDINGS = ROOT / "recordings"
FINISHED = "SELECT count(*) FROM exchanges WHERE position >= 0"  # not a stream in flight
HAIKU = {"model": "gpt-4.1-mini", "input": "Write a haiku about the sea.", "temperature": 0.7}
CLIENT = textwrap.dedent(
    """
    import os, sys, openai
    client = openai.OpenAI(api_key="sk-cmd", max_retries=0)  # OPENAI_BASE_URL from respdeck
    text = client.responses.create(model="gpt-4.1-mini", input="Write a haiku about the sea.",
                                   temperature=0.7).output_text
    print("BASE", os.environ["OPENAI_BASE_URL"], "TEXT", text.splitlines()[0])
    sys.exit(3)
    """
)


@pytest.fixture(scope="module")
def upstream() -> Iterator[ReplayUpstream]:
    with ReplayUpstream.from_paths([RECORDINGS / "vcr_cassette.yaml"], pace=0) as server:
        yield server


def test_record_around_a_command_passes_its_exit_code(
    upstream: ReplayUpstream, tmp_path: Path
) -> None:
    db = tmp_path / "cmd.duckdb"
    port = free_port()
    result = run(
        [sys.executable, "-m", "inspector", "record", "--port", str(port), "--upstream",
         upstream.url, "--db", str(db), "--", sys.executable, "-c", CLIENT],
        timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert f"BASE http://127.0.0.1:{port}/v1 TEXT" in result.stdout
    assert "recorded 1 exchanges" in result.stderr
    assert read_db(db, "SELECT endpoint, status FROM exchanges") == [("responses.create", 200)]


def test_regular_mode_prints_the_trust_variables_and_records(
    upstream: ReplayUpstream, tmp_path: Path
) -> None:
    rec = Recorder(upstream.url, tmp_path / "regular.duckdb", "--mode", "regular").start()
    try:
        proxy = f"http://127.0.0.1:{rec.port}"
        client = openai.OpenAI(
            base_url=upstream.url + "/v1",  # the real address: the proxy is a proxy here
            api_key="sk-regular",
            max_retries=0,
            http_client=httpx.Client(proxy=proxy),
        )
        assert client.responses.create(**HAIKU).output_text
        rec.wait_for(FINISHED, lambda rows: rows[0][0] == 1)
    finally:
        assert rec.stop() == 0
    out = rec.output()
    for name in ("HTTPS_PROXY", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"):
        assert f"export {name}=" in out


def test_upstream_mode_chains_to_another_proxy(upstream: ReplayUpstream, tmp_path: Path) -> None:
    """respdeck in upstream mode, in front of a bare mitmdump acting as the corporate proxy."""
    corporate = ProxyProcess(
        ProxyConfig("regular", "", "127.0.0.1", free_port(), tmp_path / "x", tmp_path, "x.rdj")
    )
    corporate.command = lambda: [  # type: ignore[method-assign]
        str(Path(sys.executable).with_name("mitmdump")), "--mode", "regular",
        "--listen-host", "127.0.0.1", "--listen-port", str(corporate.config.port),
        "--set", "flow_detail=1",
    ]  # fmt: skip
    corporate.start()
    try:
        rec = Recorder(
            upstream.url, tmp_path / "chain.duckdb", "--mode",
            f"upstream:http://127.0.0.1:{corporate.config.port}",
        ).start()  # fmt: skip
        try:
            client = openai.OpenAI(
                base_url=upstream.url + "/v1", api_key="sk-chain", max_retries=0,
                http_client=httpx.Client(proxy=f"http://127.0.0.1:{rec.port}"),
            )  # fmt: skip
            assert client.responses.create(**HAIKU).output_text
            rec.wait_for(FINISHED, lambda rows: rows[0][0] == 1)
        finally:
            assert rec.stop() == 0
    finally:
        corporate.stop()
    assert any("/v1/responses" in line for line in corporate.output), list(corporate.output)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "sideways"], "bad --mode"),
        (["--mode", "upstream:"], "bad --mode"),
        (["--mode", "upstream:ftp://proxy:3128"], "bad --mode upstream:URL 'ftp://proxy:3128'"),
        (["--upstream", "api.openai.com"], "bad --upstream"),
        (["--upstream", "ftp://api.openai.com"], "bad --upstream"),
        (["--upstream", "https://api.openai.com/v1"], "no path"),
        (["--upstream", "https://api.openai.com:99999"], "bad --upstream"),
        (["--port", "99999"], "Invalid value for '--port': 99999 is not in the range"),
        (["--port", "0"], "Invalid value for '--port'"),
        (["--port", "http"], "Invalid value for '--port'"),
        (["--listen-host", "no-such-host.invalid"], "bad --listen-host"),
        (["--listen-host", "300.1.2.3"], "bad --listen-host"),
        (["--upstream-ca", "no-such-ca.pem"], "Invalid value for '--upstream-ca'"),
        (["--upstream-ca", "README.md"], "no PEM certificate"),
        (["--redact-json-path", "input..x"], "bad JSON path"),
    ],
)
def test_bad_options_get_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    """Checked before anything starts: one line, exit 2, no database or journal made."""
    result = respdeck("record", "--db", str(tmp_path / "x.duckdb"), *args)
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.strip().count("\n") == 0
    assert "internal error" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_port_in_use_gets_one_line(upstream: ReplayUpstream, tmp_path: Path) -> None:
    port = free_port()
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        result = respdeck("record", "--port", str(port), "--upstream", upstream.url,
                          "--db", str(tmp_path / "x.duckdb"))  # fmt: skip
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"respdeck: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert "Traceback" not in result.stderr


def test_listens_on_localhost_only_by_default(tmp_path: Path) -> None:
    config = ProxyConfig("reverse", "https://api.openai.com", "127.0.0.1", 8080, tmp_path / "d",
                         tmp_path, "r.rdj")  # fmt: skip
    command = ProxyProcess(config).command()
    assert command[command.index("--listen-host") + 1] == "127.0.0.1"
    assert config.client_env() == {"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"}
    from inspector.commands.record import record

    (listen,) = [p for p in record.params if p.name == "listen_host"]
    assert listen.default == "127.0.0.1"


def test_the_addon_as_a_plain_mitmdump_script(upstream: ReplayUpstream, tmp_path: Path) -> None:
    """`mitmdump -s addon/recorder/script.py`: the addon starts its own ingester."""
    import signal
    import socket

    db, port = tmp_path / "script.duckdb", free_port()
    proxy = subprocess.Popen(
        [str(Path(sys.executable).with_name("mitmdump")),
         "-s", str(ROOT / "addon/recorder/script.py"), "--mode", f"reverse:{upstream.url}",
         "--listen-host", "127.0.0.1", "--listen-port", str(port),
         "--set", f"respdeck_db={db}", "--set", "respdeck_redact_header=x-team"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proxy.stdout is not None
    lines = Lines(proxy.stdout)  # read all along: a full pipe would stall mitmdump

    def listening() -> bool:
        assert proxy.poll() is None, "".join(lines.seen)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    wait_until(listening, timeout=90, progress=lambda: len(lines.seen))
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-script",
                           max_retries=0, default_headers={"x-team": "team-secret"})  # fmt: skip
    assert client.responses.create(**HAIKU).output_text
    proxy.send_signal(signal.SIGINT)
    assert wait_exit(proxy, timeout=120, progress=lambda: len(lines.seen)) == 0
    while lines.next(timeout=30) is not None:  # to the end of its output
        pass
    out = "".join(lines.seen)
    rows = read_db(db, "SELECT endpoint, status, request_headers FROM exchanges")
    assert [(r[0], r[1]) for r in rows] == [("responses.create", 200)], out
    assert "team-secret" not in rows[0][2] and "x-team" in rows[0][2]
