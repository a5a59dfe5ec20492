"""`sla serve` over real HTTP: a server process on 127.0.0.1 (a free port), every endpoint,
every error status, reload under concurrent requests, the admin token, the decision
log, graceful SIGTERM, and decisions equal to `sla evaluate`'s."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from engine.io.inputs import expand, read_records
from engine.io.yamlload import load_yaml
from serve_helpers import ROOT, Server

NOW = "2026-01-01T00:00:00Z"
FAMILY = "genesys-cloud"
JSON = {"Content-Type": "application/json"}


def _sla(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, cwd=ROOT, check=check)


def _records(*paths: str) -> list[dict]:
    return [r.data for name in expand(list(paths)) for r in read_records(name)]


def _case(**fields):
    base = {"type": "case", "id": "C-1", "customer": "acme", "severity": 2, "channel": "portal",
            "submitted_at": "2024-05-01T08:00:00Z",
            "events": [{"type": "human_response", "via": "case_note", "at": "2024-05-01T11:00:00Z"}]}
    return {**base, **fields}


def _bundle(name: str = "01-simple-timely-claim.yaml") -> dict:
    return load_yaml((ROOT / "examples" / "disputes" / name).read_text(encoding="utf-8"), name).data


@pytest.fixture(scope="module")
def server():
    with Server() as running:
        yield running


# --------------------------------------------------------------------------- evaluate

def test_decisions_over_http_equal_sla_evaluate_on_examples_records(server):
    cli = json.loads(_sla("evaluate", "examples/records", "--now", NOW, "--format", "json", "--fail-on", "none").stdout)
    answer = server.post_json(f"/v1/evaluate?now={NOW}", _records("examples/records"))
    assert answer.status == 200, answer.text
    assert answer.json() == cli
    assert len(cli) == 15 and {d["type"] for d in cli} == {"case", "uptime", "credit_claim"}


def test_one_record_in_gives_one_decision_out_naming_policy_revision_and_sha256(server):
    answer = server.post_json(f"/v1/evaluate?now={NOW}", _case())
    decision = answer.json()
    assert answer.status == 200 and answer.headers["content-type"].startswith("application/json")
    assert decision["record"] == "C-1" and decision["result"]["response_met"] is False
    assert decision["policy"] == FAMILY and decision["version"] == "2024-04-24" and len(decision["sha256"]) == 64


def test_as_of_and_lang_are_query_options_as_on_the_command_line(server):
    cli = json.loads(_sla("evaluate", "examples/records/cases.jsonl", "--now", NOW, "--as-of", "2024-10-01", "--lang", "zh",
                          "--format", "json", "--fail-on", "none").stdout)
    answer = server.post_json(f"/v1/evaluate?now={NOW}&as_of=2024-10-01&lang=zh", _records("examples/records/cases.jsonl"))
    assert answer.json() == cli
    assert {d["version"] for d in cli} == {"2024-10-01"}


def test_explain_true_adds_the_trace_as_data_and_the_same_text_as_sla_explain(server):
    cli = _sla("explain", "examples/records/cases.jsonl", "--now", NOW).stdout
    answer = server.post_json(f"/v1/evaluate?now={NOW}&explain=true", _records("examples/records/cases.jsonl"))
    decisions = answer.json()
    assert "\n".join(d["explain"]["text"] for d in decisions) == cli
    first = decisions[0]["explain"]
    assert first["revisions"][0]["revision"] == decisions[0]["version"]
    assert first["facts"]["response_target_minutes"] == decisions[0]["result"]["response_target_minutes"]
    assert all("held" in step for rule in first["rules"] for step in rule["steps"])


def test_a_bad_record_is_400_with_the_problems_the_cli_prints(server, tmp_path):
    bad = [_case(id="C-1"), _case(id="C-2", submitted_at="2024-05-01T08:00:00", severity=9)]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    cli = _sla("evaluate", str(path), "--now", NOW, check=False)
    answer = server.post_json(f"/v1/evaluate?now={NOW}", bad)
    assert cli.returncode == 2 and answer.status == 400
    body = answer.json()
    assert body["error"] == "bad input" and body["request_id"] == answer.headers["x-request-id"]
    cli_lines = [line for line in cli.stderr.splitlines() if line.startswith(str(path))]
    assert len(body["problems"]) == len(cli_lines) >= 1
    for problem, line in zip(body["problems"], cli_lines):
        assert problem["record"] == "C-2"
        assert line.endswith(f"record C-2: {'.'.join(map(str, problem['path']))}: {problem['message']}")


def test_a_duplicate_id_in_one_batch_is_rejected_as_by_sla_evaluate(server):
    answer = server.post_json(f"/v1/evaluate?now={NOW}", [_case(), _case()])
    assert answer.status == 400
    assert "duplicate record id" in answer.json()["problems"][0]["message"]


@pytest.mark.parametrize("body, message", [
    ('{"type": "case",', "not valid JSON"),
    ('{"id": "a", "id": "b"}', "duplicate key"),
    ('[NaN]', "NaN"),
    ('"a string"', "one record (a JSON object) or an array"),
    ('', "empty"),
])
def test_a_body_that_is_not_a_record_document_is_400_naming_why(server, body, message):
    answer = server.request("POST", "/v1/evaluate", body, JSON)
    assert answer.status == 400
    assert message in answer.json()["problems"][0]["message"]


@pytest.mark.parametrize("query, message", [
    ("asof=2024-10-01", "unknown query parameter 'asof'"),
    ("now=2026-01-01T00:00:00", "now:"),
    ("as_of=yesterday", "as_of:"),
    ("lang=fr", "lang must be one of en, zh"),
    ("explain=maybe", "explain must be true or false"),
    ("policy=nope", "no policy family 'nope'"),
])
def test_a_bad_query_option_is_400_never_ignored(server, query, message):
    answer = server.post_json(f"/v1/evaluate?{query}", _case())
    assert answer.status == 400, answer.text
    assert message in answer.json()["problems"][0]["message"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=latin-1"])
def test_a_body_that_is_not_application_json_is_415(server, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    answer = server.request("POST", "/v1/evaluate", json.dumps(_case()), headers)
    assert answer.status == 415
    assert "application/json" in answer.json()["problems"][0]["message"]


def test_json_with_a_charset_parameter_is_accepted(server):
    answer = server.request("POST", f"/v1/evaluate?now={NOW}", json.dumps(_case()),
                            {"Content-Type": "application/json; charset=utf-8"})
    assert answer.status == 200


def test_not_utf8_is_400_naming_the_byte(server):
    answer = server.request("POST", "/v1/evaluate", b'{"id": "\xff"}', JSON)
    assert answer.status == 400 and "not UTF-8 (byte 8)" in answer.json()["problems"][0]["message"]


def test_a_body_or_batch_over_the_limits_is_413():
    with Server(("--max-body-bytes", "2000", "--max-records", "3")) as small:
        big = small.post_json("/v1/evaluate", [_case(id=f"C-{i}", note="x" * 100) for i in range(20)])
        assert big.status == 413 and "limit is 2000 bytes" in big.json()["problems"][0]["message"]
        chunked = small.request("POST", "/v1/evaluate", iter([b"[", b" " * 3000, b"]"]), JSON)  # no Content-Length
        assert chunked.status == 413
        many = small.post_json("/v1/evaluate", [{"id": str(i)} for i in range(4)])
        assert many.status == 413 and "4 records; the limit is 3" in many.json()["problems"][0]["message"]
        assert small.post_json(f"/v1/evaluate?now={NOW}", [_case(id=f"C-{i}") for i in range(3)]).status == 200


# --------------------------------------------------------------------------- replay, verify

def test_replay_equals_sla_replay_and_its_receipt_verifies(server):
    name = "04-outage-crossing-month-end.yaml"
    cli = json.loads(_sla("replay", f"examples/disputes/{name}", "--format", "json").stdout)
    answer = server.post_json("/v1/replay?receipt=true", _bundle(name))
    assert answer.status == 200, answer.text
    verdict = answer.json()
    receipt = verdict.pop("receipt")
    assert _without_files(verdict) == _without_files(cli)
    verified = server.post_json("/v1/verify", receipt)
    assert verified.status == 200 and verified.json()["verified"] is True


def _without_files(value):
    if isinstance(value, dict):
        return {k: _without_files(v) for k, v in value.items() if k not in ("file", "source")}
    if isinstance(value, list):
        return [_without_files(v) for v in value]
    return value


def test_a_tampered_receipt_answers_what_differs(server):
    receipt = server.post_json("/v1/replay?receipt=true", _bundle()).json()["receipt"]
    receipt["decision"]["verdict"] = "edited"
    answer = server.post_json("/v1/verify", receipt)
    assert answer.status == 200
    body = answer.json()
    assert body["verified"] is False and body["tampered"] is True
    assert any(d["kind"] == "receipt_tampered" for d in body["differences"])


def test_a_bad_bundle_and_a_non_receipt_are_400_with_problems(server):
    bundle = _bundle()
    del bundle["customer"]
    answer = server.post_json("/v1/replay", bundle)
    assert answer.status == 400 and any("customer" in p["message"] for p in answer.json()["problems"])
    assert server.post_json("/v1/verify", {"hello": "world"}).status == 400


# --------------------------------------------------------------------------- policies

def test_policies_list_equals_sla_versions(server):
    cli = json.loads(_sla("versions", "--format", "json").stdout)
    assert server.get("/v1/policies").json() == cli


def test_a_revision_is_served_as_its_yaml_with_the_sha256_of_those_bytes(server):
    answer = server.get(f"/v1/policies/{FAMILY}/2024-10-01").json()
    path = ROOT / "policies" / FAMILY / "2024-10-01.yaml"
    assert answer["yaml"] == path.read_text(encoding="utf-8")
    assert answer["sha256"] == hashlib.sha256(answer["yaml"].encode("utf-8")).hexdigest()


def test_diff_equals_sla_diff_json(server):
    cli = json.loads(_sla("diff", FAMILY, "2021-01-19", "2024-10-01", "--format", "json").stdout)
    answer = server.get(f"/v1/policies/{FAMILY}/diff?from=2021-01-19&to=2024-10-01")
    assert answer.status == 200 and answer.json() == cli


@pytest.mark.parametrize("path, status, message", [
    ("/v1/policies/nope/2024-10-01", 404, "no policy family 'nope'"),
    (f"/v1/policies/{FAMILY}/1999-01-01", 404, "no revision '1999-01-01'"),
    (f"/v1/policies/{FAMILY}/diff?from=2021-01-19", 400, "give to=REVISION"),
    (f"/v1/policies/{FAMILY}/diff?from=2021-01-19&to=2030-01-01", 400, "no revision '2030-01-01'"),
    ("/v2/evaluate", 404, "no endpoint /v2/evaluate"),
])
def test_unknown_policies_and_paths_are_answered_as_problems(server, path, status, message):
    answer = server.get(path)
    assert answer.status == status
    assert message in answer.json()["problems"][0]["message"]


def test_a_wrong_method_is_405_and_cors_is_off(server):
    answer = server.get("/v1/evaluate", headers={"Origin": "https://example.org"})
    assert answer.status == 405 and answer.json()["status"] == 405
    preflight = server.request("OPTIONS", "/v1/evaluate", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert preflight.status == 405
    ok = server.post_json(f"/v1/evaluate?now={NOW}", _case(), headers={"Origin": "https://example.org"})
    assert not any(h.startswith("access-control-") for h in list(answer.headers) + list(preflight.headers) + list(ok.headers))


# --------------------------------------------------------------------------- health, metrics, docs

def test_health_ready_and_request_ids(server):
    assert server.get("/health").json() == {"status": "ok"}
    ready = server.get("/ready").json()
    assert ready["status"] == "ready" and ready["revisions"] == 3
    assert server.get("/health", headers={"X-Request-Id": "abc-123"}).headers["x-request-id"] == "abc-123"
    assert len(server.get("/health", headers={"X-Request-Id": "bad id\twith tab"}).headers["x-request-id"]) == 32


def test_metrics_count_requests_latency_decisions_by_outcome_and_the_loaded_revisions():
    with Server() as fresh:
        fresh.post_json(f"/v1/evaluate?now={NOW}", _records("examples/records/cases.jsonl"))
        fresh.post_json("/v1/evaluate", {"id": "x"})
        text = fresh.get("/metrics")
        assert text.headers["content-type"].startswith("text/plain; version=0.0.4")
        lines = text.text.splitlines()
    assert 'sla_http_requests_total{method="POST",route="/v1/evaluate",status="200"} 1' in lines
    assert 'sla_http_requests_total{method="POST",route="/v1/evaluate",status="400"} 1' in lines
    assert any(re.fullmatch(r'sla_http_request_duration_seconds_count\{route="/v1/evaluate"\} 2', line) for line in lines)
    assert 'sla_http_request_duration_seconds_bucket{route="/v1/evaluate",le="+Inf"} 2' in lines
    outcomes = {m.group(1): int(m.group(2)) for m in (re.fullmatch(r'sla_decisions_total\{outcome="(\w+)"\} (\d+)', line)
                                                       for line in lines) if m}
    cli = _sla("evaluate", "examples/records/cases.jsonl", "--now", NOW, "--format", "json", "--fail-on", "none")
    assert sum(outcomes.values()) == len(json.loads(cli.stdout)) and outcomes["breached"] >= 1
    assert "sla_records_rejected_total 1" in lines
    loaded = [line for line in lines if line.startswith("sla_policy_revision_loaded{")]
    assert len(loaded) == 3 and all(line.endswith(" 1") for line in loaded)


def test_openapi_is_generated_from_schemas_and_lists_every_route(server):
    from engine.serve.app import Settings, build_app

    spec = server.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    for name, file in (("Decision", "decision.schema.json"), ("Case", "records/case.schema.json"),
                       ("DisputeBundle", "dispute.schema.json"), ("Receipt", "receipt.schema.json")):
        assert spec["components"]["schemas"][name] == json.loads((ROOT / "schemas" / file).read_text(encoding="utf-8"))
    app = build_app(Settings())
    routes = {(m.lower(), r.path) for r in app.routes for m in r.methods if m != "HEAD"}
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert routes == documented
    docs = server.get("/docs")
    assert docs.status == 200 and docs.headers["content-type"].startswith("text/html")
    for method, path in routes:
        assert f"{method.upper()} {path}" in docs.text
    assert "Support case" in docs.text and "submitted_at" in docs.text


# --------------------------------------------------------------------------- admin, reload

def _policy_copy(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies" / FAMILY, root / FAMILY, ignore=shutil.ignore_patterns("tests"))
    return root


def _touch(root: Path, revision: str, note: str) -> None:
    """A change that keeps the file valid and changes its sha256."""
    path = root / FAMILY / f"{revision}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"\n# {note}\n", encoding="utf-8")


def test_admin_reload_needs_the_bearer_token_when_one_is_set(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token-of-some-length\n", encoding="utf-8")
    with Server(("--token-file", str(token_file))) as guarded:
        missing = guarded.request("POST", "/v1/admin/reload")
        assert missing.status == 401 and missing.headers["www-authenticate"].startswith("Bearer")
        wrong = guarded.request("POST", "/v1/admin/reload", headers={"Authorization": "Bearer nope"})
        assert wrong.status == 401
        right = guarded.request("POST", "/v1/admin/reload", headers={"Authorization": "Bearer s3cret-token-of-some-length"})
        assert right.status == 200 and right.json()["changed"] is False
        assert guarded.post_json(f"/v1/evaluate?now={NOW}", _case()).status == 200  # decisions need no token


def test_a_too_short_token_file_or_invalid_policies_stop_the_server_from_starting(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("short\n", encoding="utf-8")
    run = _sla("serve", "--port", "0", "--token-file", str(token_file), check=False)
    assert run.returncode == 2 and "at least 16 characters" in run.stderr
    root = _policy_copy(tmp_path)
    (root / FAMILY / "2024-10-01.yaml").write_text("policy: [\n", encoding="utf-8")
    run = _sla("serve", "--port", "0", "--policies", str(root), check=False)
    assert run.returncode == 2 and "2024-10-01.yaml" in run.stderr and "Traceback" not in run.stderr


def _pair(root: Path) -> tuple[str, str]:
    """The sha256 of the 2021-01-19 and 2024-10-01 files in the folder now."""
    return tuple(hashlib.sha256((root / FAMILY / f"{r}.yaml").read_bytes()).hexdigest()
                 for r in ("2021-01-19", "2024-10-01"))  # type: ignore[return-value]


def test_reload_under_concurrent_requests_swaps_the_whole_set_or_refuses_an_invalid_one(tmp_path):
    root = _policy_copy(tmp_path)
    # One batch decided under two revisions: a mix of an old and a new set would show as
    # a pair of hashes that no loaded set ever had.
    batch = [_case(id="OLD", submitted_at="2022-05-01T08:00:00Z", events=[]),
             _case(id="NEW", submitted_at="2025-05-01T08:00:00Z", events=[])]
    loaded = [_pair(root)]
    with Server(("--policies", str(root))) as srv:
        seen: Counter[tuple[str, str]] = Counter()
        failures: list[str] = []
        stop = threading.Event()

        def client() -> None:
            while not stop.is_set():
                answer = srv.post_json(f"/v1/evaluate?now={NOW}", batch)
                if answer.status != 200:
                    failures.append(answer.text)
                    continue
                old, new = answer.json()
                seen[(old["sha256"], new["sha256"])] += 1

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            for step in range(3):
                _touch(root, "2021-01-19", f"step {step}")
                _touch(root, "2024-10-01", f"step {step}")
                answer = srv.request("POST", "/v1/admin/reload")
                assert answer.status == 200 and answer.json()["changed"] is True
                loaded.append(_pair(root))
                time.sleep(0.3)
            good = srv.get("/v1/policies").json()
            valid = (root / FAMILY / "2024-10-01.yaml").read_bytes()
            (root / FAMILY / "2024-10-01.yaml").write_text("policy: [\n", encoding="utf-8")
            refused = srv.request("POST", "/v1/admin/reload")
            assert refused.status == 400 and "2024-10-01.yaml" in refused.json()["problems"][0]["text"]
            srv.signal(signal.SIGHUP)  # refused too; the old set keeps serving
            _wait_for(lambda: 'sla_policy_reloads_total{result="refused"} 2' in srv.get("/metrics").text)
            assert srv.get("/v1/policies").json() == good
            (root / FAMILY / "2024-10-01.yaml").write_bytes(valid + b"# fixed\n")
            loaded.append(_pair(root))
            srv.signal(signal.SIGHUP)
            _wait_for(lambda: srv.get("/v1/policies").json() != good)
            time.sleep(0.3)
        finally:
            stop.set()
            for t in threads:
                t.join()
        final = {r["revision"]: r["sha256"] for r in srv.get("/v1/policies").json()}
        metrics = srv.get("/metrics").text
    assert failures == []
    assert (final["2021-01-19"], final["2024-10-01"]) == loaded[-1]  # the SIGHUP reload took effect
    assert set(seen) <= set(loaded), f"an answer mixed two sets: {set(seen) - set(loaded)}"
    assert len(set(seen)) == len(loaded) == 5 and sum(seen.values()) > 20
    assert 'sla_policy_reloads_total{result="refused"} 2' in metrics
    assert 'sla_policy_reloads_total{result="ok"} 4' in metrics


def _wait_for(condition, seconds: float = 30.0) -> None:
    """Poll until `condition()` (a reload runs in the background; the machine may be busy)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_sigterm_lets_a_request_in_flight_finish(tmp_path):
    batch = [_case(id=f"C-{i}") for i in range(8000)]
    with Server() as srv:
        result: dict = {}

        def send() -> None:
            result["answer"] = srv.post_json(f"/v1/evaluate?now={NOW}", batch)

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(0.4)  # the request is being decided
        srv.signal(signal.SIGTERM)
        sender.join(60)
        code = srv.process.wait(60)
        assert code == 0, srv.stderr
    answer = result["answer"]
    assert answer.status == 200 and len(answer.json()) == 8000


