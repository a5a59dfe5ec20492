"""Decision receipts: a record that proves later what was decided, and from what.

A receipt (schema: `schemas/receipt.schema.json`) holds sections:

- `input`: the canonical dispute bundle (the document as written);
- `run`: the options that shape the decision (policy family, `now` when a
  support case makes it matter, `as_of`, `lang`) and the bundle's file name;
- `policies`: the sha256 of each policy file the decision used;
- `schemas`: the sha256 of each schema file used (the schema versions);
- `engine`: name, version and the sha256 of the engine's code;
- `decision`: the verdict (`Verdict.to_json`);

and `sha256`: the sha256 of each section's canonical JSON, plus `receipt`, the
sha256 over the format header and those section hashes. Editing any section, or
any hash, breaks a hash and verification names which. `policies` and `schemas`
must name every file the decision used (its revisions, its records' types): an
empty or partial list is tampering, however well the hashes were recomputed.

`signature` (optional, outside the hashed sections): an Ed25519 signature of
`sha256.receipt` (`engine.disputes.signing`). Hashes anyone can recompute; the
signature shows who vouches for the receipt, and `verify` with trusted keys
refuses a receipt that is unsigned, signed by another key, or edited since.

A what-if run (`--as-of`) is labelled in `run.what_if`, and `verify` says so: its
verdict is not the decision. A receipt is a function of
its inputs: the same run gives byte-identical receipts (it has no creation
time; the decision's time is `run.now`).

`verify` re-runs the input with today's engine and policies and names what
differs: receipt tampered, policy file changed or missing, schema changed,
engine changed, outcome changed, decision wording changed. Hashes detect
accidental or careless edits; they are not a signature (anyone can recompute
them), which is why verification also re-runs the decision and checks the signature.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

from engine import __version__, kinds
from engine.canonical import sha256_of
from engine.disputes import signing
from engine.core.evaluate import what_if_label
from engine.disputes.bundle import Bundle, Verdict, bundle_from_data, replay
from engine.errors import Problem, SlaError
from engine.core.evaluate import Options
from engine.policy.family import Family
from engine.policy.root import root_of_families, same_root
from engine.io.resources import policies_dir
from engine.io.schemas import iter_problems
from engine.timeutil import parse_date, parse_instant

RECEIPT_SCHEMA = "receipt.schema.json"
FORMAT = 1
KIND = "sla-engine decision receipt"
SECTIONS = ("input", "run", "policies", "schemas", "engine", "decision")
ENGINE_NAME = "sla-engine"
_PACKAGE = Path(__file__).resolve().parents[1]  # the `engine` package


# --- building ----------------------------------------------------------------


def engine_identity() -> dict[str, str]:
    """The engine's name, version and a sha256 over its code (every .py file of the
    package, by relative path), so an edit without a version bump is still seen."""
    digest = hashlib.sha256()
    for path in sorted(p for p in _PACKAGE.rglob("*.py") if "_bundled" not in p.parts and "__pycache__" not in p.parts):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).hexdigest().encode("ascii") + b"\n")
    return {"name": ENGINE_NAME, "version": __version__, "code_sha256": digest.hexdigest()}


def schema_names(record_types: Any) -> list[str]:
    """The schema files a replay of records of these types uses: the bundle's, the
    policy's, and each record type's."""
    names = ["dispute.schema.json", "policy.schema.json", "records/common.schema.json"]
    return names + [f"records/{t}.schema.json" for t in sorted(set(record_types))]


def schema_hashes(bundle: Bundle) -> list[dict[str, str]]:
    """The schema files the run used, with their sha256."""
    from engine.io.resources import schemas_dir

    names = ["dispute.schema.json", "policy.schema.json", "records/common.schema.json"]
    names += [kinds.get(t).schema for t in sorted({r.type for r in bundle.records})]
    root = schemas_dir()
    return [{"file": name, "sha256": hashlib.sha256((root / name).read_bytes()).hexdigest()}
            for name in schema_names(r.type for r in bundle.records)]


def policy_hashes(verdict: Verdict) -> list[dict[str, str]]:
    """Each policy file a decision used, once, in effective order."""
    used = {s.revision for d in verdict.decisions for s in d.selections}
    return [{"policy": r.family, "revision": r.revision, "file": f"{r.family}/{r.path.name}", "sha256": r.sha256}
            for r in sorted(used, key=lambda r: r.effective)]


def run_options(verdict: Verdict, source: str | None = None) -> dict[str, Any]:
    o = verdict.options
    return {"source": source if source is not None else Path(verdict.bundle.file).name, "policy": verdict.family.name,
            "now": verdict.to_json()["options"]["now"], "as_of": o.as_of.isoformat() if o.as_of else None,
            "lang": o.lang, "what_if": what_if_label(o.as_of),
            "policy_root": _root_identity({verdict.family.name: verdict.family})}


def _root_identity(families: Mapping[str, Family]) -> dict[str, Any] | None:
    root = root_of_families(families)
    return root.identity() if root is not None else None


def build_receipt(verdict: Verdict, source: str | None = None, sign_key: str | Path | None = None) -> dict[str, Any]:
    """The receipt of a replayed dispute (`source`: the bundle's file name, by default
    taken from the bundle), signed with the private key at `sign_key` when given."""
    sections = {
        "input": dict(verdict.bundle.data),
        "run": run_options(verdict, source),
        "policies": policy_hashes(verdict),
        "schemas": schema_hashes(verdict.bundle),
        "engine": engine_identity(),
        "decision": verdict.to_json(),
    }
    hashes = {name: sha256_of(sections[name]) for name in SECTIONS}
    hashes["receipt"] = receipt_hash(hashes)
    receipt = {"receipt": KIND, "format": FORMAT, **sections, "sha256": hashes}
    if sign_key is not None:
        receipt["signature"] = signing.sign(sign_key, SIGNED, hashes["receipt"])
    return receipt


SIGNED = "receipt"  # what a receipt's signature says it signs


def receipt_hash(hashes: Mapping[str, Any]) -> str:
    """The hash over the format header and the section hashes (what a signature signs)."""
    return sha256_of({"receipt": KIND, "format": FORMAT, "sections": {n: hashes.get(n) for n in SECTIONS}})


# --- verifying ---------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One thing that is not as the receipt says."""

    kind: str  # receipt_tampered, policy_changed, policy_missing, policy_root_differs, schema_changed, engine_changed, outcome_changed, decision_changed
    what: str
    recorded: Any = None
    current: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "what": self.what, "recorded": self.recorded, "current": self.current}


