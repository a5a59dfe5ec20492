"""The policy compiled to SQL, run embedded on DuckDB or distributed on Spark.

The same YAML the row engine reads becomes one SQL plan per record kind:

    raw input relation   JSONL lines as one text column `j` (+ `pos`, `line`), or Parquet columns
      -> stage           typed columns and a `sure` flag (kind module: `stage_sql`);
                         rows the SQL cannot decide with certainty go to the row engine
      -> facts           one row per record: `pos`, `rev` (the revision in force, by the
                         kind's anchor), the record's id columns, one column per fact
                         (kind module: `facts_sql`, columns as `plan.FactsShape` says)
      -> plan            each rule of each revision as `CASE WHEN c1 THEN 0 ...` (the
                         conditions from engine.lang.backends.sql), messages from the same
                         templates as SQL string concatenation (text.py), the decision as
                         JSON text equal to the row engine's (plan.py)
      -> run             DuckDB or Spark, outputs, summaries, fallback to the row engine

Modules: `dialect` (every spelling that differs between DuckDB and Spark),
`text` (values shown exactly as the row engine shows them, message templates),
`plan` (rules and decisions), one module per kind (stage and facts: `case`,
`claim`, `uptime`, with their helpers), `inputs`/`session`/`output`/`run` (the
`sla check --backend` run), `policytests` (`sla test --backend`), `export`
(JSONL -> Parquet).
Exact arithmetic only: integer microseconds, numerator/denominator pairs
compared by cross-multiplication, the dialect's exact wide integer; never DOUBLE.
"""