# --------------------------------------------------------------------------- decision log

def test_decisions_go_to_the_sqlite_log_of_sla_log_with_the_request_id(tmp_path):
    log = tmp_path / "decisions.sqlite"
    with Server(("--log", str(log))) as srv:
        answer = srv.post_json(f"/v1/evaluate?now={NOW}", [_case(id="A"), _case(id="B")], headers={"X-Request-Id": "req-42"})
        assert answer.status == 200
        srv.post_json("/v1/replay", _bundle())
    rows = json.loads(_sla("log", str(log), "--command", "serve", "--format", "json").stdout)
    evaluated = [r for r in rows if r["dispute"] is None]
    assert [(r["record_id"], r["source"]) for r in evaluated] == [("A", "request req-42[0]"), ("B", "request req-42[1]")]
    assert evaluated[0]["decision"] == answer.json()[0]
    assert any(r["dispute"] for r in rows)


def test_decisions_go_to_stdout_as_jsonl_with_the_request_id():
    with Server(("--log", "-")) as srv:
        answer = srv.post_json(f"/v1/evaluate?now={NOW}", _case(id="J"), headers={"X-Request-Id": "req-7"})
        srv.post_json("/v1/evaluate", {"id": "bad"})  # rejected: nothing logged
    lines = [json.loads(line) for line in srv.stdout.splitlines()]
    assert len(lines) == 1
    assert lines[0]["request_id"] == "req-7" and lines[0]["decision"] == answer.json() and lines[0]["outcome"] == "breached"