def integrity(receipt: Mapping[str, Any]) -> list[Difference]:
    """Whether every section still matches its hash and the hashes match the receipt's."""
    recorded = receipt["sha256"]
    out = []
    for name in SECTIONS:
        computed = sha256_of(receipt[name])
        if computed != recorded.get(name):
            out.append(Difference("receipt_tampered", f"the {name} section does not match sha256.{name}",
                                  recorded.get(name), computed))
    computed = receipt_hash(recorded)
    if computed != recorded.get("receipt"):
        out.append(Difference("receipt_tampered", "the section hashes do not match sha256.receipt",
                              recorded.get("receipt"), computed))
    return out


def completeness(receipt: Mapping[str, Any], current: Mapping[str, Any] | None) -> list[Difference]:
    """Every policy file the decision used (its `revisions`, and today's re-run) and
    every schema its records needed must be named: a missing one is tampering,
    since an empty or partial list would hide a changed file."""
    out = []
    named = {(p.get("revision"), p.get("sha256")) for p in receipt["policies"] if isinstance(p, dict)}
    named_revisions = {r for r, _ in named}
    used = [(r.get("revision"), r.get("sha256")) for r in receipt["decision"].get("revisions", []) if isinstance(r, dict)]
    if current is not None:
        used += [(p["revision"], p["sha256"]) for p in current["policies"] if p["revision"] not in named_revisions]
    for revision, digest in dict.fromkeys(used):
        if (revision, digest) not in named and revision not in named_revisions:
            out.append(Difference("receipt_tampered", f"the policies section does not name policy revision {revision}, "
                                                      f"which the decision used", None, digest))
    records = receipt["input"].get("records") if isinstance(receipt["input"], dict) else None
    types = [r.get("type") for r in records if isinstance(r, dict) and isinstance(r.get("type"), str)] \
        if isinstance(records, list) else []
    schemas = {s.get("file") for s in receipt["schemas"] if isinstance(s, dict)}
    for name in schema_names(types):
        if name not in schemas:
            out.append(Difference("receipt_tampered", f"the schemas section does not name {name}, which the run used"))
    return out


