"""The DuckDB store: schema and migrations, the batched writer, imports.

Imports neither mitmproxy nor textual; one process writes a database file.
"""
