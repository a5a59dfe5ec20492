"""SQL shows values and fills message templates exactly as the row engine does (DuckDB)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

import hypothesis_profiles  # noqa: F401  (registers the profiles)
from engine.columnar import text
from engine.columnar.dialect import DUCKDB
from engine.core.evaluate import render_message
from engine.exact import decimal_text, money_text
from engine.lang.backends.sql import Uncompilable, column, scope
from engine.lang.values import show
from engine.timeutil import iso, micros

duckdb = pytest.importorskip("duckdb", reason="the columnar extra (duckdb) is not installed")

# Terms below 10**24, where the row engine computes digits exactly (engine.exact's fast path; above it,
# decimal_text keeps only 28 significant digits, which facts of this engine never reach).
fractions = st.builds(Fraction, st.integers(-(10**24) + 1, 10**24 - 1) | st.integers(-2000, 2000),
                      st.integers(1, 10**14) | st.sampled_from([1, 2, 3, 7, 12, 60_000_000, 3 * 10**6]))
instants = st.datetimes(min_value=datetime(1001, 1, 1), max_value=datetime(8999, 12, 31),
                        timezones=st.just(timezone.utc)) | st.builds(
    lambda s, us: datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=s, microseconds=us),
    st.integers(-10**6, 10**6), st.sampled_from([0, 1, 10, 100_000, 999_999, 120_000]))


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@settings(max_examples=200)
@given(values=st.lists(fractions, min_size=1, max_size=8))
def test_fractions_show_as_decimal_text_truncated_to_the_shown_places(con, values):
    sql = text.shown(column("v", "frac", DUCKDB), DUCKDB)
    rows = ", ".join(f"(CAST('{v.numerator}' AS HUGEINT), CAST('{v.denominator}' AS HUGEINT), {k})" for k, v in enumerate(values))
    got = [r[0] for r in con.execute(f"SELECT {sql} FROM (VALUES {rows}) AS t(v__n, v__d, k) ORDER BY k").fetchall()]
    assert got == [decimal_text(v) for v in values] == [show(v) for v in values]


@settings(max_examples=200)
@given(amount=st.builds(Fraction, st.integers(0, 10**20), st.integers(1, 10**6) | st.sampled_from([12, 100, 1200])),
       places=st.integers(0, 4))
def test_money_is_rounded_half_up_to_the_minor_unit(con, amount, places):
    sql = text.money_text("n", "d", places, DUCKDB)
    got = con.execute(f"SELECT {sql} FROM (SELECT CAST(? AS HUGEINT) AS n, CAST(? AS HUGEINT) AS d)",
                      [str(amount.numerator), str(amount.denominator)]).fetchone()[0]
    assert got == money_text(amount, places)


@settings(max_examples=200)
@given(instant=instants, zone=st.sampled_from([0, 8, -5]))
def test_instants_show_as_iso_in_utc(con, instant, zone):
    local = instant.astimezone(timezone(timedelta(hours=zone)))
    got = con.execute(f"SELECT {text.iso('m', DUCKDB)} FROM (SELECT CAST(? AS BIGINT) AS m)", [micros(local)]).fetchone()[0]
    assert got == iso(local) == show(local)


def test_ints_booleans_nulls_texts_and_lists_show_as_the_row_engine_shows_them(con):
    where = scope(DUCKDB, {"i": "int", "b": "bool", "s": "text", "l": "texts", "n": "int"})
    row = {"i": -42, "b": True, "s": "a'b\"c\n中", "l": ["phone", "x"], "n": None}
    con.execute("CREATE OR REPLACE TABLE t (i BIGINT, b BOOLEAN, s VARCHAR, l VARCHAR[], n BIGINT)")
    con.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", list(row.values()))
    for name, value in row.items():
        got = con.execute(f"SELECT {text.shown(where.facts[name], DUCKDB)} FROM t").fetchone()[0]
        assert got == show(tuple(value) if isinstance(value, list) else value)


def test_a_template_becomes_the_same_message_in_english_and_in_words(con):
    where = scope(DUCKDB, {"channel": "text", "allowed": "texts", "minutes": "frac", "at": "instant", "none": "int"})
    facts = {"channel": "portal", "allowed": ("phone", "portal"), "minutes": Fraction(361, 3),
             "at": datetime(2024, 3, 5, 9, 30, 0, 120000, tzinfo=timezone.utc), "none": None}
    con.execute("CREATE OR REPLACE TABLE t (channel VARCHAR, allowed VARCHAR[], minutes__n HUGEINT, minutes__d HUGEINT, "
                "\"at\" BIGINT, \"none\" BIGINT)")
    con.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
                ["portal", ["phone", "portal"], 361, 3, micros(facts["at"]), None])
    template = "Opened via {channel} (allowed: {allowed}) after {minutes} min at {at}; {none} «\"quoted\"» {{braces}}"
    codes = {"portal": "支持门户", "phone": "电话"}
    for words in (None, codes):
        expected = render_message(template, facts, words)
        assert con.execute(f"SELECT {text.message(template, where, DUCKDB, words)} FROM t").fetchone()[0] == expected
        escaped = text.message(template, where, DUCKDB, words, json_escaped=True)
        assert json.loads('"' + con.execute(f"SELECT {escaped} FROM t").fetchone()[0] + '"') == expected


def test_a_template_with_a_format_spec_or_an_unknown_fact_is_refused():
    with pytest.raises(Uncompilable):
        text.message("{x:>4}", scope(DUCKDB, {"x": "int"}), DUCKDB)
    with pytest.raises(Uncompilable):
        text.message("{y}", scope(DUCKDB, {"x": "int"}), DUCKDB)
