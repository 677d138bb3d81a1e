"""The mitmproxy addon's hooks, driven the mitmproxy way (taddons, tflow)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mitmproxy.test import taddons, tflow, tutils

import addon.recorder.hooks as hooks
from addon.recorder.hooks import Recorder
from addon.recorder.journal import split_records
from addon.recorder.spool import read_status

SECRET = "sk-planted-addon-test"


def api_flow(path: str = "/v1/responses", method: str = "POST") -> tflow.HTTPFlow:
    flow = tflow.tflow()
    flow.request.method = method
    flow.request.path = path
    flow.request.headers["authorization"] = f"Bearer {SECRET}"
    flow.request.content = b'{"model":"gpt-4o","input":"hi","stream":true}'
    flow.response = None
    return flow


def respond(recorder: Recorder, flow: tflow.HTTPFlow, chunks: list[bytes]) -> list[bytes]:
    """Run the response hooks as mitmproxy would for a streamed body; what the client gets."""
    flow.response = tutils.tresp(content=None)
    flow.response.headers["content-type"] = "text/event-stream"
    recorder.responseheaders(flow)
    assert callable(flow.response.stream)
    sent = [flow.response.stream(c) for c in chunks]
    sent.append(flow.response.stream(b""))
    return sent


def configure(tctx: taddons.context, recorder: Recorder, tmp_path: Path, **options: object) -> None:
    """The addon's options as the tests use them: a journal in `tmp_path`, no ingester."""
    tctx.configure(
        recorder,
        respdeck_db=str(tmp_path / "r.duckdb"),
        respdeck_ingest=False,
        respdeck_run="run.rdj",
        **options,
    )


@pytest.fixture
def recorder(tmp_path: Path):
    recorder = Recorder()
    with taddons.context(recorder) as tctx:
        configure(tctx, recorder, tmp_path, respdeck_redact_header=["x-org"])
        recorder.running()
        yield recorder
        recorder.done()


def journal(tmp_path: Path) -> list:
    return split_records((tmp_path / "r.duckdb.journal" / "run.rdj").read_bytes())[0]


def test_streams_pass_through_unchanged_and_are_journaled(
    recorder: Recorder, tmp_path: Path
) -> None:
    flow = api_flow()
    recorder.requestheaders(flow)
    recorder.request(flow)
    chunks = [b'data: {"type":"x"}\n', b"\n", b"data: [DONE]\n\n"]
    assert respond(recorder, flow, chunks) == [*chunks, b""]
    recorder.response(flow)
    recorder.done()
    (record,) = journal(tmp_path)
    response = record.exchange.response
    assert response.body == b"".join(chunks)
    assert [size for _, size in response.chunks] == [len(c) for c in chunks]
    assert SECRET not in str(record.exchange.request.headers)
    assert not record.exchange.aborted


def test_other_traffic_is_left_alone(recorder: Recorder, tmp_path: Path) -> None:
    flow = api_flow("/v1/models", "GET")
    recorder.requestheaders(flow)
    flow.response = tutils.tresp()
    recorder.responseheaders(flow)
    assert not flow.response.stream
    recorder.response(flow)
    recorder.done()
    assert journal(tmp_path) == []


def test_a_failed_flow_is_kept_as_aborted_with_what_arrived(
    recorder: Recorder, tmp_path: Path
) -> None:
    flow = api_flow()
    recorder.requestheaders(flow)
    recorder.request(flow)
    flow.response = tutils.tresp(content=None)
    recorder.responseheaders(flow)
    flow.response.stream(b'data: {"type":"response.created"}\n\n')
    flow.error = tflow.terr("Client disconnected.")
    recorder.error(flow)
    recorder.done()
    (record,) = journal(tmp_path)
    assert record.exchange.aborted and record.error == "Client disconnected."
    assert record.exchange.response.truncated
    assert record.exchange.response.body.startswith(b"data: ")


def test_in_flight_exchanges_are_journaled_on_shutdown(recorder: Recorder, tmp_path: Path) -> None:
    flow = api_flow()
    recorder.requestheaders(flow)
    recorder.request(flow)
    recorder.done()
    (record,) = journal(tmp_path)
    assert record.exchange.aborted and "stopped" in (record.error or "")


def test_an_exception_in_a_hook_is_counted_and_the_flow_goes_on(
    recorder: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("planted bug")

    monkeypatch.setattr(hooks, "classify", broken)
    flow = api_flow()
    recorder.requestheaders(flow)  # must not raise
    assert recorder.errors == 1
    recorder.done()
    status = read_status(tmp_path / "r.duckdb.journal" / "run.status.json")
    assert status is not None and status.addon_errors == 1


def test_bad_redaction_path_is_an_option_error(tmp_path: Path) -> None:
    from mitmproxy import exceptions

    recorder = Recorder()
    with taddons.context(recorder) as tctx, pytest.raises(exceptions.OptionsError):
        tctx.configure(recorder, respdeck_redact_json_path=["input..x"])


def test_all_records_other_traffic_too(tmp_path: Path) -> None:
    recorder = Recorder()
    with taddons.context(recorder) as tctx:
        configure(tctx, recorder, tmp_path, respdeck_all=True)
        recorder.running()
        flow = api_flow("/v1/models", "GET")
        recorder.requestheaders(flow)
        recorder.request(flow)
        respond(recorder, flow, [b'{"data": []}'])
        recorder.response(flow)
        recorder.done()
    (record,) = journal(tmp_path)
    assert record.exchange.request.path == "/v1/models"


def test_the_ca_is_loaded_before_the_proxy_accepts_a_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mitmproxy's TLS addon loads its CA only once running, after the port is open; a request
    in between failed in its hook and made mitmdump exit. Our configure loads it first."""
    from mitmproxy.addons.tlsconfig import TlsConfig

    monkeypatch.setenv("HOME", str(tmp_path))  # the default confdir, ~/.mitmproxy, made here
    tls = TlsConfig()
    with taddons.context(tls) as tctx:
        assert tls.certstore is None  # what mitmproxy leaves until its running hook
        recorder = Recorder()
        tctx.master.addons.add(recorder)  # as mitmdump -s: load, then configure
        recorder.configure(set(tctx.options.keys()))
        assert tls.certstore is not None
        flow = tflow.tflow()
        tls.request(flow)  # the hook that raised AttributeError before
        assert flow.response is None


def test_a_request_before_the_running_hook_is_recorded(tmp_path: Path) -> None:
    """mitmproxy listens before this addon's `running` hook runs: a client quick off the mark
    (the first request of a test, a `record -- CMD` child) must not go unrecorded."""
    recorder = Recorder()
    with taddons.context(recorder) as tctx:
        configure(tctx, recorder, tmp_path)
        flow = api_flow()
        recorder.requestheaders(flow)  # before running()
        recorder.request(flow)
        respond(recorder, flow, [b'data: {"type":"x"}\n\n'])
        recorder.response(flow)
        recorder.running()  # then mitmproxy gets to it: nothing starts twice
        recorder.done()
    (record,) = journal(tmp_path)
    assert record.exchange.response is not None
    assert record.exchange.response.body == b'data: {"type":"x"}\n\n'
