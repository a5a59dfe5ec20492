"""Equality is the contract (issue 12): whatever `sla check --backend duckdb` or
`--backend spark` decides, it decides exactly as the row engine does.

Every test runs the same `sla check` twice on the same input, `--backend row`
and a columnar backend, and compares the decisions parsed, field for field
(bench/compare.py: 1, 1.0 and true are three different values; every differing
path is named), the summaries as whole JSON values, and the exit codes; and it
checks that the columnar run says once on standard error how many records the
SQL decided and how many fell back to the row engine.

Inputs: the benchmark's seeded generator (bench/generate.py) at a small size,
as JSONL, as Parquet and as the ticketing CSV export; records drawn by the
property-test generators of tests/test_properties.py (cases with severity
changes and escalations at every UTC offset, uptime months whose outages
straddle the month, claims); records from the schemas, mutated, as
tests/test_fuzz.py makes them (the backend must reject bad ones exactly as the
row engine does, not decide them). Spark runs `local[1]`/`local[2]` on a small
set; without Java or PySpark those tests skip saying why, unless
SLA_REQUIRE_SPARK=1 (CI), where they fail. Larger runs are marked `slow`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, strategies as st

from check_helpers import jsonl, read_jsonl
from conftest import ROOT, Run, run_cli
from hypothesis_profiles import examples
from hypothesis_jsonschema import from_schema
from test_fuzz import SCHEMAS, cached_bundled_policies, mutate, narrowed  # noqa: F401 (a fixture)
from test_properties import (SECONDS, _with_times, any_record, month_bounds_ms, months, offsets, outage_months, stamp,
                             terms_of)

NOW = "2025-06-01T00:00:00Z"
MONTHS = "2024-01..2024-12"
POLICIES = ROOT / "policies"  # named, so a $SLA_POLICIES of the caller changes nothing and the fuzz fixture caches them
SMALL = {"cases": 2_000, "customers": 50, "claims": 500}  # 2,000 cases + 600 customer-months + 500 claims


def _bench_module(name: str) -> Any:
    """A module of bench/ loaded by path (nothing added to sys.path)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


compare = _bench_module("compare")


# ---------------------------------------------------------------- running both backends

TEXT = {"cases": "cases.jsonl", "outages": "incidents.csv", "contracts": "contracts.csv", "claims": "claims.jsonl"}
PARQUET = TEXT | {"cases": "cases.parquet", "claims": "claims.parquet"}  # the records as Parquet, incidents and contracts as CSV
ALL_PARQUET = {"cases": "cases.parquet", "outages": "incidents.parquet", "contracts": "contracts.parquet", "claims": "claims.parquet"}


def check(backend: str, files: dict[str, str], out: Path, *more: str, threads: int = 1) -> Run:
    """`sla check --backend B` in-process on the files, decisions to `out`, the summary next to it."""
    args = ["check", "--backend", backend, "--policies", str(POLICIES), "--now", NOW, "-o", str(out),
            "--summary", str(out.with_suffix(".summary.json")), "--fail-on", "none"]
    args += ["--jobs", "1"] if backend == "row" else ["--threads", str(threads)]
    for source, path in files.items():
        args += [f"--{source}", str(path)]
    if "outages" in files or "contracts" in files:
        args += ["--months", MONTHS] if "--months" not in more else []
    return run_cli(*args, *more)


def assert_same_decisions(row_out: Path, other_out: Path) -> None:
    """Field for field, in input order; both summaries identical."""
    compared, differ, shown = compare.compare_decisions(row_out, other_out)
    assert compared and differ == 0, f"{differ} of {compared} decisions differ from the row engine's: " + "\n".join(shown)
    summary = compare.compare_summaries(row_out.with_suffix(".summary.json"), other_out.with_suffix(".summary.json"))
    assert not summary, f"summaries differ: {summary[:10]}"


REPORT = re.compile(r"^sla check --backend (\w+): ([\w-]+): ([\d,]+) decided by the SQL, ([\d,]+) by the row engine")


