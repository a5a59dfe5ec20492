"""`sla check`: compliance over real exports, streamed, on all cores.

Read as the pipeline:
  mapping.py   column mappings: an export's row -> a core record
  readers.py   CSV / JSONL sources, streamed in chunks of rows with line numbers
  months.py    customer-months from outage incidents (per customer or platform-wide) and contracts
  work.py      one chunk -> its decisions (what a worker process runs)
  parallel.py  chunks in worker processes, results back in input order
  (duplicate ids in bounded memory: engine/io/seenids.py, shared with `sla evaluate`)
  summary.py   counts, response-time percentiles, credits per currency
  table.py html.py junit.py progress.py   the outputs
  run.py       the run end to end
"""

from engine.check.run import Config, run_check

__all__ = ["Config", "run_check"]
