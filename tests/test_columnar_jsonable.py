"""Parquet values JSON has no type for (TIMESTAMP, DATE, TIME, DURATION, UUID) are read as the text a
JSON export holds them in, made in Arrow (engine.columnar.jsonable).

Before, `json_rows` made that text with Python's datetime, one value at a time: a TIMESTAMP export
was staged as JSON (2.3-3.8x the CPU of its text twin), and a nanosecond, a year past 9999, a
duration or a UUID ended the run as an internal error (exit 3)."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from pathlib import Path

import pytest

from check_helpers import generator
from conftest import run_cli
from spark_helpers import spark  # noqa: F401  (the session fixture)

pa = pytest.importorskip("pyarrow", reason="the columnar extra (pyarrow) is not installed")
pytest.importorskip("duckdb", reason="the columnar extra (duckdb) is not installed")
pq = pytest.importorskip("pyarrow.parquet")

from engine.columnar.jsonable import jsonable  # noqa: E402

NOW = "2025-06-01T00:00:00Z"
FIRST, LAST = -62_135_596_800, 253_402_300_799  # 0001-01-01T00:00:00 and 9999-12-31T23:59:59, seconds from the epoch


def _text(values: list, t, naive: int | None = None) -> list:
    """One column through jsonable, as Python values."""
    batch, bad = jsonable(pa.RecordBatch.from_arrays([pa.array(values, t)], names=["x"]), naive)
    assert bad == {}
    return batch.column(0).to_pylist()


def _isoformat(v):
    """What a JSON export holds for a Python value: isoformat, an instant with a zone in UTC."""
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        return v.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return None if v is None else v.isoformat()


@pytest.mark.parametrize("t, per", [
    (pa.timestamp("s", tz="UTC"), 1), (pa.timestamp("ms", tz="UTC"), 1_000), (pa.timestamp("us", tz="UTC"), 10**6),
    (pa.timestamp("us"), 10**6), (pa.timestamp("ms", tz="Asia/Kolkata"), 1_000), (pa.timestamp("s", tz="-03:30"), 1),
])
def test_instants_are_written_as_pythons_isoformat_writes_them_from_year_1_to_9999(t, per):
    draw = random.Random(3)
    values = [draw.randint(FIRST * per, (LAST + 1) * per - 1) for _ in range(3000)]
    values += [FIRST * per, (LAST + 1) * per - 1, 0, -1, 1, None] + [draw.randint(-10**6, 10**6) * per for _ in range(50)]
    in_utc = pa.timestamp(t.unit, tz="UTC")  # Python cannot show year 1 or 9999 in every zone; a naive one read at UTC
    assert _text(values, t, None if t.tz else 0) == [_isoformat(v) for v in pa.array(values, in_utc).to_pylist()]


def test_nanosecond_instants_keep_nine_digits_only_when_the_nanoseconds_are_not_zero():
    t = pa.timestamp("ns", tz="UTC")
    assert _text([1_700_000_000_000_000_000, 1_700_000_000_123_456_000, 1_700_000_000_000_000_001, -1], t) == [
        "2023-11-14T22:13:20Z", "2023-11-14T22:13:20.123456Z", "2023-11-14T22:13:20.000000001Z",
        "1969-12-31T23:59:59.999999999Z"]


def test_an_instant_with_a_zone_is_written_in_utc_as_the_same_instant():
    at = dt.datetime(2024, 3, 19, 14, 19, 13, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert _text([at], pa.timestamp("us", tz="Europe/Berlin")) == ["2024-03-19T13:19:13Z"]
    assert _text([at], pa.timestamp("us", tz="+01:00")) == ["2024-03-19T13:19:13Z"]


@pytest.mark.parametrize("t, values", [
    (pa.date32(), [-719_162, 2_932_896, 0, 19_800, None]),
    (pa.date64(), [-719_162 * 86_400_000, 2_932_896 * 86_400_000, 19_800 * 86_400_000]),
    (pa.time32("s"), [0, 86_399, 3_723]), (pa.time32("ms"), [0, 86_399_999, 3_723_004]),
    (pa.time64("us"), [0, 86_399_999_999, 3_723_000_004]),
])
def test_dates_and_times_of_day_are_written_as_pythons_isoformat_writes_them(t, values):
    assert _text(values, t) == [_isoformat(v) for v in pa.array(values, t).to_pylist()]


def test_durations_are_iso_8601_seconds_and_uuids_their_canonical_text():
    assert _text([300_000_000, -500_000, 0, None], pa.duration("us")) == ["PT300S", "-PT0.5S", "PT0S", None]
    assert _text([1], pa.duration("ns")) == ["PT0.000000001S"]
    if not hasattr(pa, "uuid"):
        pytest.skip(f"pyarrow {pa.__version__} has no UUID type (18 and later)")
    u = uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")
    assert _text([u.bytes, None], pa.uuid()) == [str(u), None]


@pytest.mark.parametrize("t", [pa.decimal128(10, 0), pa.decimal128(12, 2), pa.decimal128(38, 10), pa.decimal256(60, 3)])
def test_decimals_are_written_as_their_exact_digits_as_python_writes_them(t):
    from decimal import Decimal

    draw = random.Random(5)
    values = [Decimal(draw.randint(-10**(t.precision - 1), 10**(t.precision - 1))).scaleb(-t.scale) for _ in range(2000)]
    values += [Decimal(0).scaleb(-t.scale), Decimal(1).scaleb(-t.scale), None]
    assert _text(values, t) == [None if v is None else str(v) for v in pa.array(values, t).to_pylist()]


def test_a_dictionary_column_is_decoded_to_its_values():
    batch = pa.RecordBatch.from_arrays([pa.array(["portal", None, "phone", "portal"]).dictionary_encode()], names=["channel"])
    text, bad = jsonable(batch)
    assert bad == {} and text.schema.field("channel").type == pa.string()
    assert text.column(0).to_pylist() == ["portal", None, "phone", "portal"]


def test_nested_instants_are_written_in_lists_structs_maps_and_dictionaries_of_a_sliced_batch():
    at = pa.timestamp("us", tz="UTC")
    event = pa.struct([("type", pa.string()), ("at", at)])
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    rows = [[{"type": "a", "at": t0}, None], None, [{"type": "b", "at": None}, {"type": "c", "at": t0 + dt.timedelta(microseconds=5)}]]
    columns = {
        "events": pa.array(rows, pa.list_(event)), "big": pa.array(rows, pa.large_list(event)),
        "fixed": pa.array([[t0, t0], None, [None, t0]], pa.list_(at, 2)),
        "map": pa.array([[("k", t0)], None, []], pa.map_(pa.string(), at)),
        "dict": pa.array([t0, None, t0]).cast(at).dictionary_encode(),
    }
    batch = pa.RecordBatch.from_arrays(list(columns.values()), names=list(columns)).slice(1, 2)
    text, bad = jsonable(batch)
    assert bad == {}
    z, z5 = "2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000005Z"
    assert text.to_pylist() == [
        {"events": None, "big": None, "fixed": None, "map": None, "dict": None},
        {"events": [{"type": "b", "at": None}, {"type": "c", "at": z5}], "big": [{"type": "b", "at": None}, {"type": "c", "at": z5}],
         "fixed": [None, z], "map": [], "dict": z}]


def test_a_batch_without_such_values_is_returned_as_it_is():
    batch = pa.RecordBatch.from_arrays([pa.array(["a"]), pa.array([[1]])], names=["s", "l"])
    assert jsonable(batch) == (batch, {}) and jsonable(batch)[0] is batch


def test_an_instant_or_date_past_year_9999_rejects_its_row_naming_the_field():
    at = pa.timestamp("s", tz="UTC")
    batch = pa.RecordBatch.from_arrays([
        pa.array([0, LAST + 1, 0], at),
        pa.array([[{"at": 0}], [], [{"at": 0}, {"at": FIRST - 1}]], pa.list_(pa.struct([("at", at)]))),
        pa.array([0, 0, 2_932_897], pa.date32()),
    ], names=["submitted_at", "events", "day"])
    text, bad = jsonable(batch)
    assert {i: [path for path, _ in problems] for i, problems in bad.items()} == \
        {1: [("submitted_at",)], 2: [("events", 1, "at"), ("day",)]}
    assert bad[1][0][1] == ("timestamp[s, tz=UTC] value 253,402,300,800 s from 1970-01-01 is outside the years "
                            "0001-9999 that RFC 3339 text names")
    assert text.column(0).to_pylist() == ["1970-01-01T00:00:00Z", None, "1970-01-01T00:00:00Z"]


def _case(i: int, submitted: object) -> dict:
    return {"type": "case", "id": f"C-{i}", "customer": "acme", "severity": 2, "channel": "portal", "submitted_at": submitted}


def test_a_nanosecond_or_a_year_past_9999_is_a_rejected_row_not_an_internal_error(tmp_path):
    rows = [_case(1, 1_700_000_000_000_000_000), _case(2, 1_700_000_000_000_000_001), _case(3, 1_700_000_000_000_000_000)]
    table = pa.Table.from_pylist(rows).cast(pa.schema([*(pa.field(k, pa.string()) for k in ("type", "id", "customer")),
                                                      pa.field("severity", pa.int64()), pa.field("channel", pa.string()),
                                                      pa.field("submitted_at", pa.timestamp("ns", tz="UTC"))]))
    pq.write_table(table, tmp_path / "ns.parquet")
    far = pa.table({"type": ["case"] * 2, "id": ["C-1", "C-2"], "customer": ["acme"] * 2, "severity": [2, 2],
                    "channel": ["portal"] * 2,
                    "submitted_at": pa.array([1_700_000_000_000_000, (LAST + 1) * 10**6], pa.timestamp("us", tz="UTC"))})
    pq.write_table(far, tmp_path / "far.parquet")
    for name, line, says in [("ns", 2, "record C-2: submitted_at: '2023-11-14T22:13:20.000000001Z' is more precise than a microsecond"),
                             ("far", 2, "record C-2: submitted_at: timestamp[us, tz=UTC] value 253,402,300,800,000,000 us "
                                        "from 1970-01-01 is outside the years 0001-9999")]:
        cases = tmp_path / f"{name}.parquet"
        run = run_cli("check", "--now", NOW, "--fail-on", "none", "--backend", "duckdb", "--cases", str(cases),
                      "--keep-going", "--rejects", str(tmp_path / f"{name}.rej"), "-o", str(tmp_path / f"{name}.jsonl"))
        assert run.code == 2 and "internal error" not in run.err, run.err
        assert any(f"{cases}:{line}: " in p and says in p for p in run.err.splitlines()), run.err
        assert len((tmp_path / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()) == (2 if name == "ns" else 1)


def _bench_module(name: str):
    """bench/NAME.py as a module."""
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def stamped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bench generator's export (offsets and fractions in its instants), its Parquet files stamped."""
    folder = tmp_path_factory.mktemp("stamped")
    generator().generate(folder, 500, 6, 150, 21, parquet=True)
    stamp = _bench_module("stamp").stamp  # the benchmark's TIMESTAMP copies (bench/stamp.py)
    for name in ("cases", "claims", "incidents"):
        stamp(folder / f"{name}.parquet", folder / f"{name}-ts.parquet")
        assert pq.read_schema(folder / f"{name}-ts.parquet").field("submitted_at" if name != "incidents" else "start").type \
            == pa.timestamp("us", tz="UTC")
    return folder