def fallback_report(err: str) -> dict[str, tuple[int, int]]:
    """The once-per-run report on standard error: per source, (records the SQL decided, records
    that fell back to the row engine)."""
    found = {m[2]: (int(m[3].replace(",", "")), int(m[4].replace(",", ""))) for m in map(REPORT.match, err.splitlines()) if m}
    assert found, f"no report of how many records the SQL decided and how many fell back on stderr:\n{err[-2000:]}"
    return found


def assert_reports_fallback(err: str, records: int, fell_back: int | None = None) -> None:
    """Every record counted once: decided by the SQL + by the row engine = the records decided."""
    report = fallback_report(err)
    assert sum(sql + row for sql, row in report.values()) == records, f"the report does not add up to {records}: {report}"
    if fell_back is not None:
        assert sum(row for _, row in report.values()) == fell_back, f"expected {fell_back} to fall back: {report}"


@pytest.fixture(scope="module")
def bench_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bench/generate.py at a small size, with its Parquet copies and the ticketing export."""
    folder = tmp_path_factory.mktemp("bench-small")
    _bench_module("generate").generate(folder, SMALL["cases"], SMALL["customers"], SMALL["claims"], 7, ticketing=True,
                                       parquet=True)
    return folder


@pytest.fixture(scope="module")
def row_decisions(bench_data: Path) -> Path:
    """The row engine's decisions and summary on the small bench data (the reference)."""
    out = bench_data / "row.jsonl"
    result = check("row", {k: bench_data / v for k, v in TEXT.items()}, out)
    assert result.code == 0, result.err
    return out


