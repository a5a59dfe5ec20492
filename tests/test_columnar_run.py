"""Issue 12: `sla check --backend duckdb` writes what `--backend row` writes.

Every test runs both backends on the same input and compares the outputs byte
for byte (decisions, summaries, JUnit, HTML, rejects), the terminal table and
the exit code: the records the SQL decides and the ones it leaves to the row
engine must both come out exactly as the row engine's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from check_helpers import generate, generator
from conftest import ROOT, run_cli

pytest.importorskip("duckdb", reason="the columnar extra (duckdb) is not installed: pip install 'sla-engine[columnar]'")
pq = pytest.importorskip("pyarrow.parquet", reason="the columnar extra (pyarrow) is not installed")

from engine.columnar.export import jsonl_to_parquet  # noqa: E402
from engine.columnar.inputs import NOT_OBJECT, jsonl_chunks  # noqa: E402

NOW = "2025-06-01T00:00:00Z"
TALLY = "sla check --backend"


def check(tmp: Path, backend: str, *args: str, outputs: tuple[str, ...] = ("d.jsonl", "s.json", "s.csv", "j.xml", "h.html"),
          threads: str = "1") -> tuple[int, str, str, dict[str, bytes]]:
    """`sla check ARGS` on one backend into its own folder: (code, stdout, stderr without the tally, outputs' bytes)."""
    out = tmp / backend
    out.mkdir(exist_ok=True)
    flags = {"d.jsonl": "-o", "d.parquet": "-o", "s.json": "--summary", "s.csv": "--summary", "j.xml": "--junit",
             "h.html": "--html", "r.jsonl": "--rejects"}
    runs = []
    # --summary takes one file: a second run writes the CSV summary (and checks the run repeats)
    for group in ([o for o in outputs if o != "s.csv"], [o for o in outputs if o == "s.csv"]):
        if not group:
            continue
        given = [x for o in group for x in (flags[o], str(out / o))]
        backend_args = ["--backend", backend] + (["--threads", threads] if backend != "row" else [])
        runs.append(run_cli("check", *args, *given, *backend_args, "--now", NOW, "--jobs", "1"))
    code, stdout, err = runs[0].code, runs[0].out, runs[0].err.replace(str(out), "<out>")
    assert all(r.code == code for r in runs)
    files = {o: (out / o).read_bytes() for o in outputs if (out / o).exists()}
    return code, stdout, "\n".join(l for l in err.splitlines() if not l.startswith(TALLY)), files


def same(tmp: Path, *args: str, **kw) -> tuple[int, str]:
    """Both backends on ARGS: equal exit codes, tables, problems on stderr and output files; the duckdb run's
    exit code and tally line."""
    row = check(tmp, "row", *args, **kw)
    duck = check(tmp, "duckdb", *args, **kw)
    assert duck[0] == row[0]
    assert duck[1] == row[1]
    assert duck[2] == row[2]
    assert duck[3].keys() == row[3].keys()
    for name in row[3]:
        assert duck[3][name] == row[3][name], name
    rejects = ("--rejects", str(tmp / "tally-rejects.jsonl")) if "--keep-going" in args else ()
    return row[0], run_cli("check", *args, *rejects, "--backend", "duckdb", "--now", NOW).err


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("export"), cases=400, customers=5, claims=80, seed=12)


def months() -> str:
    year = generator().YEAR
    return f"{year}-01..{year}-12"


def test_duckdb_decides_a_generated_export_as_the_row_backend_does(tmp_path: Path, export: Path):
    code, err = same(tmp_path, "--cases", str(export / "cases.jsonl"), "--outages", str(export / "incidents.csv"),
                     "--contracts", str(export / "contracts.csv"), "--claims", str(export / "claims.jsonl"),
                     "--months", months())
    assert code == 1  # the generated data breaches a few targets
    tally = [l for l in err.splitlines() if l.startswith(TALLY)]
    assert {l.split(":")[1].strip() for l in tally} == {"cases", "customer-months", "claims"}
    for line in tally:  # every record decided by one backend or the other, counted once
        source = line.split(":")[1].strip()
        sql, row = (int(x.replace(",", "")) for x in line.split(": ", 2)[2].split(" decided by the SQL, ")[0:1]
                    + [line.split(" decided by the SQL, ")[1].split(" by the row engine")[0]])
        assert sql + row == {"cases": 400, "claims": 80, "customer-months": 60}[source]



@pytest.mark.parametrize("contracts", [True, False], ids=["customers-of-the-contracts", "customers-of-the-incidents"])
def test_customer_months_are_queried_a_few_customers_at_a_time_with_only_their_incidents(tmp_path: Path, export: Path,
                                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                                        contracts: bool):
    """One query for every customer-month held 5.2 GB at 1M months; the run now queries whole customers, as many
    as MONTH_ROWS months allow, each with only its own and the platform-wide incidents, and writes what the row
    backend writes (here 2 customers x 12 months a query: 2, 2, 1 of the export's 5; a run that writes no
    decision queries SUMMARY_ONLY_SCALE times as many months: all 5 at once)."""
    import engine.columnar.run as columnar_run
    from engine.columnar.session import DuckSession

    groups: list[tuple[list[str], list[int], set[str | None], list[str]]] = []
    real = DuckSession.query

    def recording(self, sql: str, tables: dict):
        if "customers" in tables and "doubt" not in sql.split("FROM", 1)[0]:
            customers = tables["customers"].to_pydict()
            incidents = set(tables["incidents"].column("customer").to_pylist())
            signed = tables["contracts"].column("customer").to_pylist() if "contracts" in tables else []
            groups.append((customers["customer"], customers["cust_idx"], incidents, signed))
        return real(self, sql, tables)

    monkeypatch.setattr(columnar_run, "MONTH_ROWS", 24)
    monkeypatch.setattr(DuckSession, "query", recording)
    more = ("--contracts", str(export / "contracts.csv")) if contracts else ()
    same(tmp_path, "--outages", str(export / "incidents.csv"), *more, "--months", months(), "--fail-on", "none")
    # same() runs duckdb three times: with -o, then for the CSV summary and for the tally, writing no decision
    assert [places for _, places, _, _ in groups] == [[0, 1], [2, 3], [4]] + [[0, 1, 2, 3, 4]] * 2
    assert len({c for customers, _, _, _ in groups for c in customers}) == 5
    for customers, _, incidents, signed in groups:
        assert incidents - {None} <= set(customers) and incidents & set(customers), (customers, incidents)
        assert set(signed) == (set(customers) if contracts else set())


