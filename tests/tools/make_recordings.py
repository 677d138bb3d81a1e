"""Generate the small, synthetic Responses API recordings shipped in ``recordings/``.

Run from the repository root::

    uv run python tests/tools/make_recordings.py          # (re)write recordings/
    uv run python tests/tools/make_recordings.py --check  # fail if recordings/ is stale

The generator itself is the ``tests.tools.recgen`` package; this file is its entry point.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.tools.recgen.cli import main

if __name__ == "__main__":
    sys.exit(main())