def _run(folder: Path, out: Path, backend: str, suffix: str, kind: str, *more: str):
    files = {"parquet": ("cases.parquet", "claims.parquet", "incidents.parquet"),
             "jsonl": ("cases.jsonl", "claims.jsonl", "incidents.csv")}[kind]
    files = tuple(f.replace(".parquet", f"{suffix}.parquet") for f in files)
    year = generator().YEAR
    threads = ("--threads", "1") if backend != "row" else ("--jobs", "1")
    return run_cli("check", "--now", NOW, "--fail-on", "none", "--backend", backend, *threads, *more,
                   "--cases", str(folder / files[0]), "--claims", str(folder / files[1]), "--outages", str(folder / files[2]),
                   "--contracts", str(folder / "contracts.csv"), "--months", f"{year}-01..{year}-12",
                   "-o", str(out / f"{backend}{suffix}.jsonl"), "--summary", str(out / f"{backend}{suffix}.json"))


def test_a_timestamp_export_is_read_by_the_typed_columns_and_decides_as_the_row_engine_decides_its_json(tmp_path, stamped):
    duck = _run(stamped, tmp_path, "duckdb", "-ts", "parquet")
    row = _run(stamped, tmp_path, "row", "", "jsonl")
    assert duck.code == row.code == 0, duck.err
    assert "read as their JSON text" not in duck.err, duck.err  # the TIMESTAMP columns fit the typed layouts
    tally = [line for line in duck.err.splitlines() if line.startswith("sla check --backend duckdb: ")]
    assert len(tally) == 3 and all(line.endswith(" decided by the SQL, 0 by the row engine") for line in tally), tally
    decisions = (tmp_path / "row.jsonl").read_text(encoding="utf-8")
    assert decisions.count("\n") > 600 and (tmp_path / "duckdb-ts.jsonl").read_text(encoding="utf-8") == decisions
    summaries = [json.loads((tmp_path / f).read_text(encoding="utf-8")) for f in ("row.json", "duckdb-ts.json")]
    assert summaries[1]["counts"] == summaries[0]["counts"]


