"""Hostile files: each class of input an attacker, a broken export or a careless
editor can produce, handled with a clear error (or correctly) and bounded time
and memory. tests/README.md lists each class with the test that covers it.

The heaviest cases run in a child process (reliability_helpers.run_engine)
with a time limit and an address-space limit (RLIMIT_AS), so a regression
shows as a failure, not as a machine that swaps or hangs.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

import engine.io.inputs
from conftest import ROOT, case, claim, outage, uptime
from reliability_helpers import (BUNDLED, FAMILY, NOW, POLICY_COMMANDS, RECORD_COMMANDS, assert_clean, problem_lines,
                                 run_engine, sla)

GIB = 1024**3
MIB = 1024**2


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def evaluate(*args: str, stdin: str = "") -> Any:
    return sla("evaluate", *args, "--now", NOW, "--format", "json", stdin=stdin)


def policy_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the bundled policies and the path of its latest revision."""
    root = tmp_path / "policies"
    shutil.copytree(BUNDLED, root)
    return root, sorted((root / FAMILY).glob("*.yaml"))[-1]


def all_record_commands_reject(path: Path, expected: str) -> None:
    """Every command that reads records rejects `path` cleanly, naming it and saying `expected`."""
    for name, argv in RECORD_COMMANDS.items():
        run = sla(*argv([str(path)]))
        assert_clean(run, f"{name} {path.name}", codes=(2,), files=(str(path),))
        assert expected in run.err, (name, run.err)


def all_policy_commands_reject(root: Path, revision: Path, expected: str) -> None:
    """Every command that reads policies says the policy is bad (1 for the checkers, 2 for the others)."""
    others = sorted(p for p in revision.parent.glob("*.yaml") if p != revision)
    records = write(root.parent / "cases.jsonl", (ROOT / "examples" / "records" / "cases.jsonl").read_bytes())
    for name, argv in POLICY_COMMANDS.items():
        run = sla(*argv(root, revision, others[-1], records))
        assert_clean(run, f"{name} on {revision.name}", codes=(1, 2), files=(str(revision), str(root / FAMILY), str(root)))
        assert expected in run.out + run.err, (name, run.out, run.err)


# ---------------------------------------------------------------- alias bombs ("billion laughs")

def billion_laughs(levels: int = 10) -> str:
    """Nine aliases per level: 9**levels strings if expanded (10 levels: 3.5 billion)."""
    lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_in_a_record_file_is_rejected_at_once_in_bounded_memory(tmp_path):
    path = write(tmp_path / "bomb.yaml", billion_laughs())
    done = run_engine(["evaluate", str(path), "--now", NOW], timeout=30, memory_mb=512)
    assert done.code == 2, done.text
    assert done.text.startswith(f"{path}:2: lol1[0]: YAML aliases (*name) are not allowed"), done.text
    assert done.seconds < 10 and done.out == b""
    all_record_commands_reject(path, "YAML aliases (*name) are not allowed")


def test_an_alias_bomb_in_a_policy_file_is_rejected_at_once_in_bounded_memory(tmp_path):
    root, revision = policy_copy(tmp_path)
    write(revision, revision.read_text(encoding="utf-8") + billion_laughs())
    done = run_engine(["validate", str(revision)], timeout=30, memory_mb=512)
    assert done.code == 1, done.text
    assert "YAML aliases (*name) are not allowed" in done.out.decode("utf-8")
    assert done.seconds < 10
    all_policy_commands_reject(root, revision, "YAML aliases (*name) are not allowed")


def test_a_merge_key_bomb_is_rejected_like_an_alias(tmp_path):
    path = write(tmp_path / "merge.yaml", "base: &b {type: case}\nrecord:\n  <<: *b\n  id: C-1\n")
    all_record_commands_reject(path, "not allowed")


# ---------------------------------------------------------------- deep nesting

DEEP = 100_000


NESTED = {
    "flow.yaml": lambda: "[" * DEEP + "]" * DEEP + "\n",
    "block.yaml": lambda: "- " * DEEP + "x\n",
    "mapping.yaml": lambda: "{a: " * DEEP + "1" + "}" * DEEP + "\n",
    "array.json": lambda: "[" * DEEP + "]" * DEEP + "\n",
    "object.json": lambda: '{"a": ' * DEEP + "1" + "}" * DEEP + "\n",
    "inside-a-record.json": lambda: '[{"type": "case", "id": "C-1", "note": ' + "[" * DEEP + "]" * DEEP + "}]\n",
    "line.jsonl": lambda: '{"type": "case", "id": "C-1", "note": ' + "[" * DEEP + "]" * DEEP + "}\n",
}


