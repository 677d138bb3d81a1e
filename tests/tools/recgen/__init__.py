"""The generator of the synthetic recordings shipped in ``recordings/``.

``common`` (constants, ids, tokeniser), ``responses`` (Response objects per server era),
``events`` (event streams, SSE, chunking), ``headers`` + ``har`` (the HAR writer),
``scenario`` (what every scenario repeats), one module per kind of scenario (``streaming``,
``errors``, ``endpoints``, ``background``, ``websocket``, ``codex``, ``formats``),
``catalogue`` (the file list and README), ``check*`` (the self-check) and ``cli``.
``tests/tools/make_recordings.py`` is the entry point.
"""