def test_a_query_runs_over_the_tables_registered_for_it_and_warns_of_nothing():
    """Each chunk's SQL is bound again to the table registered for it (a statement prepared once would, on
    DuckDB 1.1, read the first chunk's table), and taking its result as Arrow prints no warning of DuckDB's."""
    import warnings

    import pyarrow as pa

    from engine.columnar.session import DuckSession

    session = DuckSession(1)
    sql = "SELECT x, typeof(x) AS t FROM raw"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = session.query(sql, {"raw": pa.table({"x": [1, 2]})}).to_pydict()
        second = session.query(sql, {"raw": pa.table({"x": ["a"]})}).to_pydict()
    session.close()
    assert first == {"x": [1, 2], "t": ["BIGINT", "BIGINT"]} and second == {"x": ["a"], "t": ["VARCHAR"]}


def test_a_run_that_writes_no_decision_reads_chunks_several_times_larger(tmp_path: Path, export: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    """Without the decisions' text a chunk's rows hold about half the memory and planning its query is the larger
    share of its CPU: the chunks are SUMMARY_ONLY_SCALE times as large (JSONL blocks and Parquet batches)."""
    import engine.columnar.run as columnar_run
    from engine.columnar.inputs import SUMMARY_ONLY_SCALE

    parquet = tmp_path / "cases.parquet"
    jsonl_to_parquet(export / "cases.jsonl", parquet)
    monkeypatch.setattr(columnar_run, "BLOCK_BYTES", 8_000)
    monkeypatch.setattr(columnar_run, "PARQUET_ROWS", 30)
    for cases, block in ((export / "cases.jsonl", 8_000), (parquet, None)):
        _, written = spied_check(monkeypatch, tmp_path, ("--cases", str(cases)), "-o", str(tmp_path / "d.jsonl"))
        _, summed = spied_check(monkeypatch, tmp_path, ("--cases", str(cases)), "--summary", str(tmp_path / "s.json"))
        sizes = [len(r["pos"]) for r in written], [len(r["pos"]) for r in summed]
        assert sum(sizes[0]) == sum(sizes[1]) == 400, sizes
        if block is None:  # Parquet: rows a batch
            assert set(sizes[0][:-1]) == {30} and set(sizes[1][:-1]) == {30 * SUMMARY_ONLY_SCALE}, sizes
        else:  # JSONL: bytes a block, ≈280 a case
            assert len(sizes[0]) >= 2 * len(sizes[1]) >= 2 * 4, sizes
    assert json.loads((tmp_path / "s.json").read_text())


def test_duckdb_reads_a_ticketing_csv_through_its_mapping_as_the_row_backend_does(tmp_path: Path, export: Path):
    same(tmp_path, "--cases", str(export / "cases-ticketing.csv"), "--mapping", "ticketing-export")


def test_the_example_cases_are_decided_the_same_on_both_backends(tmp_path: Path):
    code, _ = same(tmp_path, "--cases", str(ROOT / "examples" / "records" / "cases.jsonl"))
    assert code == 1


def test_a_parquet_export_is_decided_as_its_jsonl_is(tmp_path: Path, export: Path):
    parquet = tmp_path / "cases.parquet"
    assert jsonl_to_parquet(export / "cases.jsonl", parquet, rows_per_group=150) == 400
    row = check(tmp_path, "row", "--cases", str(export / "cases.jsonl"), outputs=("d.jsonl", "s.json"))
    duck = check(tmp_path, "duckdb", "--cases", str(parquet), outputs=("d.jsonl", "s.json"))
    assert duck[0] == row[0] and duck[1] == row[1]
    assert duck[3]["d.jsonl"] == row[3]["d.jsonl"]
    # the counts name the same rows; the summary's other sections are equal
    assert json.loads(duck[3]["s.json"]) == json.loads(row[3]["s.json"])


def test_a_folder_of_parquet_files_is_read_in_name_order(tmp_path: Path, export: Path):
    lines = (export / "cases.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, part in enumerate((lines[:150], lines[150:])):
        (tmp_path / f"p{i}.jsonl").write_text("".join(part), encoding="utf-8")
        jsonl_to_parquet(tmp_path / f"p{i}.jsonl", folder / f"part-{i}.parquet")
    row = check(tmp_path, "row", "--cases", str(export / "cases.jsonl"), outputs=("d.jsonl",))
    duck = check(tmp_path, "duckdb", "--cases", str(folder), outputs=("d.jsonl",))
    assert duck[3]["d.jsonl"] == row[3]["d.jsonl"]


def test_parquet_decisions_hold_the_jsonl_decisions_in_order_with_their_names(tmp_path: Path, export: Path):
    row = check(tmp_path, "row", "--claims", str(export / "claims.jsonl"), outputs=("d.jsonl",))
    duck = check(tmp_path, "duckdb", "--claims", str(export / "claims.jsonl"), outputs=("d.parquet",))
    assert duck[0] == row[0]
    table = pq.read_table(tmp_path / "duckdb" / "d.parquet")
    lines = row[3]["d.jsonl"].decode().splitlines()
    assert table.column("decision").to_pylist() == lines
    decisions = [json.loads(l) for l in lines]
    for name in ("record", "type", "customer", "policy", "version", "sha256"):
        assert table.column(name).to_pylist() == [d[name] for d in decisions]


BAD_LINES = [
    "\ufeff" + json.dumps({"type": "case", "id": "C-1", "customer": "acme", "severity": 2, "channel": "portal",
                            "submitted_at": "2024-06-03T09:00:00Z", "events": []}),
    "",
    "   \t",
    json.dumps({"type": "case", "id": "C-2", "customer": "acme", "severity": 1, "channel": "phone",
                "submitted_at": "2024-06-03T09:00:00Z",
                "events": [{"type": "human_response", "at": "2024-06-03T09:30:00Z", "via": "phone"}]}) + "\r",
    "[1, 2]",
    "not json at all",
    json.dumps({"type": "case", "id": "C-3", "customer": "acme", "severity": 9, "channel": "portal",
                "submitted_at": "2024-06-03T09:00:00Z", "events": []}),
    json.dumps({"type": "case", "id": "C-4", "customer": "acme", "severity": 2, "channel": "portal",
                "submitted_at": "2024-06-03T09:00:00", "events": []}),
    json.dumps({"type": "case", "id": "C-1", "customer": "acme", "severity": 2, "channel": "portal",
                "submitted_at": "2024-06-03T10:00:00Z", "events": []}),
    '{"type": "case", "id": "C-5", "customer": "acme", "severity": 2, "channel": "portal", "submitted_at": "2024-06-03T09:00:00Z", "events": [],}',
]


def bad_export(tmp_path: Path) -> Path:
    path = tmp_path / "bad.jsonl"
    body = "\n".join(BAD_LINES).encode("utf-8") + b"\n" + b'{"type": "case", "id": "C-\xff"}\n'
    path.write_bytes(body + jsonl_line(6))
    return path


def jsonl_line(i: int) -> bytes:
    return (json.dumps({"type": "case", "id": f"C-{i}", "customer": "acme", "severity": 3, "channel": "portal",
                        "submitted_at": "2024-06-03T09:00:00Z", "events": []}) + "\n").encode()


def test_bad_rows_are_rejected_as_the_row_backend_rejects_them_under_keep_going(tmp_path: Path):
    code, err = same(tmp_path, "--cases", str(bad_export(tmp_path)), "--keep-going",
                     outputs=("d.jsonl", "s.json", "j.xml", "r.jsonl"))
    assert code == 2
    assert "by the row engine" in err


def test_without_keep_going_the_first_bad_row_stops_both_backends_alike_and_nothing_is_written(tmp_path: Path):
    code, _ = same(tmp_path, "--cases", str(bad_export(tmp_path)), outputs=("d.jsonl", "s.json"))
    assert code == 2
    assert not [p for p in (tmp_path / "duckdb").iterdir()]


def test_a_failed_run_keeps_the_old_parquet_output_and_leaves_no_temporary_file(tmp_path: Path):
    out = tmp_path / "old.parquet"
    out.write_bytes(b"old")
    result = run_cli("check", "--cases", str(bad_export(tmp_path)), "-o", str(out), "--backend", "duckdb", "--now", NOW)
    assert result.code == 2
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "old.parquet"]


def test_a_parquet_file_damaged_after_its_footer_stops_the_run_as_unreadable_and_writes_nothing(tmp_path: Path):
    """Opening a file reads only its footer: a damaged page is found while reading, and must stop the run
    as an unreadable file (exit 2), not as an internal error (exit 3, as it did)."""
    pa = pytest.importorskip("pyarrow")
    path = tmp_path / "cases.parquet"
    cases = [{"type": "case", "id": f"C-{i}", "customer": "acme", "severity": 2, "channel": "portal",
              "submitted_at": "2024-03-05T09:30:00Z", "events": []} for i in range(2000)]
    pq.write_table(pa.Table.from_pylist(cases), path, row_group_size=500)
    page = pq.ParquetFile(path).metadata.row_group(2).column(1).data_page_offset
    data = bytearray(path.read_bytes())
    data[page:page + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))
    result = run_cli("check", "--cases", str(path), "--backend", "duckdb", "--now", NOW, "-o", str(tmp_path / "d.jsonl"))
    assert result.code == 2, result.err
    assert result.err.startswith(f"{path}: --cases: not a readable Parquet file: "), result.err
    assert "(reading the batch of up to 30,000 rows from row 1)" in result.err and "internal error" not in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.parquet"]


