"""`sla serve`: the engine as an HTTP service, on the public Python API (`engine.api`).

The pieces, each one idea:
  state    the loaded policies as one immutable snapshot, swapped whole on reload
  protocol reading a request (content type, size limits, JSON, query options) and
           writing answers (JSON, problems, request ids)
  metrics  Prometheus text: requests, latency histogram, decisions by outcome, policies
  auth     the optional bearer token of the admin endpoints
  sink     the optional decision log (the SQLite log of `sla log`, or JSONL on stdout)
  openapi  /openapi.json and /docs, generated from schemas/
  app      the routes (Starlette)
  server   running it: one process, or a small supervisor of N worker processes
"""
