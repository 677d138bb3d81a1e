"""respdeck as an installed tool: build the wheel, install it into a fresh virtual environment
with the locked dependencies, and run it from a folder that is not the checkout.

A checkout hides packaging mistakes (the demo's recordings found beside the package, a module
imported but not declared and present only because the dev environment has it); this does not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        pytest.fail("uv is not on PATH: the installed-tool test needs it to build and install")
    return found


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"{args[:3]} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A virtual environment holding the built wheel and the locked runtime dependencies only."""
    tmp = tmp_path_factory.mktemp("installed")
    uv = _uv()
    _run(uv, "build", "--wheel", "--out-dir", tmp / "dist", cwd=ROOT)
    (wheel,) = (tmp / "dist").glob("respdeck-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "inspector/recordings/stream_text.har" in names
    assert not [n for n in names if ".duckdb" in n or n.startswith("tests/")], names
    requirements = tmp / "requirements.txt"
    _run(uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes",
         "-o", requirements, cwd=ROOT)  # fmt: skip
    venv = tmp / "venv"
    _run(uv, "venv", "--python", sys.executable, venv, cwd=tmp)
    python = venv / "bin" / "python"
    _run(uv, "pip", "install", "--python", python, "-r", requirements, wheel, cwd=tmp)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    return elsewhere, env


def test_installed_package_is_the_one_imported(installed: tuple[Path, dict[str, str]]) -> None:
    cwd, env = installed
    where = _run("python", "-c", "import inspector, addon; print(inspector.__file__)",
                 cwd=cwd, env=env)  # fmt: skip
    assert "site-packages" in where and str(ROOT) not in where


def test_installed_demo_records_the_bundled_session(installed: tuple[Path, dict[str, str]]) -> None:
    cwd, env = installed
    db = cwd / "demo.duckdb"
    out = _run("respdeck", "demo", "--pace", "0", "--no-browse", "--db", db, cwd=cwd, env=env)
    assert "inspector/recordings" in out  # the packaged recordings, not a checkout's
    assert "recorded 7 exchanges" in out
    assert "get_weather" in out and "HTTP 429" in out
    assert "uv run" not in out  # an installed tool is run as `respdeck`
    assert db.is_file()


def test_installed_parse_and_replay_entry_points(installed: tuple[Path, dict[str, str]]) -> None:
    cwd, env = installed
    site = _run("python", "-c", "import inspector; print(inspector.__file__)", cwd=cwd, env=env)
    recording = Path(site.strip()).parent / "recordings" / "stream_text.har"
    out = _run("respdeck", "parse", recording, cwd=cwd, env=env)
    assert "responses.create" in out
    help_text = _run("python", "-m", "inspector.replay", "--help", cwd=cwd, env=env)
    assert "--pace" in help_text
