"""sla-engine: evaluate records against versioned, declarative SLA policies.

The folders follow the pipeline, each importing only from those above it:
`errors`/`exact`/`timeutil`/`intervals`/`canonical` (vocabulary) -> `io/` (read,
validate, write atomically) -> `lang/` (the condition language) -> `policy/`
(revisions loaded, compiled, linted, diffed, tested) -> `core/` (records, facts,
decisions: pure, no I/O) -> `render/`, `disputes/`, `check/`, `watch/` (uses of the
core) -> `batch`, `api` (the public Python API) -> `commands/`, `cli` (the edge).
"""

__version__ = "0.1.0"
