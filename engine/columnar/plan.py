"""The plan: a kind's rules, findings and decision as one SQL query over its facts.

`compile_plan(family, kind, dialect, options)` compiles, for every revision of
the family and every anchor of the kind, each rule that `applies_to` the anchor's
rules (in file order, as engine.core.evaluate runs them) into an outcome index

    CASE WHEN c1 THEN 0 WHEN c2 THEN 1 ... ELSE -1 END     (-1: no outcome held, no finding)

chosen per revision (`CASE rev WHEN k THEN ... END`: params and literals are
constants of revision k), and assembles the decision as JSON text whose parse
equals the row engine's `Decision.to_json()`: record, type, customer, policy,
version, sha256, the kind's extra keys (worked out at compile time for every
combination of the anchors' revisions, e.g. a claim's uptime_sha256) and the
what-if label under --as-of, result, findings (rule, outcome, clause, message
from the same template in the --lang language, reason). `Plan.sql(relation)`
is the SELECT over the facts relation. A rule the SQL backend cannot express
raises `Uncompilable` naming the rule and where it was written.

## What a kind's facts relation holds (`FactsShape`)

One row per record the SQL decides, with these columns:

- `pos` BIGINT: the record's place in the input (decisions keep input order);
- `rev` INTEGER: index into `family.revisions` of the decision's revision (the
  kind's last anchor); a kind with more anchors also has `rev_0`, `rev_1`, ...
  for each earlier anchor, in the order of `Kind.anchors` (credit_claim:
  `rev_0` = the month's revision for its uptime rules, `rev` = the claim's);
- `record` VARCHAR (the record's id), `customer` VARCHAR;
- one column per fact in `fact_types`, named by the fact: "int" BIGINT, "bool"
  BOOLEAN, "text" VARCHAR, "texts" list of VARCHAR (no null element), "instant"
  BIGINT microseconds since the epoch (UTC), and "frac" as two exact integer
  columns `NAME__n`, `NAME__d` (d > 0; any exact integer type);
- one column per record field the rules read, typed as `field_types` says,
  named `field__` + the path with "." -> "__" (`field__portal_case__customer_name`;
  the prefix keeps a field apart from a fact of the same name, as a claim's
  `submitted_at`);
- one column `result__KEY` per `ResultField` without its own `sql`, holding the
  value as the decision's `result` shows it (texts already as the kind writes
  them, e.g. `decimal_text` of a Fraction: engine.columnar.text has the SQL).

The plan adds, for `ResultField.sql` and `outcome` expressions to read:
`reasons` (list of VARCHAR: the `reason` of each finding that has one, in
finding order), `breached` and `violation` (BOOLEAN: a finding has that outcome,
as `sla check` counts them) and `failing` (either).

The names `reasons`, `failing`, `breached`, `violation`, `outcome`, `decision` and
those starting with `_o` (outcome indices) or `_s` (values several messages show) are the
plan's: a facts relation must not use them.

The query's output columns: `pos`, `record`, `decision` (JSON text, or '' when
the caller writes no decision), `failing`, `breached`, `violation`, `reasons`,
`outcome` (the one-word outcome, when the shape gives its SQL), and the values of
the decision the caller asks for by name (`Plan.value_sql`: the customer, the
version, a key of `result`), so that no caller parses the text for them.
`reasons_sql` compiles the reasons of any subset of rules (a customer-month's
credit runs the claim rules that need no claim).
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Callable, Mapping, Sequence

from engine import kinds
from engine.columnar import text
from engine.columnar.dialect import Dialect
from engine.core.evaluate import FAILING_OUTCOMES, Options, what_if_label
from engine.lang import ast
from engine.lang.backends.sql import SqlScope, Uncompilable, condition, scope
from engine.policy.family import Family, Revision, Rule

RESULT_TYPES = ("text", "int", "bool", "texts", "json")

# The module of each built-in kind's stage and facts SQL (see FactsShape).
KIND_MODULES = {"case": "engine.columnar.case", "uptime": "engine.columnar.uptime",
                "credit_claim": "engine.columnar.claim"}


@dataclass(frozen=True)
class ResultField:
    """One key of the decision's `result`, in the kind's order.

    type: how its SQL value becomes JSON: "text" a string, "int" a number, "bool"
    true/false, "texts" a list of strings, "json" JSON text as it is; SQL NULL is
    JSON null. sql: an expression over the facts relation's columns, `reasons`
    and `failing`; None reads the column `result__KEY`."""

    key: str
    type: str
    sql: str | None = None

    def __post_init__(self) -> None:
        if self.type not in RESULT_TYPES:
            raise ValueError(f"result field {self.key!r}: type {self.type!r} is not one of {', '.join(RESULT_TYPES)}")


@dataclass(frozen=True)
class FactsShape:
    """What a kind's facts relation holds for the plan (see the module docstring).

    A kind module (KIND_MODULES) provides it as `shape(family, dialect, options)`."""

    kind: str
    fact_types: Mapping[str, str]  # fact name -> "int" | "frac" | "instant" | "bool" | "text" | "texts"
    field_types: Mapping[str, str] = field(default_factory=dict)  # dotted field path -> type, for the fields rules read
    result: tuple[ResultField, ...] = ()
    outcome: str | None = None  # SQL of the one-word outcome (engine.core.outcomes), over the same columns as ResultField.sql


def revision_columns(kind: str) -> tuple[str, ...]:
    """The revision column of each anchor of `kind`, in anchor order (the last is `rev`)."""
    count = len(kinds.get(kind).anchors)
    return tuple(f"rev_{i}" for i in range(count - 1)) + ("rev",)


def names_read(family: Family, kind: str) -> dict[str, set[str]]:
    """Every fact and field path ("fact" / "field" -> names) the kind's rules read in any
    revision, and every fact their messages show: what a facts relation must hold."""
    out: dict[str, set[str]] = {"fact": set(), "field": set()}
    for anchor in kinds.get(kind).anchors:
        for revision in family.revisions:
            for rule in revision.rules.get(anchor.rules, ()):
                for outcome in rule.outcomes:
                    if outcome.when is not None:
                        for what, name in ast.names(outcome.when.node):
                            if what in out:
                                out[what].add(name)
                    for template in outcome.message.values():
                        out["fact"] |= {name for _, name in text.template_parts(template) if name is not None}
    return out


def shape_of(kind: str, family: Family, dialect: Dialect, options: Options) -> FactsShape:
    """The FactsShape the kind's columnar module gives."""
    if kind not in KIND_MODULES:
        raise Uncompilable(f"kind {kind!r} has no columnar module")
    try:
        module = importlib.import_module(KIND_MODULES[kind])
    except ImportError as exc:
        raise Uncompilable(f"kind {kind!r}: its columnar module cannot be loaded ({exc})") from None
    return module.shape(family, dialect, options)


