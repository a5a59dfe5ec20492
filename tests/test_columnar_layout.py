"""Parquet chunks are staged by typed columns only when each value is the one the
row engine reads from the same row (engine.columnar.layout); any other chunk is
staged as the JSON text of its rows, so a column of the wrong type is rejected
exactly as the row engine rejects it, never decided."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli

pa = pytest.importorskip("pyarrow", reason="the columnar extra (pyarrow) is not installed")
pytest.importorskip("duckdb", reason="the columnar extra (duckdb) is not installed")
pq = pytest.importorskip("pyarrow.parquet")

from engine.columnar import case as case_sql, claim as claim_sql  # noqa: E402
from engine.columnar.inputs import json_rows  # noqa: E402
from engine.columnar.layout import cast_to, misfit, typed_layout  # noqa: E402

NOW = "2025-06-01T00:00:00Z"
CASE = {"type": "case", "id": "C-1", "customer": "acme", "severity": 2, "channel": "support_portal",
        "submitted_at": "2024-03-05T09:30:00Z",
        "events": [{"type": "human_response", "at": "2024-03-05T10:00:00Z", "via": "support_portal"}]}
CLAIM = {"type": "credit_claim", "id": "K-1", "customer": "acme", "month": "2024-03", "submitted_at": "2024-04-02T00:00:00Z",
         "support_case": None, "contract": {"billing": "month_to_month", "currency": "USD", "monthly_commitment": "1000"},
         "outages": [{"start": "2024-03-12T02:00:00Z", "end": "2024-03-12T02:40:00Z", "functions": ["outbound_voice"],
                      "cause": "genesys"}]}


def _fit(table, module):
    """The table cast to the module's layout as the runner casts it, or None when it does not fit."""
    table = table.append_column("pos", pa.array(range(1, table.num_rows + 1), pa.int64()))
    layout = typed_layout(module)
    return None if misfit(table, *layout) is not None else cast_to(table, layout[0])


def test_a_chunk_in_the_layout_with_fewer_struct_fields_and_narrower_types_is_cast_to_it():
    outage = pa.struct([("cause", pa.large_string()), ("start", pa.string()), ("end", pa.string()),
                        ("functions", pa.large_list(pa.string()))])
    table = pa.table({"type": ["credit_claim"], "id": ["K-1"], "customer": ["acme"], "month": ["2024-03"],
                      "submitted_at": ["2024-04-02T00:00:00Z"], "support_case": pa.nulls(1),
                      "contract": pa.array([{"billing": "month_to_month", "currency": "USD"}]),
                      "outages": pa.array([[{"cause": "genesys", "start": "a", "end": "b", "functions": ["x", "y"]}]],
                                          pa.list_(outage))})
    got = _fit(table, claim_sql)
    layout, _ = typed_layout(claim_sql)
    assert got.drop_columns(["pos"]).schema == layout
    row = got.to_pylist()[0]
    assert row["contract"] == {"billing": "month_to_month", "currency": "USD", "monthly_commitment": None,
                               "annual_commitment": None}
    assert row["outages"] == [{"start": "a", "end": "b", "functions": ["x", "y"], "cause": "genesys", "id": None, "note": None}]
    assert _fit(pa.table({"severity": pa.array([2], pa.int32())}), case_sql).column("severity").type == pa.int64()


def test_a_sliced_list_column_keeps_its_own_rows_when_cast():
    outage = pa.struct([("start", pa.string()), ("end", pa.string()), ("functions", pa.list_(pa.string())), ("cause", pa.string())])
    lists = pa.array([[{"start": "1", "end": "2", "functions": ["a"], "cause": "c"}], None,
                      [{"start": "3", "end": "4", "functions": ["b", "c"], "cause": "d"}]], pa.list_(outage))
    table = pa.table({"id": ["K-1", "K-2", "K-3"], "support_case": pa.nulls(3), "outages": lists}).slice(1, 2)
    got = _fit(table, claim_sql).column("outages").to_pylist()
    assert got == [None, [{"start": "3", "end": "4", "functions": ["b", "c"], "cause": "d", "id": None, "note": None}]]


@pytest.mark.parametrize("column", [
    pa.array(["2"]),                                                         # a string where the layout has an integer
    pa.array([2.0]),                                                         # a float
    pa.array([2], pa.uint64()),                                              # may not fit BIGINT
    pa.array([{"primary": 1, "deputy": 2}]),                                 # a struct field the layout has not
])
def test_a_chunk_whose_types_the_typed_staging_would_misread_does_not_fit(column):
    name = "designated_contacts" if pa.types.is_struct(column.type) else "severity"
    assert _fit(pa.table({name: column}), case_sql) is None


def test_a_chunk_with_an_unknown_column_or_without_a_null_valued_one_does_not_fit():
    assert _fit(pa.table({"id": ["C-1"], "priority": ["high"]}), case_sql) is None
    assert _fit(pa.table({"id": ["K-1"]}), claim_sql) is None  # support_case: an absent key, not a null
    assert _fit(pa.table({"id": ["K-1"], "support_case": pa.nulls(1)}), claim_sql) is not None


