"""The policy compiled to SQL, run embedded on DuckDB or on Spark (issue 12)."""