@pytest.mark.parametrize("name", sorted(NESTED))
def test_a_document_nested_100k_levels_deep_is_rejected_with_a_clear_error(tmp_path, name):
    path = write(tmp_path / name, NESTED[name]())
    done = run_engine(["evaluate", str(path), "--now", NOW], timeout=30, memory_mb=512)
    assert done.code == 2, done.text
    [line] = problem_lines(done.text)
    assert line.startswith(f"{path}:1: ") and line.endswith("nesting deeper than 64 levels is not allowed"), line
    assert "Traceback" not in done.text and "RecursionError" not in done.text
    all_record_commands_reject(path, "nesting deeper than 64 levels is not allowed")


def test_nesting_up_to_the_limit_is_read(tmp_path):
    """64 levels are allowed (the note is then rejected by the schema, as a string is expected)."""
    record = '{"type": "case", "id": "C-1", "customer": "a", "severity": 2, "channel": "phone", ' \
             '"submitted_at": "2024-06-03T09:00:00Z", "events": [{"type": "automated_reply", "at": "2024-06-03T09:00:00Z", ' \
             '"note": ' + "[" * 61 + "]" * 61 + "}]}\n"
    run = evaluate(str(write(tmp_path / "ok.jsonl", record)))
    assert run.code == 2 and "events[0].note" in run.err and "nesting deeper" not in run.err, run.err


def test_a_deeply_nested_policy_is_rejected_by_file_and_line(tmp_path):
    root, revision = policy_copy(tmp_path)
    text = revision.read_text(encoding="utf-8")
    line = text[: text.index("timezone: UTC")].count("\n") + 1
    write(revision, text.replace("timezone: UTC", "timezone: " + "[" * DEEP + "]" * DEEP, 1))
    done = run_engine(["validate", str(revision)], timeout=30, memory_mb=512)
    assert done.code == 1, done.text
    assert done.out.decode("utf-8").startswith(f"{revision}:{line}: nesting deeper than 64 levels"), done.out
    all_policy_commands_reject(root, revision, "nesting deeper than 64 levels")


def test_a_yaml_file_with_too_many_values_is_rejected_before_it_is_built(tmp_path):
    path = write(tmp_path / "wide.yaml", "[" + ", ".join(["1"] * 250_000) + "]\n")
    done = run_engine(["evaluate", str(path), "--now", NOW], timeout=60, memory_mb=512)
    assert done.code == 2 and "document has more than 200000 values" in done.text, done.text


# ---------------------------------------------------------------- bytes and line ends

RECORDS = [case(id="C-1"), uptime([outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z")], id="U-1"), claim(id="K-1")]


def as_format(suffix: str, records: list[dict[str, Any]]) -> str:
    if suffix == ".jsonl":
        return jsonl(*records)
    if suffix == ".json":
        return json.dumps(records, indent=2) + "\n"
    import yaml

    return yaml.safe_dump(records, sort_keys=False)


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".yaml"])
def test_bytes_that_are_not_utf8_are_rejected_naming_their_line(tmp_path, suffix):
    text = as_format(suffix, RECORDS)
    line = text.count("\n", 0, text.index("acme")) + 1
    path = write(tmp_path / f"bad{suffix}", text.encode("utf-8").replace(b"acme", b"ac\xffme", 1))
    run = evaluate(str(path))
    assert_clean(run, suffix, codes=(2,), files=(str(path),))
    assert problem_lines(run.err)[0].startswith(f"{path}:{line}: not UTF-8 text (byte 0xff"), run.err


def test_a_jsonl_line_that_is_not_utf8_is_one_rejected_record_and_the_rest_are_decided(tmp_path):
    text = jsonl(*RECORDS).encode("utf-8")
    lines = text.split(b"\n")
    lines[1] = lines[1].replace(b"acme", b"\xc3\x28acme")
    path = write(tmp_path / "mixed.jsonl", b"\n".join(lines))
    run = sla("evaluate", str(path), "--now", NOW, "--format", "jsonl", "--keep-going")
    assert run.code == 2
    assert [json.loads(l)["record"] for l in run.out.splitlines()] == ["C-1", "K-1"]
    column = lines[1].index(b"\xc3") + 1
    assert problem_lines(run.err) == [f"{path}:2: not UTF-8 text (byte 0xc3 at column {column})"]


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".yaml"])
@pytest.mark.parametrize("variant", ["bom", "crlf", "bom+crlf"])
def test_a_bom_and_crlf_line_ends_are_read_like_plain_text(tmp_path, suffix, variant):
    text = as_format(suffix, RECORDS)
    if "crlf" in variant:
        text = text.replace("\n", "\r\n")
    if "bom" in variant:
        text = "\ufeff" + text
    plain = evaluate(str(write(tmp_path / f"plain{suffix}", as_format(suffix, RECORDS))))
    run = evaluate(str(write(tmp_path / f"odd{suffix}", text)))
    assert run.code == plain.code in (0, 1), run.err
    assert run.out == plain.out


