"""sla-engine: evaluate records against versioned, declarative SLA policies.

Pipeline, one module per step: yamlload/schemas (load, validate) -> policy
(revisions, selected by date) -> records (typed input) -> facts (derived) ->
conditions (compiled rules) -> evaluate (decisions) -> render/cli (edges).
"""

__version__ = "0.1.0"
