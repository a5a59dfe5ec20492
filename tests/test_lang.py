"""The condition language as data (engine.lang): a tree with marks, an operator
registry, and backends that compile the same tree."""

from __future__ import annotations

from fractions import Fraction

import pytest

from conftest import ROOT
from engine.lang import ast
from engine.lang.backends import durable
from engine.lang.backends.python import predicate
from engine.lang.conditions import Scope, compile_condition
from engine.lang.explain import explain
from engine.lang.operators import OPERATORS, operator
from engine.lang.parse import ConditionError, Vocabulary, parse_condition
from engine.lang.text import to_yaml
from engine.policy.family import load_revision

VOCAB = Vocabulary(frozenset({"severity", "response_met", "clock_start"}), frozenset({"channel", "contract.billing"}),
                   {"credits": {"contracts": {"monthly": {}, "annual_prepaid": {}}}})


def test_every_node_of_a_bundled_rule_knows_its_file_and_line():
    revision = load_revision(ROOT / "policies" / "genesys-cloud" / "2024-10-01.yaml")
    rule = next(r for r in revision.rules["case"] if r.id == "case.critical_support_request")
    node = rule.outcomes[0].when.node
    assert isinstance(node, ast.All)
    for each in ast.walk(node):
        assert each.at.file == str(revision.path)
        assert each.at.line == revision.line_of("rules", rule.index, "outcomes", 0, "when")
    assert node.parts[1].at.path == ("rules", rule.index, "outcomes", 0, "when", "all", 1)


def test_trees_written_differently_but_meaning_the_same_are_equal():
    a = parse_condition({"eq": [{"fact": "severity"}, 1]}, VOCAB, ("a",), "a.yaml")
    b = parse_condition({"eq": [{"fact": "severity"}, Fraction(1)]}, VOCAB, ("b",), "b.yaml")
    assert a == b and a.at != b.at


def test_a_tree_is_written_back_as_the_yaml_it_was_read_from():
    tree = {"all": [{"not_in": [{"field": "contract.billing"}, {"param": "credits.contracts"}]},
                    {"not": {"is_null": {"fact": "clock_start"}}}, {"fact": "response_met"}]}
    assert to_yaml(parse_condition(tree, VOCAB)) == tree


def test_unknown_names_fail_when_parsed_with_did_you_mean():
    with pytest.raises(ConditionError) as caught:
        parse_condition({"eq": [{"fact": "severty"}, 1]}, VOCAB, ("when",))
    assert caught.value.problem.message == "unknown fact 'severty'; did you mean 'severity'?"
    assert caught.value.problem.path == ("when", "eq", 0, "fact")
    with pytest.raises(ConditionError) as caught:
        parse_condition({"equals": [1, 1]}, VOCAB, ("when",))
    assert "unknown operator 'equals'" in caught.value.problem.message


def test_an_ordering_with_null_is_false_and_in_a_null_container_is_false():
    scope = Scope({"channel": None}, {"severity": None, "response_met": None, "clock_start": None})
    assert not predicate(parse_condition({"lt": [{"fact": "severity"}, 2]}, VOCAB))(scope)
    assert predicate(parse_condition({"eq": [{"fact": "severity"}, None]}, VOCAB))(scope)
    assert not predicate(parse_condition({"in": [1, {"fact": "severity"}]}, VOCAB))(scope)
    assert predicate(parse_condition({"not_in": [1, {"fact": "severity"}]}, VOCAB))(scope)


def test_a_new_operator_is_one_function_the_parser_and_the_python_backend_pick_up():
    @operator("divides", "∣")
    def divides(a, b):
        return a is not None and b is not None and b % a == 0

    try:
        condition = compile_condition({"divides": [2, {"fact": "severity"}]}, VOCAB, ("when",))
        assert condition.test(Scope({}, {"severity": Fraction(4)}))
        assert not condition.test(Scope({}, {"severity": Fraction(3)}))
        assert condition.explain(Scope({}, {"severity": Fraction(3)})) == (False, "2 ∣ severity (3)")
    finally:
        del OPERATORS["divides"]


def test_explain_walks_the_tree_and_agrees_with_the_compiled_test():
    node = parse_condition({"any": [{"eq": [{"fact": "response_met"}, True]}, {"is_null": {"fact": "clock_start"}}]}, VOCAB)
    scope = Scope({}, {"response_met": False, "clock_start": None, "severity": 1})
    assert explain(node, scope) == (True, "(response_met (false) = true ✗ ∨ clock_start (null) = null ✓)")
    assert predicate(node)(scope) is True


def test_the_durable_rules_backend_writes_message_conditions():
    node = ast.All((ast.Compare("eq", ast.Field("kind"), ast.Literal("case_submitted", "case_submitted")),
                    ast.In("in", ast.Field("severity"), ast.Literal((1, 2), [1, 2])),
                    ast.In("not_in", ast.Field("via"), ast.Literal(("phone",), ["phone"]))))
    assert durable.condition(node) == {"$and": [{"kind": "case_submitted"}, {"$or": [{"severity": 1}, {"severity": 2}]},
                                                {"$neq": {"via": "phone"}}]}


def test_the_durable_rules_backend_refuses_what_it_cannot_express():
    with pytest.raises(durable.Unsupported):
        durable.condition(ast.Not(ast.Compare("eq", ast.Field("kind"), ast.Literal("x", "x"))))
    with pytest.raises(durable.Unsupported):
        durable.condition(ast.Compare("eq", ast.Fact("severity"), ast.Literal(1, 1)))