def test_duplicate_ids_across_chunks_are_found_as_the_row_backend_finds_them(tmp_path: Path):
    path = tmp_path / "dupes.jsonl"
    path.write_bytes(b"".join(jsonl_line(i) for i in range(1, 30)) + jsonl_line(3))
    code, _ = same(tmp_path, "--cases", str(path), "--keep-going", outputs=("d.jsonl", "r.jsonl", "s.json"))
    assert code == 2


@pytest.mark.parametrize("fail_on, expected", [("none", 0), ("any", 1)])
def test_exit_codes_follow_fail_on_as_on_the_row_backend(tmp_path: Path, fail_on: str, expected: int):
    code, _ = same(tmp_path, "--cases", str(ROOT / "examples" / "records" / "cases.jsonl"), "--fail-on", fail_on,
                   outputs=("d.jsonl",))
    assert code == expected


def test_row_only_flags_and_parquet_output_on_the_row_backend_are_usage_errors(tmp_path: Path):
    cases = str(ROOT / "examples" / "records" / "cases.jsonl")
    for args in (["--threads", "2"], ["--spark-master", "local[1]"], ["-o", str(tmp_path / "d.parquet")]):
        result = run_cli("check", "--cases", cases, *args)
        assert result.code == 2, args
        assert "Traceback" not in result.err
    result = run_cli("check", "--cases", cases, "--backend", "duckdb", "--spark-master", "local[1]")
    assert result.code == 2 and "--spark-master is for --backend spark" in result.err


def test_the_tally_says_once_who_decided_how_many_and_why_rows_fell_back(tmp_path: Path, export: Path):
    claims = (export / "claims.jsonl").read_bytes().splitlines(keepends=True)
    path = tmp_path / "claims.jsonl"
    path.write_bytes(b"".join(claims[:5]) + b"[1, 2]\n" + b'{"id": "C-\xff"}\n' + b"".join(claims[5:10]))
    args = ("check", "--claims", str(path), "--keep-going", "--rejects", str(tmp_path / "r.jsonl"), "--backend", "duckdb",
            "--now", NOW)
    result = run_cli(*args)
    assert result.code == 2
    tally = [l for l in result.err.splitlines() if l.startswith(TALLY)]
    assert tally == ["sla check --backend duckdb: claims: 10 decided by the SQL, 2 by the row engine "
                     "(1 not one JSON object on the line; 1 not UTF-8 text)"]
    assert TALLY not in run_cli(*args, "--quiet").err


@pytest.mark.parametrize("block", [7, 64, 1 << 20])
def test_jsonl_is_cut_into_the_row_readers_lines_whatever_the_block_size(tmp_path: Path, block: int):
    path = bad_export(tmp_path)
    data = path.read_bytes()
    expected = data[3:].split(b"\n")  # the byte-order mark dropped, cut at newlines only
    if expected[-1] == b"":
        expected.pop()
    lines, first = [], 1
    for chunk in jsonl_chunks("cases", str(path), block):
        assert chunk.task.first == first
        lines += chunk.task.rows
        first += len(chunk.task.rows)
        for pos, line, j in zip(*(chunk.table.column(c).to_pylist() for c in ("pos", "line", "j"))):
            assert pos == line and j == expected[pos - 1].decode().rstrip("\r\n")
    assert lines == expected


BLOCKS = {
    "plain objects": [b'{"a": 1}', b'{"b": 2}'],
    "CRLF line ends": [b'{"a": 1}\r', b'{"b": 2}\r\r'],
    "one CRLF among plain": [b'{"a": 1}', b'{"b": 2}\r'],
    "blank and space-only lines": [b'{"a": 1}', b"", b" \t", b'{"b": 2}'],
    "an object after spaces": [b'  {"a": 1}', b'{"b": 2}'],
    "not an object": [b'{"a": 1}', b"[1, 2]", b'"x"'],
}


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_a_jsonl_block_gives_the_sql_the_lines_the_row_reader_would_read_as_objects(tmp_path: Path, name: str):
    """Each line is the row reader's (its line end trimmed); blank lines are skipped and not counted; a
    line that is no JSON object goes to the row engine, whichever path the block takes."""
    lines = BLOCKS[name]
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    [chunk] = list(jsonl_chunks("cases", str(path)))
    texts = [raw.decode().rstrip("\r\n") for raw in lines]
    blank = [not t.strip(" \t\n\r\f\v") for t in texts]
    objects = [t.lstrip(" \t\r\n\f\v").startswith("{") for t in texts]
    expected = [(n, t) for n, (t, b, o) in enumerate(zip(texts, blank, objects), 1) if o and not b]
    assert list(zip(chunk.table.column("pos").to_pylist(), chunk.table.column("j").to_pylist())) == expected
    assert chunk.fallback == {n: NOT_OBJECT for n, (b, o) in enumerate(zip(blank, objects), 1) if not b and not o}
    assert chunk.count == blank.count(False)


