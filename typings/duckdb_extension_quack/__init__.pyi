# The package is only a folder holding quack.duckdb_extension; respdeck reads its __path__.