def test_crlf_keeps_line_numbers_right_in_a_json_array(tmp_path):
    records = [case(id="C-1"), case(id="C-2", severity=9)]
    text = as_format(".json", records).replace("\n", "\r\n")
    line = text.count("\n", 0, text.rindex("{", 0, text.index('"C-2"'))) + 1  # where the element starts
    path = write(tmp_path / "crlf.json", text)
    run = evaluate(str(path))
    assert problem_lines(run.err)[0].startswith(f"{path}:{line}: record C-2: severity"), run.err


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".yaml"])
@pytest.mark.parametrize("body", [b"", b"\n", b"\r\n   \n\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n"])
def test_an_empty_file_gives_no_decisions_and_exit_0(tmp_path, suffix, body):
    run = evaluate(str(write(tmp_path / f"empty{suffix}", body)))
    assert (run.code, run.out) == (0, "[]\n"), run.err


def test_an_explicit_null_yaml_document_is_a_rejected_record_and_an_empty_one_is_nothing(tmp_path):
    """Regression: a YAML `null` document was skipped like an empty one, so a
    record could vanish without a word (JSON `null` was always rejected)."""
    import yaml

    path = write(tmp_path / "docs.yaml", "---\n" + yaml.safe_dump(case(id="C-1")) + "---\n---\nnull\n")
    run = sla("evaluate", str(path), "--now", NOW, "--format", "jsonl", "--keep-going")
    assert [json.loads(l)["record"] for l in run.out.splitlines()] == ["C-1"]
    assert problem_lines(run.err) == [f"{path}:11: a record is a JSON object; got NoneType"], run.err


def test_a_line_separator_in_a_rejected_value_is_shown_escaped(tmp_path):
    """Regression: json.dumps leaves U+2028 and U+0085 raw, which split the
    one-line error for tools that read them as line breaks."""
    path = write(tmp_path / "ls.jsonl", jsonl(case(severity="a\u2028b\u0085c")))
    run = evaluate(str(path))
    [line] = problem_lines(run.err)
    assert "\\u2028" in line and "\\u0085" in line and "\u2028" not in run.err, run.err


def test_a_utf16_file_is_rejected_as_not_utf8(tmp_path):
    path = write(tmp_path / "utf16.jsonl", jsonl(case()).encode("utf-16"))
    run = evaluate(str(path))
    assert_clean(run, "utf-16", codes=(2,), files=(str(path),))
    assert "not UTF-8 text" in run.err


def test_a_line_separator_inside_a_json_string_does_not_split_the_line(tmp_path):
    """Regression: JSON allows U+2028 unescaped in strings; reading JSONL by
    str.splitlines() broke such a line in two."""
    record = case(id="C-1", events=[{"type": "automated_reply", "at": "2024-06-03T09:00:05Z", "note": "a\u2028b\u0085c"}])
    path = write(tmp_path / "ls.jsonl", json.dumps(record, ensure_ascii=False) + "\n" + json.dumps(case(id="C-2", severity=9)) + "\n")
    run = evaluate(str(path))
    assert problem_lines(run.err) == [f"{path}:2: record C-2: severity: unknown severity 9; expected one of 1, 2, 3, 4 "
                                      f"(policy genesys-cloud@2024-04-24)"], run.err


def test_a_lone_surrogate_escape_is_rejected_not_written_out(tmp_path):
    """JSON can spell "\\ud800", which no UTF-8 output can hold: rejected at input."""
    path = write(tmp_path / "s.jsonl", jsonl(case(customer="\ud800")))
    all_record_commands_reject(path, "unpaired UTF-16 surrogate")


def test_a_policy_file_with_a_bom_and_crlf_is_valid(tmp_path):
    root, revision = policy_copy(tmp_path)
    write(revision, b"\xef\xbb\xbf" + revision.read_bytes().replace(b"\n", b"\r\n"))
    assert sla("validate", str(root)).code == 0
    assert sla("evaluate", str(ROOT / "examples" / "records"), "--policies", str(root), "--now", NOW, "--format", "json").code == 1