def records_in(data: Path) -> int:
    """Decisions of a run on the small bench data: cases, customer-months, claims."""
    return sum(1 for _ in open(data / "cases.jsonl", "rb")) + SMALL["customers"] * 12 + sum(1 for _ in open(data / "claims.jsonl", "rb"))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder the Hypothesis examples of a test reuse (emptied before each)."""
    return tmp_path_factory.mktemp("columnar-drawn")


# ---------------------------------------------------------------- the bench data's Parquet copies

def test_the_parquet_copies_hold_the_same_records_as_the_jsonl(bench_data):
    """A Parquet row is its JSONL record: same fields, same text (times too); a null is an absent field,
    except a claim's support_case, where null is the value."""
    pq = pytest.importorskip("pyarrow.parquet")

    def present(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: present(v) for k, v in value.items() if v is not None}
        return [present(v) for v in value] if isinstance(value, list) else value

    for name in ("cases", "claims"):
        rows = pq.read_table(bench_data / f"{name}.parquet").to_pylist()
        records = read_jsonl(bench_data / f"{name}.jsonl")
        assert len(rows) == len(records) > 0
        for row, record in zip(rows, records):
            support_case = {"support_case": row["support_case"]} if name == "claims" else {}
            assert present(row) | support_case == record
    incidents = pq.read_table(bench_data / "incidents.parquet").to_pylist()
    text = (bench_data / "incidents.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert [",".join([i["id"], i["customer"], i["start"], i["end"], " ".join(i["functions"]), i["cause"]]) for i in incidents] == text
    contracts = pq.read_table(bench_data / "contracts.parquet").to_pylist()
    text = (bench_data / "contracts.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert [",".join(c[k] or "" for k in ("customer", "billing", "monthly_commitment", "annual_commitment", "currency"))
            for c in contracts] == text


def test_the_parquet_copies_are_the_same_bytes_every_time(tmp_path):
    gen = _bench_module("generate")
    for folder in ("a", "b"):
        gen.generate(tmp_path / folder, 300, 10, 60, 11, parquet=True)
    for name in ("cases", "claims", "incidents", "contracts"):
        assert (tmp_path / "a" / f"{name}.parquet").read_bytes() == (tmp_path / "b" / f"{name}.parquet").read_bytes()


# ---------------------------------------------------------------- duckdb on the bench data

@pytest.mark.parametrize(("source", "threads"), [("jsonl", 1), ("parquet", 1), ("parquet", 2), ("jsonl", 2)])
def test_duckdb_decides_the_bench_data_as_the_row_engine_does(bench_data, row_decisions, tmp_path, source, threads):
    files = {k: bench_data / v for k, v in (PARQUET if source == "parquet" else TEXT).items()}
    result = check("duckdb", files, tmp_path / "duckdb.jsonl", threads=threads)
    assert result.code == 0, result.err
    assert_same_decisions(row_decisions, tmp_path / "duckdb.jsonl")
    assert_reports_fallback(result.err, records_in(bench_data))
    report = fallback_report(result.err)  # every record by the SQL (credited months' credit owed too), from JSONL and Parquet alike
    assert report["cases"][1] == report["claims"][1] == report["customer-months"][1] == 0, report


@pytest.mark.parametrize("threads", [1, 2])
def test_duckdb_reads_incidents_and_contracts_from_parquet_as_the_row_engine_reads_their_csv(bench_data, row_decisions, tmp_path,
                                                                                          threads):
    """Every source as Parquet (the agreed CLI: input format by extension, for --outages and --contracts too)."""
    result = check("duckdb", {k: bench_data / v for k, v in ALL_PARQUET.items()}, tmp_path / "duckdb.jsonl", threads=threads)
    assert result.code == 0, result.err
    assert_same_decisions(row_decisions, tmp_path / "duckdb.jsonl")
    assert_reports_fallback(result.err, records_in(bench_data))


def test_duckdb_reads_the_ticketing_export_through_its_mapping_as_the_row_engine_does(bench_data, tmp_path):
    files = {"cases": bench_data / "cases-ticketing.csv"}
    row = check("row", files, tmp_path / "row.jsonl", "--mapping", "ticketing-export")
    duck = check("duckdb", files, tmp_path / "duckdb.jsonl", "--mapping", "ticketing-export")
    assert (row.code, duck.code) == (0, 0), row.err + duck.err
    assert_same_decisions(tmp_path / "row.jsonl", tmp_path / "duckdb.jsonl")
    assert_reports_fallback(duck.err, SMALL["cases"])


@pytest.mark.parametrize("as_of", ["2024-05-01", "2021-06-30"])
def test_duckdb_under_as_of_decides_every_record_by_that_revision_as_the_row_engine_does(bench_data, tmp_path, as_of):
    files = {k: bench_data / v for k, v in PARQUET.items()}
    text = {k: bench_data / v for k, v in TEXT.items()}
    row = check("row", text, tmp_path / "row.jsonl", "--as-of", as_of)
    duck = check("duckdb", files, tmp_path / "duckdb.jsonl", "--as-of", as_of)
    assert (row.code, duck.code) == (0, 0), row.err + duck.err
    assert_same_decisions(tmp_path / "row.jsonl", tmp_path / "duckdb.jsonl")


def _case(ident: str, severity_changes: int) -> dict[str, Any]:
    """A portal case whose severity changes `severity_changes` times before its human response."""
    events: list[dict[str, Any]] = [{"type": "automated_reply", "at": "2024-06-03T09:00:05Z"}]
    for i in range(severity_changes):
        events.append({"type": "severity_change", "to": 2 + i % 3, "at": f"2024-06-03T09:{1 + i:02d}:00Z"})
    events.append({"type": "human_response", "via": "case_note", "at": "2024-06-03T11:30:00+01:00"})
    return {"type": "case", "id": ident, "customer": "acme", "severity": 3, "channel": "portal",
            "submitted_at": "2024-06-03T09:00:00Z", "events": events}


def test_records_the_sql_cannot_decide_fall_back_to_the_row_engine_and_are_counted(tmp_path):
    """A case with more severity changes than any compiled clock unrolls (50) is decided by the
    row engine inside the duckdb run: the same decision, and the count says one fell back."""
    cases = jsonl(tmp_path / "cases.jsonl", [_case("C-1", 0), _case("C-2", 50), _case("C-3", 1)])
    row = check("row", {"cases": cases}, tmp_path / "row.jsonl")
    duck = check("duckdb", {"cases": cases}, tmp_path / "duckdb.jsonl")
    assert (row.code, duck.code) == (0, 0), row.err + duck.err
    assert_same_decisions(tmp_path / "row.jsonl", tmp_path / "duckdb.jsonl")
    assert_reports_fallback(duck.err, 3, fell_back=1)


def test_rows_without_facts_between_decided_ones_are_the_row_engines_in_input_order(tmp_path):
    """The SQL's undecided rows (not sure, or sure with no revision in force, so no facts row) come
    out of a second branch of the query, after the decided ones: the run still writes every decision
    in input order, equal to the row engine's, and counts the ones that fell back."""
    early = {**_case("C-2", 0), "submitted_at": "2020-03-02T09:00:00Z",
             "events": [{"type": "human_response", "via": "case_note", "at": "2020-03-02T09:30:00Z"}]}
    cases = jsonl(tmp_path / "cases.jsonl", [_case("C-1", 0), early, {**_case("C-3", 1), "severity": 9}, _case("C-4", 2)])
    row = check("row", {"cases": cases}, tmp_path / "row.jsonl", "--keep-going", "--rejects", str(tmp_path / "row.rejects"))
    duck = check("duckdb", {"cases": cases}, tmp_path / "duckdb.jsonl", "--keep-going", "--rejects", str(tmp_path / "duck.rejects"))
    assert (row.code, duck.code) == (2, 2), row.err + duck.err
    assert_same_decisions(tmp_path / "row.jsonl", tmp_path / "duckdb.jsonl")
    rejects = (tmp_path / "duck.rejects").read_text()
    assert rejects == (tmp_path / "row.rejects").read_text()
    assert [json.loads(line)["record"] for line in rejects.splitlines()] == ["C-2", "C-3"]
    assert [json.loads(line)["record"] for line in (tmp_path / "duckdb.jsonl").read_text().splitlines()] == ["C-1", "C-4"]
    assert_reports_fallback(duck.err, 4, fell_back=2)


def test_a_query_that_loses_rows_stops_the_run_before_anything_is_written(tmp_path, monkeypatch):
    """One row back for each row in is checked, not assumed: SQL that drops a record (a bug, here made
    on purpose) ends the run with exit 2 and a message saying so, and no decisions file."""
    from engine.columnar import run as columnar_run

    compile_kind = columnar_run.compile_kind

    def losing(*args: Any, **kwargs: Any) -> Any:
        compiled = compile_kind(*args, **kwargs)
        return dataclasses.replace(compiled, sql=f"SELECT * FROM ({compiled.sql}) AS q WHERE pos <> 1")

    monkeypatch.setattr(columnar_run, "compile_kind", losing)
    cases = jsonl(tmp_path / "cases.jsonl", [_case("C-1", 0), _case("C-2", 0), _case("C-3", 1)])
    duck = check("duckdb", {"cases": cases}, tmp_path / "duckdb.jsonl")
    assert duck.code == 2
    assert "the SQL gave 2 rows for 3 cases" in duck.err and "no decision was written" in duck.err
    assert "Traceback" not in duck.err
    assert not (tmp_path / "duckdb.jsonl").exists()


# ---------------------------------------------------------------- the property-test generators

REVISIONS = None


def _terms() -> list[Any]:
    """The bundled revisions read as data (tests/test_properties.py's Terms), newest last."""
    global REVISIONS
    if REVISIONS is None:
        from engine.io.resources import policies_dir
        from engine.policy.family import load_policies

        family = load_policies(policies_dir())["genesys-cloud"]
        REVISIONS = sorted((terms_of(r) for r in family.revisions), key=lambda t: t.effective)
    return REVISIONS


@st.composite
def drawn_inputs(draw: Any) -> dict[str, Any]:
    """Cases and claims as any_record() draws them (every timestamp at its own offset), and
    customer-months from outage_months() as incidents of one customer with a contract."""
    cases, claims = [], []
    for i in range(draw(st.integers(1, 8))):
        record, instants = draw(any_record())
        if record["type"] == "uptime":
            continue
        record = _with_times(record, instants, [draw(offsets) for _ in instants])
        record["id"] = f"R-{i}"
        (cases if record["type"] == "case" else claims).append(record)
    terms = _terms()[-1]
    functions = terms.functions
    month = draw(outage_months(SECONDS, functions, terms.attributable, terms.excluded))
    incidents = [{"id": f"INC-{i}", "customer": "acme", "start": stamp(*o["start"], style=0), "end": stamp(*o["end"], style=0),
                  "functions": o["functions"], "cause": o["cause"]} for i, o in enumerate(month["outages"])]
    billing = draw(st.sampled_from(["month_to_month", "annual_prepaid", "pay_as_you_go"]))
    contract = {"customer": "acme", "billing": billing, "currency": draw(st.sampled_from(["USD", "JPY", "EUR"]))}
    amount = str(draw(st.integers(1, 10**9)))
    contract["annual_commitment" if billing == "annual_prepaid" else "monthly_commitment"] = amount
    return {"cases": cases, "claims": claims, "incidents": incidents, "contract": contract,
            "month": f"{month['year']:04d}-{month['month']:02d}"}


def _emptied(folder: Path) -> Path:
    for old in folder.iterdir():
        old.unlink()
    return folder


def _write_inputs(folder: Path, drawn: dict[str, Any]) -> tuple[dict[str, str], int]:
    _emptied(folder)
    files = {"outages": jsonl(folder / "incidents.jsonl", drawn["incidents"]),
             "contracts": jsonl(folder / "contracts.jsonl", [drawn["contract"]])}
    if drawn["cases"]:
        files["cases"] = jsonl(folder / "cases.jsonl", drawn["cases"])
    if drawn["claims"]:
        files["claims"] = jsonl(folder / "claims.jsonl", drawn["claims"])
    return files, len(drawn["cases"]) + len(drawn["claims"]) + 1


@given(drawn_inputs())
@examples(10)
def test_duckdb_decides_the_property_generators_records_as_the_row_engine_does(cached_bundled_policies, scratch, drawn):
    folder = scratch
    files, records = _write_inputs(folder, drawn)
    more = ("--months", drawn["month"])
    row = check("row", files, folder / "row.jsonl", *more)
    duck = check("duckdb", files, folder / "duckdb.jsonl", *more)
    assert row.code == 0, row.err
    assert duck.code == 0, duck.err
    assert_same_decisions(folder / "row.jsonl", folder / "duckdb.jsonl")
    assert_reports_fallback(duck.err, records)


@st.composite
def fuzzed_inputs(draw: Any) -> tuple[str, list[Any]]:
    """Cases or claims from their schemas (narrowed to the policy's words, or as allowed), some mutated."""
    source = draw(st.sampled_from(["cases", "claims"]))
    schema = SCHEMAS["case" if source == "cases" else "credit_claim"]
    out = []
    for i in range(draw(st.integers(1, 3))):
        record = draw(st.one_of(from_schema(narrowed(schema)), from_schema(narrowed(schema)), from_schema(schema)))
        if draw(st.booleans()):
            record["id"] = f"R-{i}"  # mostly distinct ids; generated ones may repeat
        if draw(st.integers(0, 2)) == 0:
            record = draw(mutate(record))
        out.append(record)
    return source, out


@given(fuzzed_inputs())
@examples(10)
def test_duckdb_rejects_or_decides_fuzzed_records_exactly_as_the_row_engine_does(cached_bundled_policies, scratch, drawn):
    """Valid records get the same decisions; a bad one stops both runs with the same exit code and
    the same problem lines, and neither leaves a decisions file behind."""
    folder = _emptied(scratch)
    source, records = drawn
    path = folder / f"{source}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8", errors="surrogatepass")
    row = check("row", {source: path}, folder / "row.jsonl")
    duck = check("duckdb", {source: path}, folder / "duckdb.jsonl")
    assert duck.code == row.code, f"row exit {row.code}: {row.err}\nduckdb exit {duck.code}: {duck.err}"
    if row.code == 2:
        problems = [line for line in row.err.splitlines() if line.startswith(str(path))]
        assert problems and problems == [line for line in duck.err.splitlines() if line.startswith(str(path))]
        assert not (folder / "duckdb.jsonl").exists()
    else:
        assert_same_decisions(folder / "row.jsonl", folder / "duckdb.jsonl")


