"""A real PostgreSQL for the team store tests: a throwaway cluster on a free local port.

initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` user (which the
distribution's package creates), in a temporary folder handed to that user; the cluster is
stopped and its folder removed afterwards. Without PostgreSQL's programs the tests that need
it are skipped, saying why, except in CI (`CI` set), where .ci/run installs them and their
absence is a failure.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from addon.ports import free_port

SERVICE_USER = "postgres"
__all__ = ["Cluster", "find_binaries", "postgres", "team_db"]


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/N/bin
    (the newest), else None."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return versions[-1].parent if versions else None


@dataclass
class Cluster:
    """A running cluster: `catalog(name)` is a team store's `--db` for database `name`."""

    bin: Path
    root: Path
    port: int
    user: str | None  # the OS user it runs as (None: this one)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / program), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, check=check, timeout=120
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                 "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        """Stop at once (`-m fast`): clients are cut off, as when a server goes away."""
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def create_database(self, name: str) -> None:
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def catalog(self, name: str) -> str:
        return f"ducklake:postgres:dbname={name} host=127.0.0.1 port={self.port} user=postgres"


def _service_user() -> str | None:
    """Who runs the cluster: this user unless it is root, then `postgres`."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        pytest.fail("running as root, and there is no `postgres` user to run PostgreSQL as")
    return SERVICE_USER


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    binaries = find_binaries()
    if binaries is None:
        reason = "PostgreSQL is not installed (initdb, pg_ctl): apt-get install postgresql"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (.ci/run installs it)")
        pytest.skip(reason)
    user = _service_user()
    root = Path(tempfile.mkdtemp(prefix="respdeck-pg-"))
    if user is not None:
        shutil.chown(root, user)
    cluster = Cluster(binaries, root, free_port(), user)
    try:
        cluster.run("initdb", "-D", str(cluster.data), "-U", "postgres", "-A", "trust",
                    "-E", "UTF8", "--no-sync")  # fmt: skip
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            cluster.run("pg_ctl", "-D", str(cluster.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Cluster]:
    """A PostgreSQL cluster for the test module."""
    with running_cluster() as cluster:
        yield cluster


_counter = iter(range(1_000_000))


@pytest.fixture
def team_db(postgres: Cluster, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a fresh database of the cluster as a team store `--db`, a data folder for it), not
    initialised; RESPDECK_DB and RESPDECK_DATA_PATH are left alone."""
    name = f"team{os.getpid()}_{next(_counter)}"
    postgres.create_database(name)
    data = tmp_path / "lake"
    yield Path(postgres.catalog(name)), data