def environment(receipt: Mapping[str, Any], families: Mapping[str, Family], current: Mapping[str, Any]) -> list[Difference]:
    """Policy files, schemas and engine of the receipt against today's."""
    out = []
    for entry in receipt["policies"]:
        family = families.get(entry["policy"])
        revision = next((r for r in family.revisions if r.revision == entry["revision"]), None) if family else None
        if revision is None:
            out.append(Difference("policy_missing", f"policy file {entry['file']} is no longer among the policies",
                                  entry["sha256"], None))
        elif revision.sha256 != entry["sha256"]:
            out.append(Difference("policy_changed", f"policy file {entry['file']} changed", entry["sha256"], revision.sha256))
    now_schemas = {s["file"]: s["sha256"] for s in current["schemas"]}
    for entry in receipt["schemas"]:
        if now_schemas.get(entry["file"]) != entry["sha256"]:
            out.append(Difference("schema_changed", f"schema {entry['file']} changed", entry["sha256"],
                                  now_schemas.get(entry["file"])))
    was, now = receipt["engine"], current["engine"]
    if was.get("version") != now["version"]:
        out.append(Difference("engine_changed", "engine version changed", was.get("version"), now["version"]))
    elif was.get("code_sha256") != now["code_sha256"]:
        out.append(Difference("engine_changed", f"engine code changed (same version {now['version']})",
                              was.get("code_sha256"), now["code_sha256"]))
    return out


def decision_differences(recorded: Any, current: Any) -> list[Difference]:
    """Where today's decision differs from the receipt's. Differences in a verdict's
    values or a finding's outcome are `outcome_changed`; in wording (messages),
    `decision_changed`. File hashes inside the decision are left to `environment`."""
    out = []
    for path, a, b in _json_diff(recorded, current, ()):
        if path and path[-1] in ("sha256", "uptime_sha256"):
            continue
        shown = _path_text(path)
        kind = "decision_changed" if path and path[-1] == "message" else "outcome_changed"
        out.append(Difference(kind, shown, a, b))
    return out