def _parquet_folder(folder: Path, records: list[Any]) -> tuple[Path, Path]:
    """Each record as a one-row Parquet file (so each has its own inferred layout, a column of the wrong
    type included) in a folder, and the JSON lines the row engine reads of those rows; a record Arrow
    cannot hold (not an object, an empty object, a list of mixed types, an integer past 64 bits) is left out."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from engine.columnar.inputs import json_rows

    parquet, lines = folder / "records", []
    parquet.mkdir()
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            continue  # a Parquet row is an object
        try:
            table = pa.Table.from_pylist([record])
            pq.write_table(table, parquet / f"{i:04d}.parquet")
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            (parquet / f"{i:04d}.parquet").unlink(missing_ok=True)
            continue
        lines += json_rows(table.to_batches()[0])
    text = folder / "records.jsonl"
    text.write_text("".join(line + "\n" for line in lines), encoding="utf-8", errors="surrogatepass")
    return parquet, text


@given(fuzzed_inputs())
@examples(10)
def test_duckdb_reads_fuzzed_parquet_rows_exactly_as_the_row_engine_reads_their_json(cached_bundled_policies, scratch, drawn):
    """Typed Parquet columns (engine.columnar.layout): whatever types a file's columns have, a row is
    decided or rejected as the row engine decides or rejects the JSON line json_rows makes of it."""
    folder = scratch
    for old in folder.iterdir():
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    source, records = drawn
    parquet, text = _parquet_folder(folder, records)
    if not text.read_text(encoding="utf-8"):
        return  # Arrow held none of them
    row = check("row", {source: text}, folder / "row.jsonl")
    duck = check("duckdb", {source: parquet}, folder / "duckdb.jsonl")
    assert duck.code == row.code, f"row exit {row.code}: {row.err}\nduckdb exit {duck.code}: {duck.err}"
    if row.code == 2:
        problems = [line.replace(str(text), "<input>") for line in row.err.splitlines() if line.startswith(str(text))]
        assert problems and problems == [line.replace(str(parquet), "<input>") for line in duck.err.splitlines()
                                         if line.startswith(str(parquet))]
        assert not (folder / "duckdb.jsonl").exists()
    else:
        assert_same_decisions(folder / "row.jsonl", folder / "duckdb.jsonl")


# ---------------------------------------------------------------- spark, local mode

def spark_or_skip() -> None:
    """Skip saying why when Java or PySpark is missing, unless SLA_REQUIRE_SPARK=1 (CI), where that fails."""
    reason = None
    if importlib.util.find_spec("pyspark") is None:
        reason = "PySpark is not installed (pip install -e '.[spark]')"
    elif not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        reason = "no Java runtime (java on PATH or JAVA_HOME)"
    if reason:
        if os.environ.get("SLA_REQUIRE_SPARK") == "1":
            pytest.fail(f"{reason}; SLA_REQUIRE_SPARK=1 requires it", pytrace=False)
        pytest.skip(reason)


def spark_check(files: dict[str, Path], out: Path, threads: int, *more: str) -> subprocess.CompletedProcess[str]:
    """`sla check --backend spark` in its own process (the JVM ends with it)."""
    args = [sys.executable, "-m", "engine", "check", "--backend", "spark", "--threads", str(threads), "--policies", str(POLICIES),
            "--now", NOW, "-o", str(out),
            "--summary", str(out.with_suffix(".summary.json")), "--fail-on", "none", *more]
    for source, path in files.items():
        args += [f"--{source}", str(path)]
    if "outages" in files:
        args += ["--months", MONTHS]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


SPARK_SMALL = {"cases": 60, "customers": 3, "claims": 15}  # a JVM and a Spark job per source: seconds each, so few rows


@pytest.fixture(scope="module")
def spark_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small generated set and the row engine's decisions on it."""
    folder = tmp_path_factory.mktemp("spark-small")
    _bench_module("generate").generate(folder, SPARK_SMALL["cases"], SPARK_SMALL["customers"], SPARK_SMALL["claims"], 13,
                                       parquet=True)
    out = folder / "row.jsonl"
    result = check("row", {k: folder / v for k, v in TEXT.items()}, out)
    assert result.code == 0, result.err
    return folder, out