@pytest.mark.parametrize("content, expected", [
    (b"", "the document is empty"),
    (b"null\n", "the document is empty (or null)"),
    (b"\xff\xfe", "not UTF-8"),
    (b"policy: [unclosed\n", "not valid YAML"),
    (b"a: 1\n---\nb: 2\n", "expected one YAML document, found several"),
    (b"a: \x00\n", "is not allowed in YAML text"),
])
def test_a_broken_policy_file_is_rejected_by_every_command(tmp_path, content, expected):
    root, revision = policy_copy(tmp_path)
    write(revision, content)
    all_policy_commands_reject(root, revision, expected)


# ---------------------------------------------------------------- a policy cannot run code or read files

CODE_TAGS = [
    'title: !!python/object/apply:os.system ["touch {marker}"]',
    "title: !!python/object/new:os.system [touch {marker}]",
    "title: !!python/name:os.system",
    "title: !!python/module:os",
    'title: !!python/object:builtins.open {{file: "{marker}", mode: "w"}}',
    "title: !include {passwd}",
    'title: !!str &x "a"',  # an anchor alone is harmless; the alias below is not
]


@pytest.mark.parametrize("tag", CODE_TAGS)
def test_a_policy_with_a_python_or_include_tag_runs_nothing_and_is_rejected(tmp_path, tag):
    root, revision = policy_copy(tmp_path)
    marker = tmp_path / "pwned"
    text = revision.read_text(encoding="utf-8")
    start = text.index("\ntitle:") + 1
    end = text.index("\nsource:")
    entry = tag.format(marker=marker, passwd="/etc/passwd")
    if "&x" in entry:
        entry += "\ncarried_over: *x"
        text = text.replace("\ncarried_over:", "\nold_carried_over:", 1)
    write(revision, text[:start] + entry + text[end:])
    done = run_engine(["validate", str(revision)], timeout=30, memory_mb=512)
    out = done.out.decode("utf-8")
    assert done.code == 1, (done.text, out)
    assert "not allowed" in out and str(revision) in out, out
    assert not marker.exists(), "a policy file ran code"
    all_policy_commands_reject(root, revision, "not allowed")
    assert not marker.exists()


def test_a_policy_cannot_make_the_engine_read_another_file(tmp_path):
    """`source` names the SLA text beside the policy; it is a label, never
    opened, so pointing it at /etc/passwd shows nothing of that file."""
    root, revision = policy_copy(tmp_path)
    secret = write(tmp_path / "secret.txt", "TOP-SECRET-CONTENT\n")
    text = revision.read_text(encoding="utf-8").replace("source: source/genesys-cloud-sla.zh.txt", f"source: {secret}", 1)
    write(revision, text)
    others = sorted(p for p in revision.parent.glob("*.yaml") if p != revision)
    records = ROOT / "examples" / "records"
    for name, argv in POLICY_COMMANDS.items():
        run = sla(*argv(root, revision, others[-1], records))
        assert "TOP-SECRET" not in run.out + run.err, name
    run = sla("explain", str(records), "--policies", str(root), "--now", NOW)
    assert "TOP-SECRET" not in run.out + run.err


# ---------------------------------------------------------------- streaming: big files, bounded memory