def readme_commands(marker: str) -> list[list[str]]:
    """The commands of the README's shell block after `<!-- readme-example: MARKER -->`, one per (continued) line."""
    import shlex

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split(f"<!-- readme-example: {marker} -->", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line) for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def test_the_readmes_duckdb_example_on_a_parquet_export_runs_and_matches_the_row_backend(tmp_path: Path):
    import subprocess
    import sys

    commands = readme_commands("columnar")
    assert [c[:3] for c in commands] == [["python", "-m", "engine.columnar.export"], ["sla", "check", "--backend"]]
    for command in commands:
        argv = [a.replace("/tmp/sla-demo", str(tmp_path)) for a in command]
        argv = [sys.executable, *argv[1:]] if argv[0] == "python" else [sys.executable, "-m", "engine", *argv[1:]]
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    row = run_cli("check", "--cases", str(ROOT / "examples" / "records" / "cases.jsonl"), "-o", str(tmp_path / "row.jsonl"),
                  "--summary", str(tmp_path / "row.json"), "--now", "2026-01-01T00:00:00Z", "--fail-on", "none")
    assert row.code == 0
    decisions = pq.read_table(tmp_path / "decisions.parquet").column("decision").to_pylist()
    assert decisions == (tmp_path / "row.jsonl").read_text(encoding="utf-8").splitlines()
    assert (tmp_path / "summary.json").read_bytes() == (tmp_path / "row.json").read_bytes()


KIND_ARGS = [
    ("case", ("--cases", "cases.jsonl")),
    ("credit_claim", ("--claims", "claims.jsonl")),
    ("uptime", ("--outages", "incidents.csv", "--contracts", "contracts.csv", "--months", "MONTHS")),
]


def spied_check(monkeypatch: pytest.MonkeyPatch, export: Path, args: tuple, *outputs: str) -> tuple[int, list[dict]]:
    """`sla check --backend duckdb ARGS OUTPUTS`, with the columns of every query result the SQL gave back."""
    from engine.columnar.session import DuckSession

    results: list[dict] = []
    real = DuckSession.query

    def query(self, sql, tables):
        out = real(self, sql, tables)
        results.append(out.to_pydict())
        return out

    monkeypatch.setattr(DuckSession, "query", query)
    argv = [months() if a == "MONTHS" else str(export / a) if "." in a else a for a in args]
    code = run_cli("check", *argv, *outputs, "--backend", "duckdb", "--now", NOW).code
    return code, [r for r in results if "decision" in r]


@pytest.mark.parametrize("kind, args", KIND_ARGS)
def test_the_summary_reads_the_values_a_decision_shows_as_python_parses_them_from_its_text(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch, kind: str, args: tuple):
    """The values the summary takes from the SQL (SUMMARY_VALUES, columns of the plan, not parsed from the
    text) are what json.loads finds in the same row's decision; its record, breached and violation are the
    plan's own columns (held to the row engine in test_columnar_plan.py)."""
    from engine.columnar.run import SUMMARY_VALUES

    code, results = spied_check(monkeypatch, export, args, "-o", str(tmp_path / "d.jsonl"))
    assert code in (0, 1)
    checked = 0
    for columns in results:
        for i, text in enumerate(columns["decision"]):
            if text is None:
                continue  # a row the SQL left to the row engine
            decision = json.loads(text)
            for column, name in SUMMARY_VALUES[kind].items():
                where, _, key = name.partition(".")
                assert columns[column][i] == (decision[where][key] if key else decision[where]), (column, text)
            checked += 1
    assert checked > 10


@pytest.mark.parametrize("kind, args", KIND_ARGS)
def test_a_run_that_writes_no_decision_builds_no_decision_text_and_sums_up_as_the_row_backend(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch, kind: str, args: tuple):
    """Without -o or --junit nothing shows a decision's text, so the SQL builds none ('' stands in: on DuckDB
    the text is about half a chunk's CPU); the summary, HTML report, table and exit code are the row backend's."""
    argv = [months() if a == "MONTHS" else str(export / a) if "." in a else a for a in args]
    row = check(tmp_path, "row", *argv, outputs=("s.json", "h.html"))
    code, results = spied_check(monkeypatch, export, args, "--summary", str(tmp_path / "s.json"),
                                "--html", str(tmp_path / "h.html"))
    decided = [t for columns in results for t in columns["decision"] if t is not None]
    assert len(decided) > 10 and set(decided) == {""}
    assert code == row[0]
    assert (tmp_path / "s.json").read_bytes() == row[3]["s.json"]
    assert (tmp_path / "h.html").read_bytes() == row[3]["h.html"]


def test_junit_alone_still_has_the_sql_build_the_decisions_it_shows(tmp_path: Path, export: Path,
                                                                    monkeypatch: pytest.MonkeyPatch):
    """--junit shows each decision's findings (read from its text): the text is built though no -o is given."""
    row = check(tmp_path, "row", "--cases", str(export / "cases.jsonl"), outputs=("j.xml",))
    code, results = spied_check(monkeypatch, export, ("--cases", "cases.jsonl"), "--junit", str(tmp_path / "j.xml"))
    assert all(t and t.startswith('{"record":') for columns in results for t in columns["decision"] if t is not None)
    assert code == row[0] and (tmp_path / "j.xml").read_bytes() == row[3]["j.xml"]


