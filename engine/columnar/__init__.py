"""The policy compiled to SQL, run embedded on DuckDB or on Spark (issue 12):
stage -> facts per record kind -> plan -> run."""