def test_spark_decides_a_timestamp_export_as_duckdb_does(tmp_path, stamped, spark):  # noqa: F811
    runs = [_run(stamped, tmp_path, backend, "-ts", "parquet") for backend in ("duckdb", "spark")]
    assert [r.code for r in runs] == [0, 0], runs[1].err
    assert (tmp_path / "spark-ts.jsonl").read_text(encoding="utf-8") == (tmp_path / "duckdb-ts.jsonl").read_text(encoding="utf-8")


def test_decimal_amounts_and_dictionary_columns_fit_the_typed_staging_and_decide_as_their_text(tmp_path, stamped):
    """What pandas writes for a category and a billing system for an amount: read typed, not as JSON text."""
    claims = pq.read_table(stamped / "claims.parquet")
    contract = claims.column("contract").combine_chunks()
    amounts = {f.name: contract.field(f.name) for f in contract.type}
    for name in ("monthly_commitment", "annual_commitment"):
        amounts[name] = amounts[name].cast(pa.decimal128(17, 2))
    typed = claims.set_column(claims.schema.get_field_index("contract"), "contract",
                              pa.StructArray.from_arrays(list(amounts.values()), names=list(amounts), mask=contract.is_null()))
    typed = typed.set_column(typed.schema.get_field_index("customer"), "customer", typed.column("customer").dictionary_encode())
    pq.write_table(typed, tmp_path / "claims.parquet")
    assert pq.read_schema(tmp_path / "claims.parquet").field("customer").type.value_type == pa.string()
    runs = {}
    for name, claims_file in (("text", stamped / "claims.parquet"), ("typed", tmp_path / "claims.parquet")):
        runs[name] = run_cli("check", "--now", NOW, "--fail-on", "none", "--backend", "duckdb", "--threads", "1",
                             "--claims", str(claims_file), "-o", str(tmp_path / f"{name}.jsonl"))
        assert runs[name].code == 0, runs[name].err
    assert "read as their JSON text" not in runs["typed"].err, runs["typed"].err
    assert (tmp_path / "typed.jsonl").read_text(encoding="utf-8") == (tmp_path / "text.jsonl").read_text(encoding="utf-8")