@dataclass(frozen=True)
class Plan:
    """A compiled plan: `sql(relation)` decides every row of a facts relation."""

    kind: str
    dialect: Dialect
    outcome_columns: tuple[tuple[str, str], ...]  # (column, SQL of the rule's outcome index)
    reasons: str
    flags: tuple[tuple[str, str], ...]  # (outcome word of FAILING_OUTCOMES, SQL: a finding has it)
    decision: str
    outcome: str | None
    shown_columns: tuple[tuple[str, str], ...] = ()  # (column, SQL of a value several messages show)
    values: tuple[tuple[str, str], ...] = ()  # (name, SQL of a value the decision shows: see `value_sql`)
    line: str = ""  # the decision's text followed by a newline: its JSONL line (`sql(newline=True)`)

    def value_sql(self, name: str) -> str:
        """SQL of a value the decision's JSON shows, by name: "customer", "version" or "result.KEY"
        (a key of `result`), as json.loads would find it there (a JSON null is SQL NULL)."""
        for known, sql in self.values:
            if known == name:
                return sql
        raise KeyError(f"a {self.kind} decision shows no value {name!r}")

    def sql(self, facts: str, text: bool = True, values: Mapping[str, str] | None = None, newline: bool = False,
            passed: Sequence[str] = ()) -> str:
        """The SELECT deciding each row of the relation (a table name or a parenthesised query) `facts`.

        text False: `decision` is '' instead of the JSON text (a run that writes no decision need not
        build them: on DuckDB that text is about half the CPU of a chunk of cases). values: output
        column -> a value the decision shows (`value_sql`), so a caller reads it without parsing the text.
        newline: each text ends with a newline, so the result's text column is the JSONL as it is written
        (engine.columnar.output.jsonl_body), with no copy to add one. passed: columns of `facts` carried
        to the output as they are, so a caller reads them without joining the decisions to the facts."""
        d = self.dialect
        indices = ", ".join(f"{sql} AS {d.ident(name)}" for name, sql in self.outcome_columns + self.shown_columns)
        inner = f"SELECT *{', ' + indices if indices else ''} FROM {facts}"
        flags = "".join(f", {sql} AS {d.ident(word)}" for word, sql in self.flags)
        either = " OR ".join(d.ident(word) for word, _ in self.flags) or "FALSE"
        middle = f"SELECT *, {self.reasons} AS reasons{flags} FROM ({inner}) AS _rules"
        flagged = f"SELECT *, ({either}) AS failing FROM ({middle}) AS _flagged"
        outcome = f", {self.outcome} AS outcome" if self.outcome else ""
        words = "".join(f", {d.ident(word)}" for word, _ in self.flags)
        taken = {"pos", "record", "decision", "failing", "reasons", "outcome", *(word for word, _ in self.flags)}
        added = [*(values or {}), *passed]
        clash = taken & set(added) | {name for name in added if added.count(name) > 1}
        if clash:  # Spark refuses a name given twice; DuckDB would pick one silently
            raise ValueError(f"value or passed columns {sorted(clash)} are names the plan's output has")
        shown = "".join(f", {self.value_sql(name)} AS {d.ident(column)}" for column, name in (values or {}).items())
        shown += "".join(f", {d.ident(column)}" for column in passed)
        if newline and not self.line:
            raise ValueError("this plan was built without the decisions' JSONL lines")
        decision = (self.line if newline else self.decision) if text else "''"
        return (f"SELECT pos, record, {decision} AS decision, failing{words}, reasons{outcome}{shown} "
                f"FROM ({flagged}) AS _decided")


