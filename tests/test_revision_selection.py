"""Which revision governs a decision: the latest whose effective date (midnight
UTC) is on or before the record's anchor; --as-of for everything; a clear error
before the earliest revision; every decision names policy, version and sha256.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from conftest import ROOT, case, claim, decide, outage, run_cli, uptime
from engine.errors import RecordError

POLICY_DIR = ROOT / "policies" / "genesys-cloud"


def file_sha256(revision: str) -> str:
    return hashlib.sha256((POLICY_DIR / f"{revision}.yaml").read_bytes()).hexdigest()


def write_records(tmp_path, records: list[dict], name: str = "records.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records))
    return str(path)


# --- cases: anchored on submitted_at ---------------------------------------


@pytest.mark.parametrize("submitted_at, version", [
    ("2021-01-19T00:00:00Z", "2021-01-19"),
    ("2024-04-23T23:59:59Z", "2021-01-19"),
    ("2024-04-23T23:59:59.999999Z", "2021-01-19"),
    ("2024-04-24T00:00:00Z", "2024-04-24"),
    ("2024-09-30T23:59:59.999Z", "2024-04-24"),
    ("2024-10-01T00:00:00Z", "2024-10-01"),
    ("2026-01-01T00:00:00Z", "2024-10-01"),
])
def test_case_uses_latest_revision_effective_on_or_before_submitted_at(genesys, submitted_at, version):
    d = decide(case(submitted_at=submitted_at), genesys)
    assert d.to_json()["version"] == version


def test_case_at_0600_plus_0800_on_april_24_is_still_april_23_utc_and_uses_2021_01_19(genesys):
    assert decide(case(submitted_at="2024-04-24T06:00:00+08:00"), genesys).to_json()["version"] == "2021-01-19"


def test_case_at_0800_plus_0800_on_april_24_is_midnight_utc_and_uses_2024_04_24(genesys):
    assert decide(case(submitted_at="2024-04-24T08:00:00+08:00"), genesys).to_json()["version"] == "2024-04-24"


def test_case_at_2000_minus_0400_on_april_23_is_april_24_utc_and_uses_2024_04_24(genesys):
    assert decide(case(submitted_at="2024-04-23T20:00:00-04:00"), genesys).to_json()["version"] == "2024-04-24"


# --- uptime: anchored on the month's first instant -------------------------


@pytest.mark.parametrize("month, version", [
    ("2021-02", "2021-01-19"),
    ("2024-04", "2021-01-19"),   # starts April 1, before 2024-04-24, even for outages after it
    ("2024-05", "2024-04-24"),
    ("2024-09", "2024-04-24"),
    ("2024-10", "2024-10-01"),
    ("2025-03", "2024-10-01"),
])
def test_uptime_month_uses_revision_in_force_at_its_first_instant(genesys, month, version):
    d = decide(uptime([outage(f"{month}-28T10:00:00Z", f"{month}-28T11:00:00Z")], month=month), genesys)
    assert d.to_json()["version"] == version


def test_uptime_month_that_began_before_the_earliest_revision_is_an_error(genesys):
    # January 2021 begins 2021-01-01, before 2021-01-19
    with pytest.raises(RecordError) as exc:
        decide(uptime([], month="2021-01"), genesys)
    assert "2021-01-19" in str(exc.value)


# --- claims: uptime by month, procedure by submitted_at ---------------------


def test_claim_selects_uptime_revision_by_month_and_procedure_by_submitted_at(genesys):
    d = decide(claim(month="2024-04", submitted_at="2024-10-01T00:00:00Z", support_case="CASE-9",
                     outages=[outage("2024-04-28T10:00:00Z", "2024-04-28T11:00:00Z")]), genesys)
    assert d.to_json()["version"] == "2024-10-01"
    assert d.result["uptime_version"] == "2021-01-19"


# --- --as-of governs everything ---------------------------------------------


@pytest.mark.parametrize("as_of, version", [
    (date(2021, 1, 19), "2021-01-19"),
    (date(2024, 4, 23), "2021-01-19"),
    (date(2024, 4, 24), "2024-04-24"),
    (date(2024, 9, 30), "2024-04-24"),
    (date(2024, 10, 1), "2024-10-01"),
])
def test_as_of_uses_the_revision_in_force_on_that_date_for_a_case(genesys, as_of, version):
    # the case itself is from 2024-06 (2024-04-24 by its anchor)
    d = decide(case(submitted_at="2024-06-03T09:00:00Z"), genesys, as_of=as_of)
    assert d.to_json()["version"] == version


def test_as_of_uses_the_revision_in_force_on_that_date_for_an_uptime_month(genesys):
    d = decide(uptime([], month="2024-03"), genesys, as_of=date(2024, 10, 1))
    assert d.to_json()["version"] == "2024-10-01"


def test_as_of_governs_both_the_claims_uptime_and_its_procedure(genesys):
    # without --as-of this claim (filed 04-25, no support case) is missing_support_case under 2024-04-24
    record = claim(submitted_at="2024-04-25T09:00:00Z", support_case=None)
    assert decide(record, genesys).result["reasons"] == ["missing_support_case"]
    before = decide(record, genesys, as_of=date(2024, 4, 23))
    assert before.to_json()["version"] == "2021-01-19"
    assert before.result["uptime_version"] == "2021-01-19"
    assert before.result["eligible"] is True
    later = decide(record, genesys, as_of=date(2024, 10, 1))
    assert later.to_json()["version"] == "2024-10-01"
    assert later.result["uptime_version"] == "2024-10-01"
    assert later.to_json()["uptime_sha256"] == file_sha256("2024-10-01")
    assert later.result["reasons"] == ["missing_support_case"]


def test_as_of_on_the_cli_uses_the_revision_in_force_on_that_date(tmp_path):
    path = write_records(tmp_path, [case(id="C-1", submitted_at="2024-06-03T09:00:00Z"),
                                    claim(id="K-1", submitted_at="2024-04-25T09:00:00Z", support_case=None)])
    plain = run_cli("evaluate", path, "--format", "json", "--now", "2030-01-01T00:00:00Z")
    as_of = run_cli("evaluate", path, "--format", "json", "--now", "2030-01-01T00:00:00Z", "--as-of", "2024-04-23")
    assert [d["version"] for d in plain.json()] == ["2024-04-24", "2024-04-24"]
    assert [d["version"] for d in as_of.json()] == ["2021-01-19", "2021-01-19"]
    assert as_of.json()[1]["result"]["eligible"] is True
    assert plain.json()[1]["result"]["eligible"] is False


# --- before the earliest revision --------------------------------------------


def test_case_from_2020_is_a_record_error_naming_the_earliest_revision(genesys):
    with pytest.raises(RecordError) as exc:
        decide(case(submitted_at="2020-06-03T09:00:00Z"), genesys)
    message = str(exc.value)
    assert "before the earliest revision" in message
    assert "2021-01-19" in message
    assert "submitted_at" in message


def test_case_one_second_before_2021_01_19_is_an_error_and_at_midnight_is_not(genesys):
    with pytest.raises(RecordError, match="2021-01-19"):
        decide(case(submitted_at="2021-01-18T23:59:59Z"), genesys)
    assert decide(case(submitted_at="2021-01-19T00:00:00Z"), genesys).to_json()["version"] == "2021-01-19"


def test_case_on_jan_19_in_asia_before_utc_midnight_is_an_error(genesys):
    with pytest.raises(RecordError, match="2021-01-19"):
        decide(case(submitted_at="2021-01-19T07:59:59+08:00"), genesys)


def test_as_of_before_the_earliest_revision_is_a_record_error(genesys):
    with pytest.raises(RecordError, match="2021-01-19"):
        decide(case(), genesys, as_of=date(2021, 1, 18))


def test_cli_exits_2_naming_the_earliest_revision_for_a_case_from_2020(tmp_path):
    path = write_records(tmp_path, [case(id="C-OLD", submitted_at="2020-06-03T09:00:00Z")])
    run = run_cli("evaluate", path, "--format", "json", "--now", "2030-01-01T00:00:00Z")
    assert run.code == 2
    assert run.out == ""
    assert "C-OLD" in run.err
    assert "before the earliest revision of genesys-cloud (2021-01-19" in run.err
    assert "Traceback" not in run.err


def test_cli_as_of_before_the_earliest_revision_exits_2(tmp_path):
    path = write_records(tmp_path, [case(id="C-1")])
    run = run_cli("evaluate", path, "--format", "json", "--now", "2030-01-01T00:00:00Z", "--as-of", "2020-12-31")
    assert run.code == 2
    assert run.out == ""
    assert "2021-01-19" in run.err


# --- provenance: policy, version and sha256 of the file ---------------------


@pytest.mark.parametrize("submitted_at, version", [
    ("2024-01-10T00:00:00Z", "2021-01-19"),
    ("2024-06-10T00:00:00Z", "2024-04-24"),
    ("2024-12-10T00:00:00Z", "2024-10-01"),
])
def test_each_decision_names_policy_version_and_sha256_of_the_file(genesys, submitted_at, version):
    out = decide(case(submitted_at=submitted_at), genesys).to_json()
    assert out["policy"] == "genesys-cloud"
    assert out["version"] == version
    assert out["sha256"] == file_sha256(version)


def test_the_three_revision_files_have_distinct_hashes():
    assert len({file_sha256(r) for r in ("2021-01-19", "2024-04-24", "2024-10-01")}) == 3


def test_cli_decisions_carry_the_sha256_of_the_governing_files(tmp_path):
    path = write_records(tmp_path, [
        case(id="C-1", submitted_at="2024-03-01T00:00:00Z"),
        uptime([], month="2024-05", id="U-1"),
        claim(id="K-1", month="2024-09", submitted_at="2024-10-02T00:00:00Z",
              outages=[outage("2024-09-12T02:00:00Z", "2024-09-12T02:40:00Z")]),
    ])
    run = run_cli("evaluate", path, "--format", "json", "--now", "2030-01-01T00:00:00Z")
    assert run.code == 1, run.err  # the claim's month breaches a tier
    c, u, k = run.json()
    assert (c["policy"], c["version"], c["sha256"]) == ("genesys-cloud", "2021-01-19", file_sha256("2021-01-19"))
    assert (u["policy"], u["version"], u["sha256"]) == ("genesys-cloud", "2024-04-24", file_sha256("2024-04-24"))
    assert (k["version"], k["sha256"]) == ("2024-10-01", file_sha256("2024-10-01"))
    assert (k["result"]["uptime_version"], k["uptime_sha256"]) == ("2024-04-24", file_sha256("2024-04-24"))


def test_versions_command_lists_the_same_sha256_as_the_files():
    rows = run_cli("versions", "--format", "json").json()
    assert {r["revision"]: r["sha256"] for r in rows} == {
        r: file_sha256(r) for r in ("2021-01-19", "2024-04-24", "2024-10-01")}
    assert {r["revision"]: r["effective"] for r in rows} == {
        "2021-01-19": "2021-01-19", "2024-04-24": "2024-04-24", "2024-10-01": "2024-10-01"}
