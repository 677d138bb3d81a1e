"""`python -m inspector.replay ...`: the same as `respdeck replay ...` (kept for scripts)."""

from __future__ import annotations

import sys

from inspector.cli import main

if __name__ == "__main__":
    main(["replay", *sys.argv[1:]])