def compile_plan(family: Family, kind: str, dialect: Dialect, options: Options,
                 shape: FactsShape | None = None) -> Plan:
    """The plan of `kind`'s records under `family` (see the module docstring)."""
    shape = shape or shape_of(kind, family, dialect, options)
    where = scope(dialect, shape.fact_types, shape.field_types)
    anchors = kinds.get(kind).anchors
    columns = revision_columns(kind)
    codes = {i: (r.code_words(options.lang) if options.lang != "en" else None) for i, r in enumerate(family.revisions)}
    count = len(family.revisions)
    outcome_columns: list[tuple[str, str]] = []
    shown = _Shown(dialect)
    findings: list[str] = []
    reasons: list[str] = []
    flags: dict[str, list[str]] = {word: [] for word in sorted(FAILING_OUTCOMES)}
    for a, (anchor, rev) in enumerate(zip(anchors, columns)):
        rules = {k: r.rules.get(anchor.rules, ()) for k, r in enumerate(family.revisions)}
        for j in range(max((len(v) for v in rules.values()), default=0)):
            name = f"_o{a}_{j}"
            outcome_columns.append((name, _per_revision(dialect, rev, {
                k: _outcome_index(rule[j], where, dialect) for k, rule in rules.items() if j < len(rule)}, "-1", count)))
        findings.append(_per_revision(dialect, rev, {
            k: _findings(rs, a, family.revisions[k], where, dialect, options.lang, codes[k], shown) for k, rs in rules.items()},
            "NULL", count))
        reasons += [_per_revision(dialect, rev, {k: _reason(rs[j], f"_o{a}_{j}", dialect) for k, rs in rules.items()
                                                 if j < len(rs)}, "NULL", count)
                    for j in range(max((len(v) for v in rules.values()), default=0))]
        for word, tests in flags.items():
            tests.append(_per_revision(dialect, rev, {k: _has(rs, a, word, dialect) for k, rs in rules.items()}, "FALSE", count))
    reasons_sql = dialect.list_filter(dialect.list_of(*reasons), "x", "x IS NOT NULL") if reasons else dialect.texts(())
    flag_sql = tuple((word, "(" + " OR ".join(tests) + ")" if tests else "FALSE") for word, tests in flags.items())
    listed = [shown.resolve(f) for f in findings]
    decision = _decision(family, kind, shape, dialect, options, columns, listed)
    line = _decision(family, kind, shape, dialect, options, columns, listed, end="]}\n")
    values = (("customer", dialect.ident("customer")),
              ("version", _per_revision(dialect, columns[-1], {k: dialect.text(r.revision) for k, r in enumerate(family.revisions)},
                                        "NULL", count)),
              *((f"result.{f.key}", f.sql if f.sql is not None else dialect.ident(f"result__{f.key}")) for f in shape.result))
    return Plan(kind, dialect, tuple(outcome_columns), reasons_sql, flag_sql, decision, shape.outcome, shown.columns(), values,
                line)