def _both(tmp_path: Path, source: str, records: list[dict], *more: str) -> tuple[object, object, Path]:
    """The same rows as Parquet (duckdb) and as the JSON lines the row engine reads of them (row)."""
    table = pa.Table.from_pylist(records)
    parquet = tmp_path / f"{source}.parquet"
    pq.write_table(table, parquet)
    lines = tmp_path / f"{source}.jsonl"
    lines.write_text("".join(t + "\n" for t in json_rows(table.to_batches()[0])), encoding="utf-8")
    row = run_cli("check", f"--{source}", str(lines), "--now", NOW, "--fail-on", "none", "--jobs", "1",
                  "-o", str(tmp_path / "r.jsonl"), *more)
    duck = run_cli("check", f"--{source}", str(parquet), "--now", NOW, "--fail-on", "none", "--backend", "duckdb",
                   "-o", str(tmp_path / "d.jsonl"), *more)
    return row, duck, parquet


def test_a_parquet_severity_written_as_text_is_rejected_as_the_row_engine_rejects_it(tmp_path):
    row, duck, parquet = _both(tmp_path, "cases", [{**CASE, "severity": "2"}, {**CASE, "id": "C-2", "severity": "3"}])
    assert (row.code, duck.code) == (2, 2)
    problem = [line for line in duck.err.splitlines() if line.startswith(str(parquet))]
    assert problem == [line.replace(str(tmp_path / "cases.jsonl"), str(parquet))
                       for line in row.err.splitlines() if line.startswith(str(tmp_path / "cases.jsonl"))]
    assert "severity" in problem[0] and '"2"' in problem[0]
    assert not (tmp_path / "d.jsonl").exists() and not (tmp_path / "r.jsonl").exists()


def test_parquet_claims_in_the_typed_layout_are_decided_by_the_sql_as_the_row_engine_decides_them(tmp_path):
    records = [CLAIM, {**CLAIM, "id": "K-2", "support_case": "CASE-9", "outages": []},
               {**CLAIM, "id": "K-3", "contract": {"billing": "annual_prepaid", "currency": "JPY", "annual_commitment": "120000"}}]
    row, duck, _ = _both(tmp_path, "claims", records)
    assert (row.code, duck.code) == (0, 0), duck.err
    assert "claims: 3 decided by the SQL, 0 by the row engine" in duck.err
    decided = (tmp_path / "d.jsonl").read_text(encoding="utf-8")
    assert [json.loads(line)["record"] for line in decided.splitlines()] == ["K-1", "K-2", "K-3"]
    assert decided == (tmp_path / "r.jsonl").read_text(encoding="utf-8")


def test_parquet_claims_without_outages_take_them_from_outages_in_the_row_engine_as_their_json_does(tmp_path):
    """A NULL outages column is an absent field: with --outages, such a claim's outages are the incidents (joined by
    the row engine, as for a JSONL claim without the key); a claim that lists its own is decided by the SQL."""
    incidents = tmp_path / "incidents.jsonl"
    incidents.write_text(json.dumps({"id": "INC-1", "customer": "acme", "start": "2024-03-12T02:00:00Z",
                                     "end": "2024-03-12T09:00:00Z", "functions": ["outbound_voice"], "cause": "genesys"}) + "\n",
                         encoding="utf-8")
    records = [{**CLAIM, "id": "K-joined", "outages": None}, CLAIM]
    row, duck, _ = _both(tmp_path, "claims", records, "--outages", str(incidents), "--months", "2024-03")
    assert (row.code, duck.code) == (0, 0), duck.err
    assert "claims: 1 decided by the SQL, 1 by the row engine (1 its outages come from --outages" in duck.err
    decided = (tmp_path / "d.jsonl").read_text(encoding="utf-8")
    assert decided == (tmp_path / "r.jsonl").read_text(encoding="utf-8")
    joined = next(json.loads(line) for line in decided.splitlines() if '"K-joined"' in line)
    assert joined["result"]["uptime_percent"] != "100"  # the incident's seven hours count against it


def test_misfit_names_the_first_reason_a_chunk_does_not_fit():
    def why(table, module=case_sql):
        return misfit(table, *typed_layout(module))

    assert why(pa.table({"id": ["C-1"], "priority": ["high"]})) == "a column the layout has not: priority"
    assert why(pa.table({"severity": ["2"]})) == "column severity is string where the layout has int64"
    assert why(pa.table({"id": ["K-1"]}), claim_sql).startswith("no support_case column")
    assert why(pa.table({"id": ["C-1"], "severity": pa.array([2], pa.int16())})) is None


def test_parquet_rows_that_do_not_fit_are_decided_from_their_json_text_and_the_run_says_why(tmp_path):
    """An extra column (all null: an absent field to the row engine) keeps the chunk from the typed staging;
    DuckDB decides its rows from their JSON lines, as the row engine does, and says so once on stderr."""
    row, duck, _ = _both(tmp_path, "claims", [{**CLAIM, "remark": None}, {**CLAIM, "id": "K-2", "remark": None}])
    assert (row.code, duck.code) == (0, 0), duck.err
    assert (tmp_path / "d.jsonl").read_text(encoding="utf-8") == (tmp_path / "r.jsonl").read_text(encoding="utf-8")
    assert "claims: 2 decided by the SQL, 0 by the row engine" in duck.err
    assert ("claims: 2 Parquet rows read as their JSON text, not by typed columns (2: a column the layout has not: remark)"
            in duck.err)