def _free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def write_big_jsonl(path: Path, size: int, note_chars: int) -> int:
    """A JSONL file of about `size` bytes of valid, distinct case records (each
    with a note of `note_chars` characters), written in big blocks. Returns
    the number of records."""
    template = json.dumps({"type": "case", "id": "C-%012d", "customer": "acme", "severity": 2, "channel": "portal",
                           "submitted_at": "2024-06-03T09:00:00Z",
                           "events": [{"type": "automated_reply", "at": "2024-06-03T09:00:05Z", "note": "n" * note_chars},
                                      {"type": "human_response", "at": "2024-06-03T10:30:00Z", "via": "case_note"}]})
    line = (template + "\n").encode("utf-8")
    per_block = max(1, (4 * MIB) // len(line))
    count = 0
    with open(path, "wb") as out:
        while count * len(line) < size:
            out.write(b"".join(line % (count + i) for i in range(per_block)))
            count += per_block
    return count


def check_streamed(tmp_path: Path, source: Path, count: int, fmt: str, memory_mb: int, timeout: float,
                   stdin: bool = False) -> Any:
    out = tmp_path / f"out.{fmt}"
    args = ["evaluate", "-" if stdin else str(source), "-o", str(out), "--format", fmt, "--now", NOW]
    started = time.monotonic()
    done = run_engine(args, timeout=timeout, memory_mb=memory_mb, stdin_file=source if stdin else None)
    assert done.code == 0, done.text[-2000:]
    size = source.stat().st_size
    print(f"\n{size / MIB:.0f} MiB, {count} records: {done.seconds:.1f} s, peak RSS {done.max_rss_mb:.0f} MB "
          f"(limit {memory_mb} MB), {count / done.seconds:.0f} records/s; whole test {time.monotonic() - started:.1f} s")
    with open(out, "rb") as handle:
        if fmt == "jsonl":
            lines = 0
            for line in handle:
                lines += 1
            assert lines == count
            handle.seek(-2000, 2)
            assert json.loads(handle.read().splitlines()[-1])["record"] == f"C-{count - 1:012d}"
        else:
            handle.seek(-2, 2)
            assert handle.read() == b"]\n"
    return done


@pytest.mark.slow
def test_a_2_gib_jsonl_file_is_streamed_in_bounded_memory(tmp_path):
    """2 GiB of records through `sla evaluate -o out.jsonl --format jsonl`
    under a 400 MB address-space limit: read line by line, decided one by one,
    written as they come. (Each record carries a long note, so the file is
    big while the run stays short; the per-record cost is the next test's.)"""
    if _free_bytes(tmp_path) < 3 * GIB:
        pytest.skip(f"needs 3 GiB free in {tmp_path} for a 2 GiB input and its output; has {_free_bytes(tmp_path) / GIB:.1f}")
    source = tmp_path / "big.jsonl"
    count = write_big_jsonl(source, 2 * GIB, note_chars=16_000)
    assert source.stat().st_size >= 2 * GIB
    check_streamed(tmp_path, source, count, "jsonl", memory_mb=400, timeout=900)


@pytest.mark.slow
def test_many_small_records_stream_without_memory_growing_per_record(tmp_path):
    """100 MiB of ordinary small records (about 370,000): duplicate-id tracking
    and everything else per record must not keep memory (RLIMIT 400 MB)."""
    if _free_bytes(tmp_path) < GIB:
        pytest.skip(f"needs 1 GiB free in {tmp_path}; has {_free_bytes(tmp_path) / GIB:.1f}")
    source = tmp_path / "many.jsonl"
    count = write_big_jsonl(source, 100 * MIB, note_chars=0)
    done = check_streamed(tmp_path, source, count, "jsonl", memory_mb=400, timeout=900)
    assert done.max_rss_mb < 200, f"peak RSS {done.max_rss_mb:.0f} MB for {count} records"


@pytest.mark.slow
def test_a_big_json_array_on_stdin_is_streamed_element_by_element_to_a_json_array(tmp_path):
    """A 300 MiB JSON array read from standard input (sniffed, then read in a
    bounded window) and written as a JSON array, under a 400 MB limit."""
    if _free_bytes(tmp_path) < GIB:
        pytest.skip(f"needs 1 GiB free in {tmp_path}; has {_free_bytes(tmp_path) / GIB:.1f}")
    lines_file = tmp_path / "lines.jsonl"
    count = write_big_jsonl(lines_file, 300 * MIB, note_chars=4_000)
    source = tmp_path / "big.json"
    with open(lines_file, "rb") as src, open(source, "wb") as dst:
        dst.write(b"[\n")
        for i, line in enumerate(src):
            dst.write((b",\n" if i else b"") + line.rstrip(b"\n"))
        dst.write(b"\n]\n")
    lines_file.unlink()
    check_streamed(tmp_path, source, count, "json", memory_mb=400, timeout=900, stdin=True)


# ---------------------------------------------------------------- the streaming reader at its edges

@pytest.mark.parametrize("chunk", [1, 2, 7, 64])
def test_a_json_array_read_in_tiny_chunks_gives_the_same_records_and_lines(tmp_path, monkeypatch, chunk):
    records = [case(id="C-1"), case(id="C-2", severity=9), uptime([], id="U-1", month="2024-3")]
    path = write(tmp_path / "a.json", json.dumps(records, indent=3) + "\n")
    whole = sla("evaluate", str(path), "--now", NOW, "--format", "jsonl", "--keep-going")
    monkeypatch.setattr(engine.io.inputs, "CHUNK_CHARS", chunk)
    small = sla("evaluate", str(path), "--now", NOW, "--format", "jsonl", "--keep-going")
    assert (small.code, small.out, small.err) == (whole.code, whole.out, whole.err)
    assert f"{path}:" in whole.err and len(whole.out.splitlines()) == 1


def test_a_jsonl_line_longer_than_the_record_limit_is_one_rejected_record(tmp_path, monkeypatch):
    monkeypatch.setattr(engine.io.inputs, "MAX_RECORD_CHARS", 1000)
    long = case(id="C-2", events=[{"type": "automated_reply", "at": "2024-06-03T09:00:05Z", "note": "x" * 5000}])
    path = write(tmp_path / "long.jsonl", jsonl(case(id="C-1"), long, case(id="C-3")))
    run = sla("evaluate", str(path), "--now", NOW, "--format", "jsonl", "--keep-going")
    assert [json.loads(l)["record"] for l in run.out.splitlines()] == ["C-1", "C-3"]
    assert problem_lines(run.err) == [f"{path}:2: line longer than 1000 characters; a record must be smaller"]


def test_a_json_element_larger_than_the_record_limit_is_one_rejected_record(tmp_path, monkeypatch):
    monkeypatch.setattr(engine.io.inputs, "MAX_RECORD_CHARS", 1000)
    monkeypatch.setattr(engine.io.inputs, "CHUNK_CHARS", 100)
    path = write(tmp_path / "a.json", "[" + json.dumps(case(id="C-1")) + ',\n{"note": "' + "x" * 5000 + '"},\n'
                 + json.dumps(case(id="C-3")) + "]")
    run = sla("evaluate", str(path), "--now", NOW, "--format", "jsonl", "--keep-going")
    assert [json.loads(l)["record"] for l in run.out.splitlines()] == ["C-1", "C-3"]
    assert problem_lines(run.err) == [f"{path}:2: record longer than 1000 characters; a record must be smaller"]


def test_an_unparsable_json_element_stops_reading_once_past_the_record_limit(tmp_path, monkeypatch):
    """An element that never parses is not buffered without end: past the
    record limit the rest of the file is one rejected input."""
    monkeypatch.setattr(engine.io.inputs, "MAX_RECORD_CHARS", 1000)
    monkeypatch.setattr(engine.io.inputs, "CHUNK_CHARS", 100)
    path = write(tmp_path / "a.json", "[" + json.dumps(case(id="C-1")) + ', {"note": "' + "x" * 5000)
    run = sla("evaluate", str(path), "--now", NOW, "--format", "jsonl", "--keep-going")
    assert [json.loads(l)["record"] for l in run.out.splitlines()] == ["C-1"]
    assert "not valid JSON, or a record larger than 1000 characters" in run.err


@pytest.mark.parametrize("text, message", [
    ('[{"type": "case"},]', "expected a record"),
    ('[{"type": "case"}', "the array is not closed"),
    ('[{"type": "case"} {"type": "case"}]', "expected ',' or ']' between records"),
    ('[{"type": "case"}] []', "text follows the array"),
    ('{"type": "case"} x', "text follows the record"),
])
def test_a_json_array_with_a_broken_structure_names_the_problem(tmp_path, text, message):
    path = write(tmp_path / "a.json", text)
    run = evaluate(str(path))
    assert_clean(run, text, codes=(2,), files=(str(path),))
    assert message in run.err, run.err


def test_stdin_jsonl_whose_first_line_is_one_object_is_read_as_jsonl():
    run = evaluate("-", stdin=jsonl(case(id="C-1"), case(id="C-2")))
    assert [d["record"] for d in run.json()] == ["C-1", "C-2"]


def test_stdin_with_a_pretty_printed_object_is_one_record():
    run = evaluate("-", stdin=json.dumps(case(id="C-1"), indent=4) + "\n\n")
    assert [d["record"] for d in run.json()] == ["C-1"]


def test_duplicate_ids_are_found_across_many_records_and_files(tmp_path):
    """Ids live in an on-disk table (engine/io/seenids.py); duplicates are still exact."""
    a = write(tmp_path / "a.jsonl", jsonl(*[case(id=f"C-{i}") for i in range(3000)]))
    b = write(tmp_path / "b.jsonl", jsonl(case(id="C-2999x"), case(id="C-1234"), case(id="\ud83d\ude00")))
    run = sla("evaluate", str(a), str(b), "--now", NOW, "--format", "jsonl", "--keep-going")
    assert len(run.out.splitlines()) == 3002
    assert problem_lines(run.err) == [f"{b}:2: record C-1234: id: duplicate record id (first at {a}:1235)"]
