"""Start-up stays small: a command imports only what it uses, and typing a first stream builds
only the models the stream meets (issue 15, target 1; tests/bench/bench_startup.py times it).

Each case runs in a fresh interpreter (this process has long imported everything) and reports
what it loaded or built; nothing here measures time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECORDING = ROOT / "recordings" / "stream_text.har"

# Runs `respdeck ARGS...` in-process, then writes the names of the loaded modules to OUT.
_RUN_COMMAND = """
import json, sys
args, out = json.loads(sys.argv[1]), sys.argv[2]
from inspector.cli import main
sys.argv = ["respdeck", *args]
try:
    main()
except SystemExit:
    pass
with open(out, "w") as f:
    json.dump(sorted(sys.modules), f)
"""

# Parses one recording and writes how many model schemas pydantic generated meanwhile.
_COUNT_SCHEMAS = """
import json, sys
from pathlib import Path
from addon.importers import load_file
from addon.wire.parse import parse_exchange
exchanges = load_file(Path(sys.argv[1]))
count = 0
def profile(frame, event, arg):
    global count
    code = frame.f_code
    if event == "call" and code.co_name == "_model_schema" and code.co_filename.endswith(
        "_generate_schema.py"
    ):
        count += 1
sys.setprofile(profile)
parsed = [parse_exchange(exchange) for exchange in exchanges]
sys.setprofile(None)
with open(sys.argv[2], "w") as f:
    json.dump({"schemas": count, "events": sum(len(p.events) for p in parsed)}, f)
"""


def _run(script: str, args: list[str], out: Path) -> object:
    done = subprocess.run(
        [sys.executable, "-c", script, *args, str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def loaded_by(command: list[str], tmp_path: Path) -> set[str]:
    """The modules loaded once `respdeck COMMAND...` has run."""
    found = _run(_RUN_COMMAND, [json.dumps(command)], tmp_path / "modules.json")
    assert isinstance(found, list)
    return set(found)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("startup") / "store.duckdb"
    subprocess.run(
        [sys.executable, "-m", "inspector", "import", "--db", str(db), str(RECORDING)],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return db


def test_help_imports_no_model_and_no_database(tmp_path: Path) -> None:
    loaded = loaded_by(["--help"], tmp_path)
    assert "inspector.cli" in loaded
    assert not loaded & {"openai", "pydantic", "duckdb", "addon.wire.models", "addon.store"}


def test_sql_imports_the_database_but_no_model(database: Path, tmp_path: Path) -> None:
    loaded = loaded_by(["sql", "--db", str(database), "select 1"], tmp_path)
    assert "duckdb" in loaded  # it did run the query
    assert not loaded & {"openai", "pydantic", "addon.wire.models", "addon.importers"}


def test_usage_imports_the_database_but_no_model(database: Path, tmp_path: Path) -> None:
    loaded = loaded_by(["usage", "--db", str(database)], tmp_path)
    assert "addon.store.queries.usage" in loaded
    assert not loaded & {"openai", "pydantic", "addon.wire.models", "addon.importers"}


def test_parse_imports_the_models_but_no_database(tmp_path: Path) -> None:
    loaded = loaded_by(["parse", str(RECORDING)], tmp_path)
    assert "addon.wire.models" in loaded
    assert not loaded & {"duckdb", "pyarrow", "addon.store", "mitmproxy", "textual"}


def test_a_first_stream_builds_only_the_models_it_meets(tmp_path: Path) -> None:
    """Typing a plain text stream must not build openai's big unions: a Response's output
    (every item type), its tools, its `instructions` (every input item type). Built, they are
    a few hundred model schemas more (1,812 before issue 15, 298 with `instructions`)."""
    found = _run(_COUNT_SCHEMAS, [str(RECORDING)], tmp_path / "count.json")
    assert isinstance(found, dict)
    assert found["events"] > 50
    assert 0 < found["schemas"] <= 200


def test_parse_loads_the_sdk_types_but_not_the_sdk(tmp_path: Path) -> None:
    """The openai packages on the way to the type modules stay deferred: no client, no
    resources, no other API's types (`import openai` whole is most of parse's start-up)."""
    loaded = loaded_by(["parse", str(RECORDING)], tmp_path)
    assert "openai.types.responses.response" in loaded
    assert not loaded & {"openai._client", "openai.resources", "openai.types.graders"}


# Imports the wire core first, then uses openai as a program would; reports what it saw.
_SDK_AFTER_WIRE = """
import json, sys
first = sys.argv[1]
if first == "sdk":
    import openai
import addon.wire.parse
from addon.wire import sdk_types
deferred_before = type(sys.modules["openai"]) is not type(sys)
import openai
from openai.types.responses import Response, ResponseStreamEvent
import openai.types.responses as responses_package
client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
with open(sys.argv[2], "w") as f:
    json.dump({
        "deferred_before": deferred_before,
        "same_response": Response is sdk_types.Response,
        "same_events": ResponseStreamEvent is sdk_types.ResponseStreamEvent,
        "submodule_attribute": responses_package.response.Response is Response,
        "version": openai.__version__,
        "client": type(client.responses).__name__,
        "package_types": [type(sys.modules[n]).__name__ for n in (
            "openai", "openai.types", "openai.types.responses", "openai.types.shared")],
    }, f)
"""


@pytest.mark.parametrize("first", ["wire", "sdk"])
def test_the_sdk_imported_after_the_wire_core_is_the_whole_sdk(first: str, tmp_path: Path) -> None:
    """A program (the pytest plugin, `respdeck demo`, a user's own) that imports openai after
    the wire core gets the whole package, with the very classes the wire core typed with."""
    found = _run(_SDK_AFTER_WIRE, [first], tmp_path / "sdk.json")
    assert isinstance(found, dict)
    assert found["deferred_before"] is (first == "wire")
    assert found["same_response"] and found["same_events"] and found["submodule_attribute"]
    assert found["version"].count(".") >= 2
    assert found["client"] == "Responses"
    assert found["package_types"] == ["module"] * 4
