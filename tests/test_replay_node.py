"""A test suite in another language uses the replay server: the Node `openai` package (from
npm) against a cassette on a path prefix. A streamed create and a tool-call round trip replay;
a changed tool output is a miss whose explanation reaches the Node client.

Runs where RESPDECK_TEST_NODE_OPENAI names a folder in which `openai` is installed
(`npm install --prefix DIR openai`), and `node` is on PATH; skipped elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from addon.importers import load_file
from addon.wire.parse import parse_exchange
from inspector.replay import ReplayUpstream

from .conftest import RECORDINGS
from .waiting import scaled

NODE_OPENAI = os.environ.get("RESPDECK_TEST_NODE_OPENAI", "")
pytestmark = pytest.mark.skipif(
    not NODE_OPENAI or shutil.which("node") is None,
    reason="set RESPDECK_TEST_NODE_OPENAI to a folder where npm installed openai",
)

SCRIPT = r"""
const mod = require(require.resolve("openai", { paths: [process.env.NODE_OPENAI_DIR] }));
const OpenAI = mod.OpenAI ?? mod.default ?? mod;
const [first, second] = JSON.parse(process.argv[2]);
const client = new OpenAI({ apiKey: "sk-test", maxRetries: 0 }); // OPENAI_BASE_URL: the cassette
(async () => {
  const types = [];
  let final = null;
  for await (const event of await client.responses.create(first)) {
    types.push(event.type);
    if (event.type === "response.completed") final = event.response;
  }
  const call = final.output.find((item) => item.type === "function_call");
  const answer = await client.responses.create(second);
  const changed = structuredClone(second);
  changed.input[0].output = changed.input[0].output.replace("light rain", "heavy rain");
  let miss = null;
  try {
    await client.responses.create(changed);
  } catch (error) {
    miss = { status: error.status, code: error.code, message: error.message };
  }
  console.log(JSON.stringify({ types, call: call.name, answer: answer.output_text, miss }));
})().catch((error) => {
  console.error(String(error));
  process.exit(1);
});
"""


def test_the_node_sdk_replays_a_stream_and_a_tool_round_trip(tmp_path: Path) -> None:
    exchanges = load_file(RECORDINGS / "function_call_roundtrip.har")
    bodies = [json.loads(e.request.body) for e in exchanges]
    script = tmp_path / "client.js"
    script.write_text(SCRIPT, encoding="utf-8")
    with ReplayUpstream.from_cassettes({"weather": exchanges}, pace=0) as server:
        env = {
            **os.environ,
            "OPENAI_BASE_URL": server.cassette_url("weather"),
            "NODE_OPENAI_DIR": str(Path(NODE_OPENAI).resolve()),
        }
        done = subprocess.run(
            ["node", str(script), json.dumps(bodies)],
            capture_output=True, text=True, env=env, timeout=scaled(120),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert server.played == ["weather:function_call_roundtrip.har#0",
                                 "weather:function_call_roundtrip.har#1"]  # fmt: skip
    seen = json.loads(done.stdout)
    recorded = parse_exchange(exchanges[0])
    assert seen["types"] == [e.type for e in recorded.events]
    assert seen["call"] == "get_weather"
    assert seen["answer"] == parse_exchange(exchanges[1]).output_text
    miss = seen["miss"]
    assert miss["status"] == 404 and miss["code"] == "respdeck_no_match"
    assert "[-light-]{+heavy+}" in miss["message"]
    assert "~ function_call_output a[0] b[0]" in miss["message"]
