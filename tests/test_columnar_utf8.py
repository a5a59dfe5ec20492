"""A Parquet row whose text is not UTF-8 is rejected as the row engine rejects a JSONL
line that is not, naming the field; none of its text reaches the SQL (engine.columnar.utf8).

Before, such a row came out of DuckDB as a decision with `"customer":,` in it (exit 0),
made DuckDB invalidate its database (a bad timestamp), or stopped the run with an
internal error (exit 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from spark_helpers import spark  # noqa: F401  (the session fixture)

pa = pytest.importorskip("pyarrow", reason="the columnar extra (pyarrow) is not installed")
pytest.importorskip("duckdb", reason="the columnar extra (duckdb) is not installed")
pq = pytest.importorskip("pyarrow.parquet")

from engine.columnar.inputs import json_rows  # noqa: E402
from engine.columnar.utf8 import not_utf8  # noqa: E402

NOW = "2025-06-01T00:00:00Z"
MARK = "~BADBYTE~"  # written as text, then its fifth byte made 0xff in the file: not UTF-8
CASE = {"type": "case", "id": "C-1", "customer": "acme", "severity": 2, "channel": "portal",
        "submitted_at": "2024-03-05T09:30:00Z",
        "events": [{"type": "automated_reply", "at": "2024-03-05T09:31:00Z"},
                   {"type": "human_response", "at": "2024-03-05T10:00:00Z", "via": "case_note"}]}
CLAIM = {"type": "credit_claim", "id": "K-1", "customer": "acme", "month": "2024-03", "submitted_at": "2024-04-02T00:00:00Z",
         "support_case": None, "contract": {"billing": "month_to_month", "currency": "USD", "monthly_commitment": "1000"},
         "outages": [{"start": "2024-03-12T02:00:00Z", "end": "2024-03-12T02:40:00Z", "functions": ["outbound_voice"],
                      "cause": "genesys"}]}
INCIDENT = {"id": "INC-1", "customer": "acme", "start": "2024-03-12T02:00:00Z", "end": "2024-03-12T09:00:00Z",
            "functions": ["outbound_voice"], "cause": "genesys"}


def _bad_parquet(path: Path, records: list[dict]) -> Path:
    """`records` as Parquet, each MARK in their text made a byte that is not UTF-8 (uncompressed, no
    dictionary: the text is in the file as written, in the pages and the statistics alike)."""
    pq.write_table(pa.Table.from_pylist(records), path, compression="none", use_dictionary=False)
    data = path.read_bytes()
    assert MARK.encode() in data
    path.write_bytes(data.replace(MARK.encode(), MARK.encode()[:4] + b"\xff" + MARK.encode()[5:]))
    return path


def _cases(n: int, bad: dict[int, dict]) -> list[dict]:
    return [{**CASE, "id": f"C-{i}", **bad.get(i, {})} for i in range(1, n + 1)]


def _check(*args: str):
    return run_cli("check", "--now", NOW, "--fail-on", "none", *args)


def test_a_parquet_row_whose_text_is_not_utf8_stops_the_run_naming_its_field_and_nothing_is_written(tmp_path):
    cases = _bad_parquet(tmp_path / "cases.parquet", _cases(3, {2: {"customer": f"ac{MARK}"}}))
    run = _check("--cases", str(cases), "--backend", "duckdb", "-o", str(tmp_path / "d.jsonl"), "--summary", str(tmp_path / "s.json"))
    assert run.code == 2, run.err
    assert f"{cases}:2: record C-2: customer: not UTF-8 text (invalid start byte at byte 6 of the value)" in run.err.splitlines()
    assert "internal error" not in run.err
    assert not (tmp_path / "d.jsonl").exists() and not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("field, bad", [
    ("submitted_at", {"submitted_at": f"2024-03-05T09:30:00Z{MARK}"}),  # once made DuckDB invalidate its database
    ("channel", {"channel": f"por{MARK}"}),
    ("events[1].via", {"events": [CASE["events"][0], {**CASE["events"][1], "via": f"case{MARK}"}]}),
])
def test_text_that_is_not_utf8_in_any_field_is_named_by_its_path(tmp_path, field, bad):
    cases = _bad_parquet(tmp_path / "cases.parquet", _cases(2, {1: bad}))
    run = _check("--cases", str(cases), "--backend", "duckdb", "-o", str(tmp_path / "d.jsonl"))
    assert run.code == 2, run.err
    assert any(line.startswith(f"{cases}:1: record C-1: {field}: not UTF-8 text (invalid start byte at byte ")
               for line in run.err.splitlines()), run.err


def test_with_keep_going_the_row_is_in_the_rejects_file_and_the_others_are_decided_as_the_row_engine_decides_them(tmp_path):
    records = _cases(5, {2: {"customer": f"ac{MARK}"}, 4: {"id": f"C-{MARK}"}})
    cases = _bad_parquet(tmp_path / "cases.parquet", records)
    run = _check("--cases", str(cases), "--backend", "duckdb", "--keep-going", "--rejects", str(tmp_path / "rej.jsonl"),
                 "-o", str(tmp_path / "d.jsonl"), "--summary", str(tmp_path / "s.json"))
    assert run.code == 2, run.err
    assert "cases: 3 decided by the SQL, 2 by the row engine (2 not UTF-8 text)" in run.err
    rejects = [json.loads(line) for line in (tmp_path / "rej.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["line"], r["problems"]) for r in rejects] == [
        (2, [f"{cases}:2: record C-2: customer: not UTF-8 text (invalid start byte at byte 6 of the value)"]),
        (4, [f"{cases}:4: id: not UTF-8 text (invalid start byte at byte 6 of the value)"])]  # an id that does not read is not named
    assert [r["record"] for r in rejects] == ["C-2", None]
    assert json.loads(rejects[0]["row"])["customer"] == "ac~BAD\ufffdYTE~"  # as far as it reads
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(r) + "\n" for i, r in enumerate(records, 1) if i not in (2, 4)), encoding="utf-8")
    row = _check("--cases", str(good), "--jobs", "1", "-o", str(tmp_path / "r.jsonl"))
    assert row.code == 0, row.err
    assert (tmp_path / "d.jsonl").read_text(encoding="utf-8") == (tmp_path / "r.jsonl").read_text(encoding="utf-8")
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert (summary["counts"]["cases"]["read"], summary["counts"]["cases"]["rejected"]) == (5, 2)


def test_a_binary_column_read_as_text_is_held_to_utf8_too(tmp_path):
    """A writer may store text as bytes: such a column is read as text (decided from the row's JSON),
    and a value that is not UTF-8 is rejected, no longer decided with U+FFFD in place of the bad byte."""
    table = pa.Table.from_pylist(_cases(3, {}))
    table = table.set_column(table.schema.get_field_index("id"), "id", pa.array([b"C-1", b"C-\xff2", b"C-3"], pa.binary()))
    pq.write_table(table, tmp_path / "cases.parquet")
    run = _check("--cases", str(tmp_path / "cases.parquet"), "--backend", "duckdb", "--keep-going",
                 "--rejects", str(tmp_path / "rej.jsonl"), "-o", str(tmp_path / "d.jsonl"))
    assert f"{tmp_path / 'cases.parquet'}:2: id: not UTF-8 text (invalid start byte at byte 2 of the value)" in run.err, run.err
    assert [json.loads(line)["record"] for line in (tmp_path / "d.jsonl").read_text(encoding="utf-8").splitlines()] == \
        ["C-1", "C-3"]


def test_a_run_for_its_summary_only_rejects_the_row_too(tmp_path):
    cases = _bad_parquet(tmp_path / "cases.parquet", _cases(3, {3: {"customer": f"ac{MARK}"}}))
    run = _check("--cases", str(cases), "--backend", "duckdb", "--summary", str(tmp_path / "s.json"))
    assert run.code == 2 and f"{cases}:3: record C-3: customer: not UTF-8 text" in run.err, run.err


def test_a_chunk_read_as_json_text_keeps_each_row_in_its_place_around_the_rejected_one(tmp_path):
    """An extra column keeps the chunk from the typed staging: its rows go to the SQL as JSON lines,
    which must be those of the rows left after the one that is not UTF-8 is taken out."""
    records = [{**r, "remark": None} for r in _cases(4, {2: {"channel": f"por{MARK}"}})]
    cases = _bad_parquet(tmp_path / "cases.parquet", records)
    run = _check("--cases", str(cases), "--backend", "duckdb", "--keep-going", "--rejects", str(tmp_path / "rej.jsonl"),
                 "-o", str(tmp_path / "d.jsonl"))
    assert "cases: 3 Parquet rows read as their JSON text" in run.err, run.err
    assert [json.loads(line)["record"] for line in (tmp_path / "d.jsonl").read_text(encoding="utf-8").splitlines()] == \
        ["C-1", "C-3", "C-4"]


def test_claims_and_incidents_from_parquet_are_rejected_the_same_way(tmp_path):
    claims = _bad_parquet(tmp_path / "claims.parquet", [CLAIM, {**CLAIM, "id": "K-2",
                                                              "contract": {**CLAIM["contract"], "currency": f"US{MARK}"}}])
    run = _check("--claims", str(claims), "--backend", "duckdb", "-o", str(tmp_path / "d.jsonl"))
    assert run.code == 2 and f"{claims}:2: record K-2: contract.currency: not UTF-8 text" in run.err, run.err
    incidents = _bad_parquet(tmp_path / "incidents.parquet", [INCIDENT, {**INCIDENT, "id": "INC-2", "cause": f"gen{MARK}"}])
    run = _check("--outages", str(incidents), "--months", "2024-03", "--backend", "duckdb", "-o", str(tmp_path / "d.jsonl"))
    assert run.code == 2 and f"{incidents}:2: record INC-2: cause: not UTF-8 text" in run.err, run.err
    assert "internal error" not in run.err and not (tmp_path / "d.jsonl").exists()
    kept = run_cli("check", "--now", NOW, "--fail-on", "none", "--outages", str(incidents), "--months", "2024-03",
                   "--backend", "duckdb", "--keep-going", "--rejects", str(tmp_path / "rej.jsonl"), "-o", str(tmp_path / "d.jsonl"))
    assert kept.code == 2 and [json.loads(line)["record"] for line in (tmp_path / "rej.jsonl").read_text(encoding="utf-8").splitlines()] \
        == ["INC-2"], kept.err


def test_the_rows_that_are_not_utf8_are_found_among_many_and_a_valid_batch_has_none(tmp_path):
    bad = {0: {"customer": f"a{MARK}"}, 77: {"channel": f"p{MARK}"}, 999: {"id": f"{MARK}"}}
    records = [{**CASE, "id": f"C-{i}", **bad.get(i, {})} for i in range(1000)]
    table = pq.read_table(_bad_parquet(tmp_path / "many.parquet", records))
    batch = table.combine_chunks().to_batches()[0]
    found = not_utf8(batch)
    assert {i: [path for path, _ in problems] for i, problems in found.items()} == \
        {0: [("customer",)], 77: [("channel",)], 999: [("id",)]}
    assert not_utf8(pa.Table.from_pylist(records[1:77]).to_batches()[0]) == {}
    rows = json_rows(batch)
    assert [type(r).__name__ for r in rows[:2]] == ["BadRow", "str"] and json.loads(rows[1])["id"] == "C-1"


def test_spark_rejects_the_row_as_duckdb_does(tmp_path, spark):  # noqa: F811
    cases = _bad_parquet(tmp_path / "cases.parquet", _cases(3, {2: {"customer": f"ac{MARK}"}}))
    runs = [_check("--cases", str(cases), "--backend", backend, "--threads", "1", "--keep-going",
                   "--rejects", str(tmp_path / f"rej-{backend}.jsonl"), "-o", str(tmp_path / f"d-{backend}.jsonl"))
            for backend in ("duckdb", "spark")]
    assert [r.code for r in runs] == [2, 2], runs[1].err
    for name in ("rej", "d"):
        assert (tmp_path / f"{name}-spark.jsonl").read_text(encoding="utf-8") == \
            (tmp_path / f"{name}-duckdb.jsonl").read_text(encoding="utf-8")


def _text(values: list[bytes], view: bool = False):
    """A string (or string_view) array holding `values` as they are, UTF-8 or not (Arrow does not check)."""
    if view:
        return pa.array(values, pa.binary_view()).view(pa.string_view())
    raw = pa.array(values, pa.binary())
    return pa.StringArray.from_buffers(len(values), raw.buffers()[1], raw.buffers()[2])


def test_dictionary_and_view_columns_are_read_as_bytes_to_find_the_row():
    dictionary = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0]), _text([b"ok", b"b\xffd"]))
    batch = pa.RecordBatch.from_arrays([dictionary, pa.array(["x", "y", "z"])], names=["customer", "id"])
    assert not_utf8(batch) == {1: [(("customer",), "not UTF-8 text (invalid start byte at byte 1 of the value)")]}
    if not hasattr(pa, "string_view"):
        pytest.skip(f"pyarrow {pa.__version__} has no string_view")
    batch = pa.RecordBatch.from_arrays([_text([b"ok", b"b\xffd"], view=True)], names=["customer"])
    assert list(not_utf8(batch)) == [1]


def test_a_column_whose_rows_cannot_be_read_as_bytes_stops_the_run_naming_it(tmp_path):
    if not hasattr(pa, "list_view"):
        pytest.skip(f"pyarrow {pa.__version__} has no list_view (the one such type known)")
    events = pa.ListViewArray.from_arrays(pa.array([0, 1], pa.int32()), pa.array([1, 1], pa.int32()), _text([b"a", b"b\xff"]))
    table = pa.Table.from_pylist(_cases(2, {})).drop_columns(["events"]).append_column("events", events)
    pq.write_table(table, tmp_path / "cases.parquet")
    run = _check("--cases", str(tmp_path / "cases.parquet"), "--backend", "duckdb", "-o", str(tmp_path / "d.jsonl"))
    assert run.code == 2 and "internal error" not in run.err, run.err
    assert "column events" in run.err and "not UTF-8" in run.err


def test_a_rejected_rows_id_goes_with_it_to_a_worker_process():
    import pickle

    from engine.check.readers import BadRow

    row = BadRow.of('{"id": "C-1", "customer": "ac\ufffd"}', [(("customer",), "not UTF-8 text")], "C-1")
    back = pickle.loads(pickle.dumps(row))
    assert (type(back), str(back), back.problems, back.record) == (BadRow, str(row), row.problems, "C-1")