# --------------------------------------------------------------------------- workers

def test_two_workers_answer_and_a_reload_reaches_both(tmp_path):
    root = _policy_copy(tmp_path)
    with Server(("--policies", str(root), "--workers", "2")) as srv:
        _wait_for(lambda: len(re.findall(r"sla\.serve\[\d+\] INFO ready:", srv.stderr)) == 2)
        before = srv.get("/v1/policies").json()
        _touch(root, "2024-10-01", "two workers")
        assert srv.request("POST", "/v1/admin/reload").json()["changed"] is True
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(_pids_that_loaded(srv.stderr)) < 2:
            time.sleep(0.2)
        answers = [srv.get("/v1/policies").json() for _ in range(20)]
        assert srv.stop() == 0
    # which worker accepts a connection is the kernel's choice, so the log says who reloaded
    assert len(_pids_that_loaded(srv.stderr)) == 2, srv.stderr
    assert all(a != before for a in answers)


def _pids_that_loaded(log: str) -> set[str]:
    """Worker pids that logged loading new policies (over HTTP, or on the SIGHUP the supervisor passed on)."""
    return set(re.findall(r"sla\.serve\[(\d+)\] INFO .*reload.*: new policies loaded", log))


# --------------------------------------------------------------------------- README

def test_the_readme_start_command_and_curl_example_work():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- serve-example -->\s*```sh\n(.*?)```", readme, re.S).group(1)
    start, *curl = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert start.startswith("sla serve")
    with Server(tuple(start.split("#")[0].split()[2:])) as srv:
        script = "\n".join(curl).replace("localhost:8080", f"127.0.0.1:{srv.port}")
        run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    decision = json.loads(run.stdout)
    assert decision["record"] and decision["policy"] == FAMILY and len(decision["sha256"]) == 64


