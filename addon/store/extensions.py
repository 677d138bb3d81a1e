"""DuckDB extensions, loaded from the files their PyPI packages ship, never downloaded.

Each `duckdb-extension-NAME` package (pinned to respdeck's DuckDB version) is only a folder
holding `NAME.duckdb_extension`. DuckDB derives an extension's entry point from its file name,
and the postgres package's file is `postgres.duckdb_extension` while the extension inside is
`postgres_scanner`: it is loaded through a link of that name in a private folder of ours.
Automatic installing and loading stay off, so a missing file is an error, never a fetch.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import duckdb

from .sql_text import sql_string

# extension name -> (package module, file stem in that package)
PACKAGES = {
    "httpfs": ("duckdb_extension_httpfs", "httpfs"),
    "quack": ("duckdb_extension_quack", "quack"),
    "ducklake": ("duckdb_extension_ducklake", "ducklake"),
    "postgres_scanner": ("duckdb_extension_postgres", "postgres"),
}
NO_AUTOINSTALL = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


class ExtensionError(Exception):
    """An extension file is missing or does not load; one line for the user."""


def package_file(name: str) -> Path:
    """The file `name`'s package ships (without importing the package)."""
    module, stem = PACKAGES[name]
    spec = importlib.util.find_spec(module)
    roots = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    for root in roots:
        found = next(root.rglob(f"{stem}.duckdb_extension"), None)
        if found is not None:
            return found
    package = module.replace("_", "-")
    raise ExtensionError(
        f"the DuckDB {name} extension file is missing ({package} is not installed or is "
        f"empty): reinstall respdeck"
    )


def loadable_file(name: str) -> Path:
    """A path DuckDB loads `name` from: the package's file, or a link to it named after the
    extension when the package names its file otherwise (postgres -> postgres_scanner)."""
    source = package_file(name)
    if source.name == f"{name}.duckdb_extension":
        return source
    digest = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:16]
    folder = _link_root() / digest
    target = folder / f"{name}.duckdb_extension"
    with contextlib.suppress(OSError):
        if target.resolve() == source.resolve():
            return target
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = folder / f".{name}.{os.getpid()}.tmp"
    temporary.unlink(missing_ok=True)
    try:
        os.symlink(source.resolve(), temporary)
    except OSError:  # no symbolic links here: a copy does as well
        shutil.copyfile(source, temporary)
    os.replace(temporary, target)  # atomic: processes starting together never see half a file
    return target


def _link_root() -> Path:
    """Our folder for extension links: the user's cache, else the temporary folder."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    root = Path(base) / "respdeck" / "duckdb-extensions"
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.access(root, os.W_OK):
            return root
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / f"respdeck-{os.getuid()}-duckdb-extensions"


def load(conn: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Load the named extensions into `conn` from their packages' files (a loaded one is not
    loaded again); automatic installs are switched off first."""
    try:
        conn.execute("SET autoinstall_known_extensions = false")
        loaded = {
            str(row[0])
            for row in conn.execute(
                "SELECT extension_name FROM duckdb_extensions() WHERE loaded"
            ).fetchall()
        }
        for name in names:
            if name not in loaded:
                conn.execute(f"LOAD '{sql_string(str(loadable_file(name)))}'")
    except duckdb.Error as exc:
        raise ExtensionError(f"cannot load DuckDB extension: {str(exc).splitlines()[0]}") from exc
    except OSError as exc:
        raise ExtensionError(
            f"cannot expose a DuckDB extension file: {exc.strerror or exc}"
        ) from exc