class _Shown:
    """The values the messages show, each written once as a column when more than one message shows it.

    A response rule's four messages each showed the target's decimal text (≈1,600 characters of SQL), once
    per revision too: DuckDB spent a fifth of a cases chunk planning such repeats. `mark` stands in for a
    value's SQL while the findings are built; `resolve` writes a repeated one as its column, a single one
    in place (so a value only a rare message shows is not computed for every row)."""

    def __init__(self, dialect: Dialect):
        self.dialect = dialect
        self.index: dict[str, int] = {}
        self.uses: dict[str, int] = {}

    def mark(self, sql: str) -> str:
        n = self.index.setdefault(sql, len(self.index))
        self.uses[sql] = self.uses.get(sql, 0) + 1
        return f"\x00{n}\x00"  # no SQL text holds a NUL: literals are JSON-escaped (\u0000)

    def resolve(self, sql: str) -> str:
        texts = {n: t for t, n in self.index.items()}
        return re.sub("\x00([0-9]+)\x00", lambda m: self._written(texts[int(m.group(1))]), sql)

    def _written(self, sql: str) -> str:
        return self.dialect.ident(f"_s{self.index[sql]}") if self.uses[sql] > 1 else sql

    def columns(self) -> tuple[tuple[str, str], ...]:
        return tuple((f"_s{n}", sql) for sql, n in self.index.items() if self.uses[sql] > 1)


def _per_revision(dialect: Dialect, column: str, branches: Mapping[int, str], otherwise: str,
                  revisions: int | None = None) -> str:
    """`CASE WHEN column = k THEN branch ... ELSE otherwise END`, revisions with the same SQL
    sharing one branch; just the branch when every one of the `revisions` has it (rules
    and messages unchanged between revisions compile to the same SQL)."""
    if not branches:
        return otherwise
    groups: dict[str, list[int]] = {}
    for k, sql in branches.items():
        groups.setdefault(sql, []).append(k)
    if revisions is not None and len(groups) == 1 and len(branches) == revisions:
        return next(iter(groups))
    ident = dialect.ident(column)
    whens = " ".join(f"WHEN {ident} IN ({', '.join(map(str, ks))}) THEN {sql}" for sql, ks in groups.items())
    return f"(CASE {whens} ELSE {otherwise} END)"


def _outcome_index(rule: Rule, where: SqlScope, dialect: Dialect) -> str:
    """The index of the rule's first outcome that holds, or -1."""
    whens = []
    for i, outcome in enumerate(rule.outcomes):
        try:
            test = "TRUE" if outcome.when is None else condition(outcome.when.node, where, dialect)
        except Uncompilable as exc:
            raise exc.for_rule(rule.id) from None
        whens.append(f"WHEN {test} THEN {i}")
        if outcome.when is None:
            break
    return f"(CASE {' '.join(whens)} ELSE -1 END)"


def _findings(rules: tuple[Rule, ...], anchor: int, revision: Revision, where: SqlScope, dialect: Dialect,
              lang: str, codes: Mapping[str, str] | None, shown: _Shown) -> str:
    """The findings of one anchor's rules under one revision, as JSON objects joined by commas (NULL for none)."""
    objects = []
    for j, rule in enumerate(rules):
        whens = []
        for i, outcome in enumerate(rule.outcomes):
            head = {"rule": rule.id, "outcome": outcome.outcome, "clause": rule.clause}
            try:
                message = text.message_pieces(outcome.message[lang], where, dialect, codes, json_escaped=True)
            except Uncompilable as exc:
                raise exc.for_rule(rule.id) from None
            message = [(literal, piece if literal else shown.mark(piece)) for literal, piece in message]
            tail = f',"reason":{json.dumps(outcome.reason, ensure_ascii=False)}' if outcome.reason else ""
            opening = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"message":"'
            whens.append(f"WHEN {i} THEN {text.joined([(True, opening), *message, (True, chr(34) + tail + '}')], dialect)}")
        objects.append(f"(CASE {dialect.ident(f'_o{anchor}_{j}')} {' '.join(whens)} ELSE NULL END)")
    if not objects:
        return "NULL"
    return f"NULLIF({dialect.concat_ws(',', *objects)}, '')"


def _reason(rule: Rule, column: str, dialect: Dialect) -> str:
    """The reason of the rule's finding, or NULL."""
    whens = " ".join(f"WHEN {i} THEN {dialect.text(o.reason)}" for i, o in enumerate(rule.outcomes) if o.reason)
    return f"(CASE {dialect.ident(column)} {whens} ELSE NULL END)" if whens else dialect.null("text")


def _has(rules: tuple[Rule, ...], anchor: int, word: str, dialect: Dialect) -> str:
    """Whether one of the rules' findings under one revision has the outcome `word`."""
    tests = []
    for j, rule in enumerate(rules):
        hits = [str(i) for i, o in enumerate(rule.outcomes) if o.outcome == word]
        if hits:
            tests.append(f"{dialect.ident(f'_o{anchor}_{j}')} IN ({', '.join(hits)})")
    return "(" + " OR ".join(tests) + ")" if tests else "FALSE"


