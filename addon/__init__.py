"""respdeck capture side and shared core.

`addon.wire` turns the bytes of one HTTP exchange into typed data, `addon.importers` reads
recordings made by other tools. Neither imports mitmproxy or textual: only the mitmproxy addon
module itself does (see tests/test_boundaries.py).
"""