def test_contracts_and_incidents_from_parquet_are_read_and_rejected_as_their_jsonl_is(tmp_path: Path):
    """--contracts and --outages as Parquet: the same records as the JSONL, so the same decisions, and a bad row is
    rejected at the same line with the same problem (here an outage that ends before it starts, a second contract)."""
    contracts = [{"customer": "acme", "billing": "month_to_month", "monthly_commitment": "1000.00", "currency": "USD"},
                 {"customer": "beta", "billing": "month_to_month", "monthly_commitment": "250.00", "currency": "EUR"},
                 {"customer": "acme", "billing": "month_to_month", "monthly_commitment": "9.00", "currency": "USD"}]
    incidents = [{"id": "INC-1", "customer": "acme", "start": "2024-05-03T10:00:00Z", "end": "2024-05-03T12:30:00Z",
                  "functions": ["inbound_voice"], "cause": "genesys"},
                 {"id": "INC-2", "customer": "*", "start": "2024-05-09T10:00:00Z", "end": "2024-05-09T09:00:00Z",
                  "functions": ["inbound_voice"], "cause": "genesys"},
                 {"id": "INC-3", "customer": "*", "start": "2024-05-20T00:00:00+02:00", "end": "2024-05-20T01:00:00+02:00",
                  "functions": ["inbound_voice"], "cause": "genesys"}]
    for name, records in (("contracts", contracts), ("incidents", incidents)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        jsonl_to_parquet(tmp_path / f"{name}.jsonl", tmp_path / f"{name}.parquet")
    common = ("--months", "2024-05", "--keep-going", "--fail-on", "none")
    row = check(tmp_path, "row", "--contracts", str(tmp_path / "contracts.jsonl"), "--outages", str(tmp_path / "incidents.jsonl"),
                *common, outputs=("d.jsonl", "s.json", "r.jsonl"))
    duck = check(tmp_path, "duckdb", "--contracts", str(tmp_path / "contracts.parquet"), "--outages",
                 str(tmp_path / "incidents.parquet"), *common, outputs=("d.jsonl", "s.json", "r.jsonl"))
    assert duck[0] == row[0] == 2
    assert duck[3]["d.jsonl"] == row[3]["d.jsonl"] and duck[3]["d.jsonl"].count(b"\n") == 2
    rejects = [[(e["source"], e["line"], e["record"], [p.replace(".parquet:", ".jsonl:") for p in e["problems"]])
                for e in map(json.loads, d[3]["r.jsonl"].splitlines())] for d in (row, duck)]
    assert rejects[1] == rejects[0]
    assert [(source, line) for source, line, _, _ in rejects[0]] == [("contracts", 3), ("outages", 2)]


def test_a_parquet_source_on_the_row_backend_is_a_usage_error_that_names_the_backends(tmp_path: Path):
    result = run_cli("check", "--contracts", str(tmp_path / "contracts.parquet"), "--months", "2024-05")
    assert result.code == 2 and "Traceback" not in result.err
    assert "--contracts .parquet needs --backend duckdb or spark" in result.err


@pytest.mark.parametrize("backend, flags, expected", [
    ("duckdb", ("--threads", "1"), 1),
    ("duckdb", ("--threads", "2"), 2),
    ("duckdb", ("--threads", "1", "--jobs", "2"), 2),
    ("row", ("--jobs", "1"), 1),
])
def test_the_row_engines_workers_follow_threads_unless_jobs_is_given(tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     backend: str, flags: tuple[str, ...], expected: int):
    import engine.check.run as check_run

    made: list[int] = []
    real = check_run.Evaluator

    def recording(jobs: int, *args, **kw):
        made.append(jobs)
        return real(jobs, *args, **kw)

    monkeypatch.setattr(check_run, "Evaluator", recording)
    result = run_cli("check", "--outages", str(export / "incidents.csv"), "--contracts", str(export / "contracts.csv"),
                     "--months", months(), "--backend", backend, *flags, "--now", NOW, "--fail-on", "none", "--quiet",
                     "-o", str(tmp_path / "d.jsonl"))
    assert result.code == 0, result.err
    assert made == [expected]


def _json_rows_one_value_at_a_time(rows: list[dict]) -> list[str]:
    """The reference: every value of every row through `_plain` (what json_rows did before it
    made one converter per schema), instants, dates and times by Python's isoformat (an instant
    with a zone in UTC), for the test below."""
    import datetime as dt

    from engine.columnar.inputs import NULL_VALUED, _plain

    def plain(v):
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items() if x is not None}
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, dt.datetime):  # a naive one read at UTC (--parquet-timezone UTC)
            return (v.replace(tzinfo=dt.timezone.utc) if v.tzinfo is None else v.astimezone(dt.timezone.utc)).isoformat().replace("+00:00", "Z")
        if isinstance(v, (dt.date, dt.time)):
            return v.isoformat()
        return _plain(v)

    return [json.dumps({k: plain(v) for k, v in r.items() if v is not None or k in NULL_VALUED}, ensure_ascii=False)
            for r in rows]


def test_parquet_rows_become_the_same_json_lines_whatever_their_column_types():
    import datetime as dt
    from decimal import Decimal

    import pyarrow as pa

    from engine.columnar.inputs import json_rows, readable

    utc, ist = dt.timezone.utc, dt.timezone(dt.timedelta(hours=5, minutes=30))
    inner = pa.struct([("at", pa.timestamp("us", tz="UTC")), ("s", pa.string()), ("n", pa.int64()), ("tags", pa.list_(pa.string()))])
    columns = {
        "s": pa.array(["a", None, "é\u2028"], pa.string()), "ls": pa.array(["x", "y", None], pa.large_string()),
        "i": pa.array([1, None, -3], pa.int64()), "u": pa.array([2**64 - 1, 0, None], pa.uint64()),
        "b": pa.array([True, False, None]), "f": pa.array([1.5, float("nan"), None], pa.float64()),
        "ts": pa.array([dt.datetime(2024, 1, 1, tzinfo=utc), None, dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=utc)],
                       pa.timestamp("us", tz="UTC")),
        "ts_ist": pa.array([dt.datetime(2024, 1, 1, tzinfo=ist), None, None], pa.timestamp("ms", tz="+05:30")),
        "naive": pa.array([dt.datetime(2024, 1, 1, 12), None, None], pa.timestamp("s")),
        "d": pa.array([dt.date(2024, 3, 1), None, None], pa.date32()), "t": pa.array([dt.time(1, 2, 3), None, None], pa.time64("us")),
        "dec": pa.array([Decimal("1.500"), None, Decimal("-0.001")], pa.decimal128(10, 3)),
        "bin": pa.array([b"ok", b"\xff", None], pa.binary()),
        "dict": pa.array(["p", "q", None]).dictionary_encode(),
        "nul": pa.array([None, None, None], pa.null()),
        "support_case": pa.array([None, "SC-1", None], pa.string()),
        "list_s": pa.array([["a", None], None, []], pa.list_(pa.string())),
        "list_ts": pa.array([[dt.datetime(2024, 1, 1, tzinfo=utc), None], None, []], pa.list_(pa.timestamp("us", tz="UTC"))),
        "list_struct": pa.array([[{"at": dt.datetime(2024, 1, 1, tzinfo=utc), "s": None, "n": 3, "tags": ["t", None]}, None],
                                 None, [{"at": None, "s": "x", "n": None, "tags": None}]], pa.list_(inner)),
        "struct": pa.array([{"s": "a", "n": None, "at": None, "tags": []}, None, {"s": None, "n": 1, "at": None, "tags": None}], inner),
        "map": pa.array([[("k", 1)], None, []], pa.map_(pa.string(), pa.int64())),
    }
    batch = pa.RecordBatch.from_arrays(list(columns.values()), names=list(columns))
    readable_batch, bad, _ = readable(batch, 0)
    assert json_rows(readable_batch, bad) == _json_rows_one_value_at_a_time(batch.to_pylist())
    twice = pa.RecordBatch.from_arrays([pa.array(["a"]), pa.array([1])], names=["x", "x"])
    assert json_rows(twice) == _json_rows_one_value_at_a_time(twice.to_pylist())