def test_a_naive_timestamp_is_read_at_the_offset_given_else_its_row_is_rejected_saying_what_to_do():
    batch = pa.RecordBatch.from_arrays([pa.array([0, 1_500_000, None], pa.timestamp("us"))], names=["submitted_at"])
    text, bad = jsonable(batch)
    assert sorted(bad) == [0, 1] and text.column(0).to_pylist() == [None, None, None]
    assert "without a time zone (INT96, as Spark writes timestamps by default, or TIMESTAMP_NTZ) is a naive time; " \
           "give the export's UTC offset with --parquet-timezone (e.g. UTC)" in bad[0][0][1]
    assert jsonable(batch, 0)[0].column(0).to_pylist() == ["1970-01-01T00:00:00Z", "1970-01-01T00:00:01.500000Z", None]
    assert jsonable(batch, 5 * 3600 + 1800)[0].column(0).to_pylist() == ["1969-12-31T18:30:00Z", "1969-12-31T18:30:01.500000Z", None]
    last = pa.RecordBatch.from_arrays([pa.array([LAST], pa.timestamp("s"))], names=["at"])
    assert jsonable(last, 3600)[0].column(0).to_pylist() == ["9999-12-31T22:59:59Z"]
    assert [p for p, _ in jsonable(last, -3600)[1][0]] == [("at",)]  # 10000-01-01T00:59:59 in UTC