# --------------------------------------------------------------------------- an engine bug

def test_an_engine_bug_is_a_500_with_an_error_id_that_is_in_the_log(monkeypatch, caplog):
    """In process (the bug is planted with monkeypatch); the ASGI app called directly."""
    import asyncio

    from engine.api import Engine
    from engine.serve.app import Settings, build_app

    def broken(self, *args, **kwargs):
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(Engine, "evaluate", broken)
    app = build_app(Settings())
    sent: list[dict] = []

    async def call() -> None:
        body = json.dumps(_case()).encode()
        scope = {"type": "http", "http_version": "1.1", "method": "POST", "path": "/v1/evaluate", "raw_path": b"/v1/evaluate",
                 "query_string": b"", "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
                 "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "root_path": ""}
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        await app(scope, receive, send)

    with caplog.at_level("ERROR", logger="sla.serve"):
        asyncio.run(call())
    start = sent[0]
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert start["status"] == 500
    assert "Traceback" not in json.dumps(body) and "planted" not in json.dumps(body)
    assert body["error_id"] in caplog.text and "ZeroDivisionError: planted" in caplog.text


def test_the_listening_socket_is_tcp_so_answers_are_sent_without_nagle_delay():
    """asyncio sets TCP_NODELAY only on sockets whose proto is TCP; accepted connections
    inherit the listening socket's proto (with 0, each answer waited ~40 ms for an ACK)."""
    import socket

    from engine.serve.server import bind

    listening = bind("127.0.0.1", 0)
    try:
        client = socket.create_connection(listening.getsockname()[:2])
        accepted, _ = listening.accept()
        assert accepted.proto == socket.IPPROTO_TCP
        accepted.close()
        client.close()
    finally:
        listening.close()