def test_the_parquet_outputs_name_columns_are_read_from_each_decisions_text_as_json_reads_them():
    from engine.columnar.output import COLUMNS, head

    def names(d: dict) -> tuple:
        return tuple(d.get(c) for c in COLUMNS)

    plain = {"record": "C-1", "type": "case", "customer": "cust-1", "policy": "genesys-cloud", "version": "2024-10-01",
             "sha256": "ab" * 32, "result": {"x": "1"}, "findings": []}
    escaped = dict(plain, record='C-"1"\\x', customer="客户\u2028\x01😀")
    no_customer = {k: v for k, v in plain.items() if k != "customer"}
    reordered = {"type": "case", **plain}
    for decision in (plain, escaped, no_customer, reordered):
        for text in (json.dumps(decision, ensure_ascii=False, separators=(",", ":")),
                     json.dumps(decision, separators=(",", ":"))):  # \\uXXXX escapes too
            assert head(text) == names(json.loads(text)), text


def test_reading_a_parquet_export_holds_a_chunk_of_arrow_memory_not_the_file_read_so_far(tmp_path: Path):
    """The Parquet reader must let each chunk's buffers go: memory flat as the input grows (issue 12)."""
    import pyarrow as pa

    from engine.columnar.inputs import parquet_chunks

    import random

    groups, rows = 24, 5_000
    path = tmp_path / "cases.parquet"
    draw = random.Random(12)
    with pq.ParquetWriter(str(path), pa.schema([("id", pa.string()), ("note", pa.string())])) as writer:
        for g in range(groups):  # notes that do not compress: the file's bytes are what a reader could keep
            notes = [draw.randbytes(100).hex() for _ in range(rows)]
            writer.write_table(pa.table({"id": [f"C-{g}-{i}" for i in range(rows)], "note": notes}), row_group_size=rows)
    before, held = pa.total_allocated_bytes(), []
    for raw in parquet_chunks("cases", str(path), rows=rows):
        assert raw.count == rows
        held.append(pa.total_allocated_bytes() - before)
        del raw
    assert len(held) == groups
    # a chunk is ~1 MB of notes, the file ~24 MB: a reader that kept (or read ahead) the file would hold it
    assert max(held) < 10 * 2**20, held  # ~4.5 MB: the batch, its table and the page buffers of one row group


def test_a_parquet_chunk_of_claims_is_about_a_jsonl_block_of_them_not_a_chunk_of_cases(tmp_path: Path, export: Path):
    """A claim's JSON line is nearly twice a case's: a Parquet chunk sized for cases held ≈125 MB more at the peak
    of a two-thread run than one sized like the JSONL block of the same claims (issue 12)."""
    from engine.columnar.export import jsonl_to_parquet
    from engine.columnar.inputs import jsonl_chunks, parquet_chunks

    claim = json.loads((export / "claims.jsonl").read_text(encoding="utf-8").splitlines()[0])
    lines = tmp_path / "claims.jsonl"
    with open(lines, "w", encoding="utf-8") as out:
        for i in range(40_000):
            out.write(json.dumps({**claim, "id": f"CLM-{i:06d}"}) + "\n")
    jsonl_to_parquet(lines, tmp_path / "claims.parquet")
    block = max(raw.count for raw in jsonl_chunks("claims", str(lines)))
    chunks = [raw.count for raw in parquet_chunks("claims", str(tmp_path / "claims.parquet"))]
    assert sum(chunks) == 40_000
    assert max(chunks) <= 1.25 * block, (max(chunks), block)
    assert max(raw.count for raw in parquet_chunks("cases", str(tmp_path / "claims.parquet"))) > 1.25 * block  # cases' size


@pytest.mark.parametrize("stdin", [False, True], ids=["all-by-sql", "stdin-to-the-row-engine"])
def test_the_sql_backend_forks_row_engine_workers_only_when_it_streams_records_to_them(tmp_path: Path, export: Path,
                                                                                      monkeypatch: pytest.MonkeyPatch, stdin: bool):
    """Workers forked up front held memory for nothing on a run the SQL decides whole (issue 12)."""
    from engine.check.parallel import Evaluator

    started: list[int] = []
    real = Evaluator._start

    def recording(self: Evaluator) -> None:
        started.append(self.jobs)
        real(self)

    monkeypatch.setattr(Evaluator, "_start", recording)
    cases = export / "cases.jsonl"
    source = "-" if stdin else str(cases)
    result = run_cli("check", "--cases", source, "--backend", "duckdb", "--threads", "2", "--now", NOW, "--fail-on", "none",
                     "-o", str(tmp_path / "sql.jsonl"), stdin=cases.read_text(encoding="utf-8") if stdin else "")
    assert result.code == 0, result.err
    assert started == ([2] if stdin else [])
    row = run_cli("check", "--cases", str(cases), "--now", NOW, "--fail-on", "none", "--quiet", "-o", str(tmp_path / "row.jsonl"))
    assert row.code == 0, row.err
    assert (tmp_path / "sql.jsonl").read_bytes() == (tmp_path / "row.jsonl").read_bytes()


def test_chunks_of_cases_the_sql_decides_whole_are_put_together_column_by_column_as_the_row_backend_writes(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch):
    """The short path for a chunk of cases all decided by the SQL (no JUnit asked) gives the row backend's
    decisions, table and summary."""
    from engine.columnar.run import ColumnarCheck

    used: list[int] = []
    real = ColumnarCheck._all_cases

    def spy(self: ColumnarCheck, source: str, columns: dict, *rest: object) -> object:
        used.append(len(columns["decision"]))
        return real(self, source, columns, *rest)

    monkeypatch.setattr(ColumnarCheck, "_all_cases", spy)
    same(tmp_path, "--cases", str(export / "cases.jsonl"), outputs=("d.jsonl", "s.json", "s.csv", "h.html"))
    assert used and sum(used) % 400 == 0  # every case of each duckdb run went that way