def _int96(source: Path, target: Path) -> None:
    """`source` (instants as TIMESTAMP UTC) written as Spark writes by default: INT96, read back without a zone."""
    pq.write_table(pq.read_table(source), target, use_deprecated_int96_timestamps=True)
    assert pq.read_schema(target).field("submitted_at").type == pa.timestamp("ns")


def test_an_int96_export_as_spark_writes_it_is_rejected_as_naive_or_read_at_the_given_offset(tmp_path, stamped):
    _int96(stamped / "cases-ts.parquet", tmp_path / "cases.parquet")
    common = ("check", "--now", NOW, "--fail-on", "none", "--backend", "duckdb", "--threads", "1")
    naive = run_cli(*common, "--cases", str(tmp_path / "cases.parquet"), "-o", str(tmp_path / "naive.jsonl"))
    assert naive.code == 2 and "internal error" not in naive.err
    assert f"{tmp_path / 'cases.parquet'}:1: record CASE-0000001: submitted_at: a Parquet timestamp[ns] without a time zone" \
        in naive.err, naive.err
    assert not (tmp_path / "naive.jsonl").exists()
    for name, cases, more in (("int96", tmp_path / "cases.parquet", ("--parquet-timezone", "UTC")),
                              ("utc", stamped / "cases-ts.parquet", ())):
        run = run_cli(*common, *more, "--cases", str(cases), "-o", str(tmp_path / f"{name}.jsonl"))
        assert run.code == 0 and "read as their JSON text" not in run.err, run.err
    assert (tmp_path / "int96.jsonl").read_text(encoding="utf-8") == (tmp_path / "utc.jsonl").read_text(encoding="utf-8")


@pytest.mark.parametrize("value", ["Europe/Berlin", "+24:00", "+5:30", "utc", "08:00"])
def test_parquet_timezone_takes_utc_or_an_offset_only(tmp_path, value):
    run = run_cli("check", "--backend", "duckdb", "--parquet-timezone", value, "--cases", str(tmp_path / "none.parquet"))
    assert run.code == 2 and f"--parquet-timezone {value!r} is not UTC or an offset like +08:00" in run.err, run.err


def test_parquet_timezone_is_refused_on_the_row_backend(tmp_path):
    run = run_cli("check", "--parquet-timezone", "UTC", "--cases", str(tmp_path / "none.jsonl"))
    assert run.code == 2 and "--parquet-timezone are for --backend duckdb or spark" in run.err, run.err


def test_spark_reads_an_int96_export_at_the_given_offset_as_duckdb_does(tmp_path, stamped, spark):  # noqa: F811
    _int96(stamped / "cases-ts.parquet", tmp_path / "cases.parquet")
    for backend in ("duckdb", "spark"):
        run = run_cli("check", "--now", NOW, "--fail-on", "none", "--backend", backend, "--threads", "1",
                      "--parquet-timezone", "+01:00", "--cases", str(tmp_path / "cases.parquet"), "-o", str(tmp_path / f"{backend}.jsonl"))
        assert run.code == 0, run.err
    assert (tmp_path / "spark.jsonl").read_text(encoding="utf-8") == (tmp_path / "duckdb.jsonl").read_text(encoding="utf-8")