def _json_diff(a: Any, b: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in dict.fromkeys([*a, *b]):
            yield from _json_diff(a.get(key), b.get(key), path + (key,))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _json_diff(x, y, path + (i,))
    elif a != b:
        yield path, a, b


def _path_text(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(the decision)"


@dataclass(frozen=True)
class Verification:
    differences: tuple[Difference, ...]
    rerun: Mapping[str, Any] | None  # today's receipt for the same input, when the input could be re-run
    signature: signing.SignatureCheck = signing.SignatureCheck("unsigned", None, "unsigned")
    what_if: str | None = None  # "as-of DATE" for a what-if run: its verdict is not the decision

    @property
    def verified(self) -> bool:
        return not self.differences

    @property
    def tampered(self) -> bool:
        return any(d.kind == "receipt_tampered" for d in self.differences)

    @property
    def same_decision(self) -> bool:
        return self.rerun is not None and not any(
            d.kind in ("outcome_changed", "decision_changed", "rerun_failed") for d in self.differences)

    def to_json(self) -> dict[str, Any]:
        return {"verified": self.verified, "tampered": self.tampered, "same_decision": self.same_decision,
                "signature": self.signature.status, "key_id": self.signature.key_id, "what_if": self.what_if,
                "differences": [d.to_json() for d in self.differences]}


class ReceiptError(SlaError):
    """A file that is not a receipt at all (exit 2); a receipt that was edited is a Difference."""


def verify(data: Any, families: Mapping[str, Family], file: str, trusted: Mapping[str, bytes] | None = None) -> Verification:
    """Check a receipt's integrity and signature, then re-run its input with today's
    engine and `families` and compare. With `trusted` keys (by key id), a receipt
    that is not signed by one of them is a difference. Raises ReceiptError only for
    a file that is not a receipt; an edited one, or one whose input no longer
    replays, is a difference."""
    result = _verify(data, families, file)
    sign_check = signing.check(data.get("signature"), SIGNED, receipt_hash(data["sha256"]), trusted)
    differences = list(result.differences)
    if sign_check.status == "invalid" or (trusted is not None and not sign_check.trusted):
        differences.insert(0, Difference("signature", sign_check.detail))
    run = data.get("run")
    what_if = run.get("what_if") if isinstance(run, dict) else None
    if what_if is None and isinstance(run, dict) and run.get("as_of"):
        what_if = f"as-of {run['as_of']}"
    return Verification(tuple(differences), result.rerun, sign_check, what_if if isinstance(what_if, str) else None)


def _verify(data: Any, families: Mapping[str, Family], file: str) -> Verification:
    if not isinstance(data, dict) or data.get("receipt") != KIND or not isinstance(data.get("sha256"), dict) \
            or any(name not in data for name in SECTIONS):
        raise ReceiptError([Problem(f"not a decision receipt: expected a JSON object with \"receipt\": \"{KIND}\", "
                                    f"the sections {', '.join(SECTIONS)} and sha256", file=file)])
    differences = integrity(data)
    problems = list(iter_problems(RECEIPT_SCHEMA, data))
    if problems:
        if differences:  # edited into a shape that cannot be re-run: the edit is the finding
            differences += [Difference("receipt_tampered", p.render()) for p in problems]
            return Verification(tuple(differences), None)
        raise ReceiptError([p.located(file=file) for p in problems])
    run = data["run"]
    other_root = _other_root(run, families)
    family = families.get(run["policy"])
    if family is None:
        differences.append(other_root or Difference("policy_missing", f"policy family {run['policy']} is no longer among the policies"))
        return Verification(tuple(differences), None)
    try:
        bundle = bundle_from_data(data["input"], f"{file}#input")
        options = Options(now=parse_instant(run["now"]) if run["now"] else datetime.now(timezone.utc),
                          as_of=parse_date(run["as_of"]) if run["as_of"] else None, lang=run["lang"])
        current = build_receipt(replay(bundle, family, options), run["source"])
    except SlaError as exc:
        differences += completeness(data, None)
        differences += environment(data, families, {"schemas": data["schemas"], "engine": engine_identity()})
        differences += [Difference("rerun_failed", p.render()) for p in exc.problems]
        return Verification(tuple(differences), None)
    differences += completeness(data, current)
    found = environment(data, families, current)
    if other_root is not None and any(d.kind in ("policy_missing", "policy_changed") for d in found):
        # Another policy folder, not edited files: one line saying so, not one per file.
        return Verification(tuple(differences) + (other_root,), None)
    differences += found
    differences += decision_differences(data["decision"], current["decision"])
    return Verification(tuple(differences), current)


def _other_root(run: Mapping[str, Any], families: Mapping[str, Family]) -> Difference | None:
    """The difference to report when the receipt was made with another policy root."""
    recorded, current = run.get("policy_root"), _root_identity(families)
    if current is None or same_root(recorded, current):
        return None
    folder = str(policies_dir()) if recorded.get("bundled") else recorded.get("path")
    return Difference("policy_root_differs", f"made with another policy folder: pass --policies {folder}",
                      recorded, current)
