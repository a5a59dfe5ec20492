"""A condition tree written back as the YAML it was read from (plain data), for
tools that show a condition to policy authors (`sla diff`)."""

from __future__ import annotations

from typing import Any

from engine.lang import ast


def to_yaml(node: ast.Node) -> Any:
    """The plain data (dicts, lists, scalars as written) that parses to `node`."""
    if isinstance(node, ast.Field):
        return {"field": node.name}
    if isinstance(node, ast.Fact):
        return {"fact": node.name}
    if isinstance(node, ast.Param):
        return {"param": node.name}
    if isinstance(node, ast.Literal):
        return node.raw
    if isinstance(node, (ast.All, ast.Any)):
        return {"all" if isinstance(node, ast.All) else "any": [to_yaml(p) for p in node.parts]}
    if isinstance(node, ast.Not):
        return {"not": to_yaml(node.part)}
    if isinstance(node, ast.Compare):
        return {node.op: [to_yaml(node.left), to_yaml(node.right)]}
    if isinstance(node, ast.In):
        return {node.op: [to_yaml(node.item), to_yaml(node.container)]}
    if isinstance(node, ast.IsNull):
        return {"not_null" if node.negated else "is_null": to_yaml(node.operand)}
    if isinstance(node, ast.Truth):
        return to_yaml(node.operand)
    raise TypeError(f"not a condition node: {node!r}")