def spy_on_jsonl_bodies(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many decisions each chunk written straight from the SQL's result had (engine.columnar.output.jsonl_body)."""
    import engine.columnar.run as columnar_run

    written: list[int] = []
    real = columnar_run.jsonl_body

    def spy(lines: object) -> object:
        written.append(len(lines))  # type: ignore[arg-type]
        return real(lines)

    monkeypatch.setattr(columnar_run, "jsonl_body", spy)
    return written


def test_chunks_the_sql_decides_whole_are_written_from_its_result_byte_for_byte_as_the_row_backend_writes(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch):
    """With -o and no JUnit, a chunk of cases or claims the SQL decided every row of is written from the
    result's own buffer (each text ends with its newline in SQL): the row backend's file, byte for byte."""
    written = spy_on_jsonl_bodies(monkeypatch)
    same(tmp_path, "--cases", str(export / "cases.jsonl"), "--claims", str(export / "claims.jsonl"),
         outputs=("d.jsonl", "s.json", "s.csv"))
    assert sum(written) == 400 + 80  # every decision of the duckdb run that writes them
    stdout = run_cli("check", "--cases", str(export / "cases.jsonl"), "--backend", "duckdb", "--now", NOW, "--quiet",
                     "--fail-on", "none", "-o", "-")
    assert stdout.code == 0, stdout.err  # decisions to standard output (here one without a binary buffer)
    assert stdout.out == run_cli("check", "--cases", str(export / "cases.jsonl"), "--now", NOW, "--quiet", "--fail-on", "none",
                                 "-o", "-").out
    assert stdout.out.count("\n") == 400 and sum(written) == 2 * 400 + 80


def test_decisions_to_a_real_standard_output_are_the_row_backends_bytes(tmp_path: Path, export: Path):
    """`-o -` in a process of its own: the SQL's pieces go to standard output's binary buffer between its
    text writes, and the bytes are the row backend's file."""
    import subprocess
    import sys

    args = ["check", "--cases", str(export / "cases.jsonl"), "--claims", str(export / "claims.jsonl"), "--now", NOW,
            "--quiet", "--fail-on", "none"]
    assert run_cli(*args, "-o", str(tmp_path / "row.jsonl")).code == 0
    done = subprocess.run([sys.executable, "-m", "engine", *args, "--backend", "duckdb", "-o", "-"], cwd=ROOT,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (tmp_path / "row.jsonl").read_bytes()


def test_a_chunk_the_sql_shares_with_the_row_engine_writes_each_sql_text_without_its_line_end(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The SQL ends each text with a newline for the written-whole path; a chunk it shares with the row
    engine (lines that are not JSON, a row it is not sure of) takes the texts without it, as JUnit does."""
    written = spy_on_jsonl_bodies(monkeypatch)
    code, err = same(tmp_path, "--cases", str(bad_export(tmp_path)), "--keep-going", outputs=("d.jsonl", "r.jsonl", "s.json"))
    assert code == 2 and "by the row engine" in err
    assert written == []
    assert (tmp_path / "duckdb" / "d.jsonl").read_bytes().count(b"\n") == 3  # C-1 (once: the other is a duplicate), C-2, C-6


def test_jsonl_lines_are_taken_from_arrow_buffers_exactly_whatever_their_chunks_slices_and_offsets():
    import pyarrow as pa

    from engine.columnar.output import jsonl_body

    texts = ['{"record":"a"}\n', '{"record":"é ✓"}\n', "", '{"record":"c"}\n', '{"record":"d"}\n']
    whole = "".join(texts).encode()
    for kind in (pa.string(), pa.large_string()):
        array = pa.array(texts, kind)
        chunked = pa.chunked_array([array.slice(0, 2), array.slice(2, 0), array.slice(2, 3)], kind)
        assert b"".join(jsonl_body(chunked)) == whole
        assert b"".join(jsonl_body(array.slice(1, 3))) == "".join(texts[1:4]).encode()  # a slice: its offsets start past 0
        assert jsonl_body(pa.chunked_array([], kind)) == ()


def test_utf8_pieces_written_between_text_land_in_order_on_a_binary_buffer_or_decoded_on_a_text_only_stream():
    import io

    from engine.check.run import write_utf8

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
    stream.write("first\n")
    write_utf8(stream, (memoryview("é\n".encode()), memoryview(b"x\n")))
    stream.write("last\n")
    stream.flush()
    assert raw.getvalue() == "first\né\nx\nlast\n".encode()
    plain = io.StringIO()
    plain.write("first\n")
    write_utf8(plain, (memoryview("é\n".encode()),))
    assert plain.getvalue() == "first\né\n"
    raw = io.BytesIO()
    crlf = io.TextIOWrapper(raw, encoding="utf-8", newline="\r\n")  # as standard output is on Windows
    crlf.write("first\n")
    write_utf8(crlf, (memoryview(b"x\n"),), translated=True)
    crlf.flush()
    assert raw.getvalue() == b"first\r\nx\r\n"  # every line ends alike


def test_cases_added_column_by_column_give_the_summary_of_cases_added_one_by_one():
    import random

    from engine.check.rows import CaseRow
    from engine.check.summary import Summary

    rng = random.Random(4)
    n = 2_000
    cols = {"severity": [rng.choice([1, 2, 3, 4]) for _ in range(n)],
            "micros": [rng.choice([None, rng.randrange(0, 10**10)]) for _ in range(n)],
            "met": [rng.choice([True, False, None]) for _ in range(n)],
            "target": [rng.choice(["10", "120", "240"]) for _ in range(n)],
            "breached": [rng.random() < 0.1 for _ in range(n)], "violation": [rng.random() < 0.05 for _ in range(n)]}
    one, many = Summary(), Summary()
    for i in range(n):
        one.add(CaseRow(cols["breached"][i], cols["violation"][i], cols["severity"][i], cols["micros"][i], cols["met"][i],
                        cols["target"][i]))
    many.add_cases(cols["severity"], cols["micros"], cols["met"], cols["target"], cols["breached"], cols["violation"])
    assert many.severity_rows() == one.severity_rows()
    assert many.failing == one.failing and list(many.severities) == list(one.severities)
    quiet = Summary()
    quiet.add_cases([2], [None], [None], ["120"], [False], [False])
    assert "breached" not in quiet.failing and "violation" not in quiet.failing  # no zero counts that add a key


def test_result_rows_are_put_in_input_order_by_their_position_whatever_order_the_sql_gives():
    from engine.columnar.run import in_pos_order

    ordered = {"pos": [3, 4, 9], "decision": ["c", "d", "i"]}
    assert in_pos_order(ordered) is ordered  # already in order: not copied
    assert in_pos_order({"pos": [9, 3, 4], "decision": ["i", "c", "d"], "sure": [True, False, True]}) == \
        {"pos": [3, 4, 9], "decision": ["c", "d", "i"], "sure": [False, True, True]}
    assert in_pos_order({"pos": [], "decision": []}) == {"pos": [], "decision": []}


def test_decisions_come_out_in_input_order_when_the_sql_returns_its_rows_reversed(tmp_path: Path, export: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch):
    """The SQL has no ORDER BY (the rows are ordered by `pos` in Python): a result in any order, here
    reversed, still gives the row backend's outputs (cases on the short path, claims and months on the other)."""
    import pyarrow as pa

    from engine.columnar.session import DuckSession

    real = DuckSession.query

    def reversed_query(self: DuckSession, sql: str, tables: dict) -> object:
        table = real(self, sql, tables)
        return table.take(pa.array(range(table.num_rows - 1, -1, -1), pa.int64()))

    monkeypatch.setattr(DuckSession, "query", reversed_query)
    same(tmp_path, "--cases", str(export / "cases.jsonl"), "--outages", str(export / "incidents.csv"),
         "--contracts", str(export / "contracts.csv"), "--claims", str(export / "claims.jsonl"), "--months", months(),
         outputs=("d.jsonl", "s.json", "s.csv"))


def test_workers_forked_after_the_duckdb_session_opened_decide_as_the_row_backend(tmp_path: Path, export: Path):
    """Cases decided by DuckDB on two threads first, then claims from standard input: the workers are forked
    while the DuckDB session is open (the lazy pool's late fork), and the outputs are the row backend's."""
    claims = export / "claims.jsonl"
    common = ("--cases", str(export / "cases.jsonl"), "--outages", str(export / "incidents.csv"), "--contracts",
              str(export / "contracts.csv"), "--months", months(), "--now", NOW, "--fail-on", "none", "--quiet")
    sql = run_cli("check", *common, "--claims", "-", "--backend", "duckdb", "--threads", "2", "-o", str(tmp_path / "sql.jsonl"),
                  stdin=claims.read_text(encoding="utf-8"))
    row = run_cli("check", *common, "--claims", str(claims), "-o", str(tmp_path / "row.jsonl"))
    assert (sql.code, sql.out) == (row.code, row.out)
    assert (tmp_path / "sql.jsonl").read_bytes() == (tmp_path / "row.jsonl").read_bytes()


def spy_on_all_months(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The months of each query put together column by column (ColumnarCheck._all_months), None for a query
    that went row by row."""
    from engine.columnar.run import ColumnarCheck

    seen: list[int | None] = []
    real = ColumnarCheck._all_months

    def spy(self: ColumnarCheck, *args: object) -> object:
        chunk = real(self, *args)
        seen.append(None if chunk is None else chunk.rows)
        return chunk

    monkeypatch.setattr(ColumnarCheck, "_all_months", spy)
    return seen


@pytest.mark.parametrize("contracts", [True, False], ids=["customers-of-the-contracts", "customers-of-the-incidents"])
def test_customer_months_the_sql_decides_whole_are_summed_up_column_by_column_and_written_from_its_result(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch, contracts: bool):
    """A query whose every customer-month the SQL decided, each credit owed included (the common case), is
    summed up column by column and, with -o, written from the result's own buffer: the row backend's
    decisions, table, summaries and HTML, byte for byte."""
    whole = spy_on_all_months(monkeypatch)
    written = spy_on_jsonl_bodies(monkeypatch)
    more = ("--contracts", str(export / "contracts.csv")) if contracts else ()
    same(tmp_path, "--outages", str(export / "incidents.csv"), *more, "--months", months(), "--fail-on", "none",
         outputs=("d.jsonl", "s.json", "s.csv", "h.html"))
    assert whole == [60] * 3  # one query of 5 customers x 12 months in each duckdb run (-o, the CSV summary, the tally)
    assert written == [60]  # the run that writes the decisions


def test_a_query_holding_a_month_the_sql_left_goes_row_by_row_with_each_sql_text_without_its_line_end(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch):
    """A customer whose month's record id the schema refuses is the row engine's (it rejects it): the query
    holding it goes row by row (the SQL's texts without the newline the written-whole path keeps), the
    other queries whole, and the outputs are the row backend's."""
    import engine.columnar.run as columnar_run

    whole = spy_on_all_months(monkeypatch)
    written = spy_on_jsonl_bodies(monkeypatch)
    long = "c" * 195  # "<customer>/2024-01" is longer than a record id may be
    incidents = tmp_path / "incidents.csv"
    incidents.write_text((export / "incidents.csv").read_text(encoding="utf-8")
                         + f"I-long,{long},{generator().YEAR}-02-02T00:00:00Z,{generator().YEAR}-02-02T01:00:00Z,"
                           "inbound_voice,genesys\n", encoding="utf-8")
    monkeypatch.setattr(columnar_run, "MONTH_ROWS", 24)  # 2 customers of 12 months a query
    code, err = same(tmp_path, "--outages", str(incidents), "--months", months(), "--keep-going", "--fail-on", "none",
                     outputs=("d.jsonl", "r.jsonl", "s.json"))
    assert code == 2 and f"{long}/" in (tmp_path / "row" / "r.jsonl").read_text(encoding="utf-8")
    # customers in file order, the long one last: with -o its query (shared with cust-00004) goes row by row;
    # the tally's run (no -o: queries SUMMARY_ONLY_SCALE times larger) has one query, which holds it too
    assert whole == [24, 24, None, None]
    assert written == [24, 24] and (tmp_path / "duckdb" / "d.jsonl").read_bytes().count(b"\n") == 60
    assert "customer-months: 60 decided by the SQL, 12 by the row engine" in err


def test_a_query_holding_a_credit_owed_the_sql_did_not_work_out_goes_row_by_row(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch):
    """A contract's credited month whose credit owed the SQL leaves (here: it says it did not work one out)
    is decided by the row engine, and its query goes row by row: the same outputs."""
    import engine.columnar.run as columnar_run

    whole = spy_on_all_months(monkeypatch)
    monkeypatch.setattr(columnar_run, "_owed", lambda row: None)
    code, err = same(tmp_path, "--outages", str(export / "incidents.csv"), "--contracts", str(export / "contracts.csv"),
                     "--months", months(), "--fail-on", "none", outputs=("d.jsonl", "s.json", "h.html"))
    assert whole == [None] * 2  # the run with -o and the tally's
    assert f"by the row engine ({18:,} {columnar_run.OWED})" in err


def test_whole_number_decimals_of_a_result_are_read_as_ints_unless_one_is_beyond_int64():
    from decimal import Decimal

    import pyarrow as pa

    from engine.columnar.run import _as_ints

    big = Decimal(2**63)
    table = pa.table({"n": pa.array([Decimal(44_640), None, Decimal(-7)], pa.decimal128(38, 0)),
                      "huge": pa.array([Decimal(1), big, None], pa.decimal128(38, 0)),
                      "cents": pa.array([Decimal("1.50"), None, None], pa.decimal128(10, 2)), "text": ["a", "b", "c"]})
    got = _as_ints(table)
    assert got.column("n").type == pa.int64() and got.column("n").to_pylist() == [44_640, None, -7]
    assert got.column("huge").to_pylist() == [Decimal(1), big, None]  # kept: int64 cannot hold it
    assert got.column("cents").type == pa.decimal128(10, 2) and got.column_names == table.column_names