@pytest.mark.parametrize(("source", "threads"), [("parquet", 2), pytest.param("jsonl", 1, marks=pytest.mark.slow)])
def test_spark_local_mode_decides_a_small_set_as_the_row_engine_does(spark_data, tmp_path, source, threads):
    spark_or_skip()
    folder, row_out = spark_data
    files = {k: folder / v for k, v in (PARQUET if source == "parquet" else TEXT).items()}
    result = spark_check(files, tmp_path / "spark.jsonl", threads)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_same_decisions(row_out, tmp_path / "spark.jsonl")
    assert_reports_fallback(result.stderr, SPARK_SMALL["cases"] + SPARK_SMALL["customers"] * 12 + SPARK_SMALL["claims"])
    if source == "parquet":  # claims too are staged from their Parquet layout (from JSONL, Spark leaves them to the row engine)
        report = fallback_report(result.stderr)
        assert report["cases"][1] == report["claims"][1] == 0, report


def test_spark_leaves_parquet_rows_that_do_not_fit_the_layout_to_the_row_engine_and_says_why(tmp_path):
    """Spark stages Parquet by typed columns only: a chunk with a column of another type goes to the row
    engine (which rejects or decides each row as it does the row's JSON line), the reason named once."""
    spark_or_skip()
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from engine.columnar.inputs import json_rows

    record = {"type": "credit_claim", "id": "K-1", "customer": "acme", "month": "2024-03",
              "submitted_at": "2024-04-02T00:00:00Z", "support_case": None,
              "contract": {"billing": "month_to_month", "currency": "USD", "monthly_commitment": "1000"},
              "outages": [], "remark": None}
    table = pa.Table.from_pylist([record, {**record, "id": "K-2"}])
    pq.write_table(table, tmp_path / "claims.parquet")
    text = tmp_path / "claims.jsonl"
    text.write_text("".join(line + "\n" for line in json_rows(table.to_batches()[0])), encoding="utf-8")
    row = check("row", {"claims": text}, tmp_path / "row.jsonl")
    result = spark_check({"claims": tmp_path / "claims.parquet"}, tmp_path / "spark.jsonl", 1)
    assert (row.code, result.returncode) == (0, 0), result.stderr[-3000:]
    assert_same_decisions(tmp_path / "row.jsonl", tmp_path / "spark.jsonl")
    assert "claims: 0 decided by the SQL, 2 by the row engine (2 Parquet columns not in the credit_claim layout " \
           "(a column the layout has not: remark)" in result.stderr


# ---------------------------------------------------------------- larger runs (slow)

@pytest.mark.slow
@pytest.mark.parametrize("backend", ["duckdb", "spark"])
def test_columnar_backends_decide_twenty_thousand_generated_records_as_the_row_engine_does(tmp_path, backend):
    """bench/generate.py at 20,000 cases, 200 customers x 12 months, 5,000 claims, from Parquet on 2 threads."""
    if backend == "spark":
        spark_or_skip()
    _bench_module("generate").generate(tmp_path, 20_000, 200, 5_000, 20240101, parquet=True)
    row = check("row", {k: tmp_path / v for k, v in TEXT.items()}, tmp_path / "row.jsonl")
    assert row.code == 0, row.err
    files = {k: tmp_path / v for k, v in PARQUET.items()}
    if backend == "spark":
        result = spark_check(files, tmp_path / "other.jsonl", 2)
        code, err = result.returncode, result.stderr
    else:
        ran = check("duckdb", files, tmp_path / "other.jsonl", threads=2)
        code, err = ran.code, ran.err
    assert code == 0, err[-3000:]
    assert_same_decisions(tmp_path / "row.jsonl", tmp_path / "other.jsonl")
    assert_reports_fallback(err, 20_000 + 200 * 12 + 5_000)
