# The package is only a folder holding httpfs.duckdb_extension; respdeck reads its __path__.
