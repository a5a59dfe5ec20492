"""Backends compile a condition tree (engine.lang.ast) into what they run:
`python` into closures for batch evaluation (the hot path), `durable` into a
durable-rules condition for live clocks. See docs/architecture.md for a SQL one."""
