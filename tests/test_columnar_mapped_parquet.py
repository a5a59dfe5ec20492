"""A Parquet export through a column mapping (`--mapping` with a `.parquet` source): each row's columns
are the mapping's columns, as a JSONL object's keys are; a TIMESTAMP without a zone is written without
an offset, so the mapping's `timezone` reads it.

Before, a mapping with a Parquet source was refused ("a Parquet export holds core-format records"):
a ticketing report exported from a warehouse as Parquet could not be read at all."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from check_helpers import generate
from conftest import run_cli

pa = pytest.importorskip("pyarrow", reason="the columnar extra (pyarrow) is not installed")
pytest.importorskip("duckdb", reason="the columnar extra (duckdb) is not installed")
pq = pytest.importorskip("pyarrow.parquet")
pacsv = pytest.importorskip("pyarrow.csv")
pc = pytest.importorskip("pyarrow.compute")

NOW = "2025-06-01T00:00:00Z"
TIMES = ("Created Date", "Auto-Reply Date", "Critical Support Requested Date", "Priority Changed Date", "First Response Date")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bench generator's ticketing report (CSV), and as Parquet: text, zone-less TIMESTAMP, UTC TIMESTAMP."""
    folder = generate(tmp_path_factory.mktemp("ticketing"), cases=300, customers=4, claims=0, seed=5)
    csv = folder / "cases-ticketing.csv"
    text = pacsv.read_csv(csv, convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in pacsv.read_csv(csv).column_names}, strings_can_be_null=True))
    pq.write_table(text, folder / "text.parquet")
    for name, t in (("naive", pa.timestamp("s")), ("utc", pa.timestamp("us", tz="UTC"))):
        typed = text
        for column in TIMES:
            at = pc.strptime(text.column(column), format="%Y-%m-%d %H:%M:%S", unit="s")
            typed = typed.set_column(typed.schema.get_field_index(column), column, at.cast(t) if t.tz else at)
        pq.write_table(typed, folder / f"{name}.parquet")
    assert pq.read_schema(folder / "naive.parquet").field("Created Date").type == pa.timestamp("ms")  # Parquet has no seconds
    return folder


def _check(out: Path, name: str, cases: Path, *more: str):
    run = run_cli("check", "--now", NOW, "--fail-on", "none", "--mapping", "ticketing-export", "--cases", str(cases),
                  *more, "-o", str(out / f"{name}.jsonl"))
    assert run.code == 0, run.err
    return (out / f"{name}.jsonl").read_text(encoding="utf-8"), run.err


@pytest.mark.parametrize("parquet", ["text", "naive", "utc"])
def test_a_ticketing_report_as_parquet_is_read_through_its_mapping_as_its_csv_is(tmp_path, report, parquet):
    row, _ = _check(tmp_path, "row", report / "cases-ticketing.csv", "--jobs", "1")
    duck, err = _check(tmp_path, "duck", report / f"{parquet}.parquet", "--backend", "duckdb", "--threads", "1")
    assert row.count("\n") == 300 and duck == row
    assert "cases: 300 decided by the SQL, 0 by the row engine" in err, err


def test_a_zone_less_timestamp_through_a_mapping_follows_parquet_timezone_when_given(tmp_path, report):
    """The mapping says UTC; --parquet-timezone +01:00 reads the same wall times an hour earlier."""
    utc, _ = _check(tmp_path, "utc", report / "naive.parquet", "--backend", "duckdb")
    shifted, _ = _check(tmp_path, "shifted", report / "naive.parquet", "--backend", "duckdb", "--parquet-timezone", "+01:00")
    starts = [[datetime.fromisoformat(json.loads(line)["result"]["clock_start"].replace("Z", "+00:00")) for line in text.splitlines()]
              for text in (utc, shifted)]
    assert len(starts[0]) == 300 and all(b == a - timedelta(hours=1) for a, b in zip(*starts))


def test_a_row_the_mapping_refuses_is_rejected_by_the_row_engine_naming_the_column(tmp_path, report):
    table = pq.read_table(report / "text.parquet").slice(0, 3)
    priority = table.column("Priority").to_pylist()
    table = table.set_column(table.schema.get_field_index("Priority"), "Priority", pa.array([priority[0], "Urgent", priority[2]]))
    pq.write_table(table, tmp_path / "cases.parquet")
    run = run_cli("check", "--now", NOW, "--fail-on", "none", "--mapping", "ticketing-export", "--backend", "duckdb",
                  "--cases", str(tmp_path / "cases.parquet"), "--keep-going", "--rejects", str(tmp_path / "rej.jsonl"),
                  "-o", str(tmp_path / "d.jsonl"))
    assert run.code == 2 and "internal error" not in run.err, run.err
    assert f"{tmp_path / 'cases.parquet'}:2: " in run.err and "'Urgent'" in run.err, run.err
    assert (tmp_path / "d.jsonl").read_text(encoding="utf-8").count("\n") == 2


def test_an_incident_export_as_parquet_is_read_through_its_mapping_as_its_csv_is(tmp_path):
    """--outages with a column mapping: the row engine reads it whole, each Parquet row as the mapping's columns."""
    rows = [("INC-1", "acme", "2024-03-12 02:00:00", "2024-03-12 09:00:00", "outbound_voice;ivr_routing", "Genesys"),
            ("INC-2", "acme", "2024-03-20 10:00:00", "2024-03-20 10:30:00", "outbound_voice", "Customer Internet"),
            ("INC-3", "beta", "2024-03-02 23:00:00", "2024-03-03 01:15:00", "web_messaging", "Genesys")]
    header = ("Incident", "Account", "Started", "Resolved", "Affected Services", "Root Cause Category")
    (tmp_path / "incidents.csv").write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    table = pa.table({h: [r[i] for r in rows] for i, h in enumerate(header)})
    for column in ("Started", "Resolved"):
        table = table.set_column(table.schema.get_field_index(column), column,
                                 pc.strptime(table.column(column), format="%Y-%m-%d %H:%M:%S", unit="s"))
    pq.write_table(table, tmp_path / "incidents.parquet")
    out = {}
    for name, backend in (("csv", "row"), ("parquet", "duckdb")):
        run = run_cli("check", "--now", NOW, "--fail-on", "none", "--backend", backend, "--mapping", "incident-export",
                      "--outages", str(tmp_path / f"incidents.{name}"), "--months", "2024-03", "-o", str(tmp_path / f"{name}.jsonl"))
        assert run.code == 0, run.err
        out[name] = (tmp_path / f"{name}.jsonl").read_text(encoding="utf-8")
    assert out["parquet"] == out["csv"] and out["csv"].count("\n") == 2