def reasons_sql(family: Family, dialect: Dialect, shape: FactsShape, rules_of: Callable[[Revision], Sequence[Rule]],
                rev: str = "rev") -> str:
    """SQL of a list of VARCHAR: for each rule `rules_of(revision)` gives, in order, the reason of
    its first holding outcome (nothing when that outcome has none), under the revision in column
    `rev`. E.g. a customer-month's credit: `reasons_sql(..., engine.core.credit.month_rules)`."""
    where = scope(dialect, shape.fact_types, shape.field_types)
    per_rule: dict[int, list[tuple[int, str]]] = {}
    for k, revision in enumerate(family.revisions):
        for j, rule in enumerate(rules_of(revision)):
            whens = []
            for outcome in rule.outcomes:
                try:
                    test = "TRUE" if outcome.when is None else condition(outcome.when.node, where, dialect)
                except Uncompilable as exc:
                    raise exc.for_rule(rule.id) from None
                whens.append(f"WHEN {test} THEN {dialect.text(outcome.reason) if outcome.reason else 'NULL'}")
                if outcome.when is None:
                    break
            per_rule.setdefault(j, []).append((k, f"(CASE {' '.join(whens)} ELSE NULL END)"))
    items = [_per_revision(dialect, rev, dict(branches), dialect.null("text"), len(family.revisions))
             for _, branches in sorted(per_rule.items())]
    if not items:
        return dialect.texts(())
    return dialect.list_filter(dialect.list_of(*items), "x", "x IS NOT NULL")


def _decision(family: Family, kind: str, shape: FactsShape, dialect: Dialect, options: Options,
              columns: tuple[str, ...], findings: list[str], end: str = "]}") -> str:
    """The decision's JSON text (keys in the order of Decision.to_json), closed by `end`."""
    heads = {}
    extra_of = kinds.get(kind).extra
    indices = range(len(family.revisions))
    for combo in product(indices, repeat=len(columns)):
        revisions = tuple(family.revisions[k] for k in combo)
        own = revisions[-1]
        extra: dict[str, Any] = dict(extra_of(revisions)) if extra_of is not None else {}
        if options.as_of is not None:
            extra["what_if"] = what_if_label(options.as_of)
        head = {"policy": own.family, "version": own.revision, "sha256": own.sha256, **extra}
        heads[combo] = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[1:-1]
    condition_of = (lambda combo: " AND ".join(f"{dialect.ident(c)} = {k}" for c, k in zip(columns, combo)))
    stray = dialect.fail(f"a {kind} facts row has a revision index outside 0-{len(family.revisions) - 1}")
    head_sql = ("(CASE " + " ".join(f"WHEN {condition_of(c)} THEN {dialect.text(h)}" for c, h in heads.items())
                + f" ELSE {stray} END)")
    opening = dialect.concat(dialect.text('{"record":'), dialect.json_string(dialect.ident("record")),
                             dialect.text(f',"type":{json.dumps(kind)},"customer":'),
                             f"COALESCE({dialect.json_string(dialect.ident('customer'))}, 'null')", "','", head_sql)
    result = _result(shape, dialect)
    listed = f"COALESCE({dialect.concat_ws(',', *findings)}, '')" if findings else "''"
    return dialect.concat(opening, dialect.text(',"result":'), result, dialect.text(',"findings":['), listed, dialect.text(end))


def _result(shape: FactsShape, dialect: Dialect) -> str:
    """The `result` object's JSON text."""
    if not shape.result:
        return "'{}'"
    parts = []
    for n, f in enumerate(shape.result):
        value = f.sql if f.sql is not None else dialect.ident(f"result__{f.key}")
        parts.append(dialect.text(("{" if n == 0 else ",") + json.dumps(f.key, ensure_ascii=False) + ":"))
        parts.append(_json_value(value, f.type, dialect))
    return dialect.concat(*parts, "'}'")


def _json_value(sql: str, kind: str, dialect: Dialect) -> str:
    """SQL of a value's JSON text (NULL -> null)."""
    if kind == "text":
        shown = dialect.json_string(sql)
    elif kind == "int":
        shown = dialect.to_text(sql)
    elif kind == "bool":
        shown = f"(CASE WHEN {sql} THEN 'true' WHEN NOT {sql} THEN 'false' END)"
    elif kind == "texts":
        items = dialect.list_join(dialect.list_transform(sql, "x", dialect.json_string("x")), ",")
        shown = f"('[' || {items} || ']')"
    else:
        shown = sql
    return f"COALESCE({shown}, 'null')"
