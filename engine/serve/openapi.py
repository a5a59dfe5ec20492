"""/openapi.json and /docs, generated: the record, decision, dispute, receipt and policy
formats are the files in schemas/ (read at start, never copied into this module); the
endpoints are the table below, which the app's routes are checked against by a test.

OpenAPI 3.1 uses JSON Schema 2020-12, the dialect of schemas/, so each schema goes in
`components.schemas` as it is, keeping its `$id`; the relative `$ref`s between the
record schemas resolve against those ids.
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from typing import Any

from engine import __version__
from engine.io.resources import schemas_dir

SCHEMA_FILES = {  # component name -> file under schemas/
    "Decision": "decision.schema.json",
    "Case": "records/case.schema.json",
    "Uptime": "records/uptime.schema.json",
    "CreditClaim": "records/credit_claim.schema.json",
    "RecordCommon": "records/common.schema.json",
    "DisputeBundle": "dispute.schema.json",
    "Receipt": "receipt.schema.json",
    "Policy": "policy.schema.json",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _path(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


RECORD = {"oneOf": [_ref("Case"), _ref("Uptime"), _ref("CreditClaim")]}
PROBLEMS = _json(_ref("Problems"), "bad input: every problem, as the CLI prints it, as data")
ERRORS = {
    "400": PROBLEMS,
    "413": _json(_ref("Problems"), "the body is over --max-body-bytes, or the batch over --max-records"),
    "415": _json(_ref("Problems"), "the body is not application/json"),
    "500": _json(_ref("Problems"), "an engine bug; `error_id` is in the server's log"),
}
LANG = _query("lang", "language of messages and clause quotes", {"enum": ["en", "zh"], "default": "en"})
NOW = _query("now", "the current time for pending response clocks (RFC 3339 with offset; default: now)")
AS_OF = _query("as_of", "decide everything under the revision in force on this date (YYYY-MM-DD)")
ADMIN = "Needs `Authorization: Bearer TOKEN` when the server runs with --token-file."

ENDPOINTS: list[dict[str, Any]] = [
    {"method": "post", "path": "/v1/evaluate", "summary": "Decide one record or an array of records",
     "description": "The same decisions as `sla evaluate --format json`: an object in, one decision out; an array in "
                    "(up to --max-records), an array of decisions out, in order. If any record is bad, nothing is "
                    "decided and the answer is 400 with every problem (record, field path, message).",
     "parameters": [NOW, AS_OF, LANG, _query("explain", "add each decision's explain trace as data (`explain`)",
                                               {"type": "boolean", "default": False}),
                    _query("policy", "the policy family (default: the only one loaded)")],
     "body": {"oneOf": [RECORD, {"type": "array", "items": RECORD}]},
     "ok": _json({"oneOf": [_ref("Decision"), {"type": "array", "items": _ref("Decision")}]}, "the decision(s)")},
    {"method": "post", "path": "/v1/replay", "summary": "Replay a dispute bundle",
     "description": "The verdict of `sla replay --format json`; `receipt=true` adds the decision receipt "
                    "(`sla replay --receipt`).",
     "parameters": [NOW, AS_OF, LANG, _query("receipt", "add the decision receipt as `receipt`", {"type": "boolean"})],
     "body": _ref("DisputeBundle"), "ok": _json({"type": "object", "description": "the verdict"}, "the verdict")},
    {"method": "post", "path": "/v1/verify", "summary": "Verify a decision receipt",
     "description": "`sla verify --format json`: is the receipt intact, and does today's engine with the loaded "
                    "policies give the same decision? 200 either way; `verified` says which, `differences` says what.",
     "parameters": [], "body": _ref("Receipt"), "ok": _json(_ref("Verification"), "the verification")},
    {"method": "get", "path": "/v1/policies", "summary": "The loaded policy revisions",
     "description": "Every revision of every family: effective date, title, file sha256 (`sla versions`).",
     "parameters": [], "ok": _json({"type": "array", "items": _ref("PolicyRevision")}, "the revisions")},
    {"method": "get", "path": "/v1/policies/{family}/diff", "summary": "What changed between two revisions",
     "description": "`sla diff FAMILY FROM TO --format json`.",
     "parameters": [_path("family", "the policy family"), _query("from", "the earlier revision"),
                    _query("to", "the later revision")],
     "ok": _json({"type": "object", "description": "the diff"}, "the diff")},
    {"method": "get", "path": "/v1/policies/{family}/{revision}", "summary": "One revision's YAML and sha256",
     "description": "The policy file exactly as loaded (`yaml`), its `sha256`, effective date and title.",
     "parameters": [_path("family", "the policy family"), _path("revision", "the revision (its date)")],
     "ok": _json(_ref("PolicyRevision"), "the revision with its text")},
    {"method": "post", "path": "/v1/admin/reload", "summary": "Reload the policies from --policies",
     "description": "Loads and validates the whole folder, then swaps it in at once: a request is answered by the old "
                    "set or the new set, never a mix. An invalid folder is refused (400, with its problems) and the old "
                    "set keeps serving. SIGHUP does the same. " + ADMIN, "admin": True,
     "parameters": [], "ok": _json({"type": "object", "properties": {"changed": {"type": "boolean"},
                                                                      "policies": {"type": "array"}}}, "reloaded")},
    {"method": "get", "path": "/health", "summary": "Alive", "description": "200 while the process answers.",
     "parameters": [], "ok": _json({"type": "object"}, "alive")},
    {"method": "get", "path": "/ready", "summary": "Ready", "description": "200 once policies are loaded.",
     "parameters": [], "ok": _json({"type": "object"}, "ready")},
    {"method": "get", "path": "/metrics", "summary": "Prometheus metrics",
     "description": "Requests, latency histogram, decisions by outcome, policy revisions loaded, reloads.",
     "parameters": [], "ok": {"description": "text format 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}}},
    {"method": "get", "path": "/openapi.json", "summary": "This document", "description": "", "parameters": [],
     "ok": _json({"type": "object"}, "OpenAPI 3.1")},
    {"method": "get", "path": "/docs", "summary": "This document for people", "description": "", "parameters": [],
     "ok": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}},
]

SERVICE_SCHEMAS: dict[str, Any] = {  # the service's own shapes (not formats of the engine)
    "Problem": {"type": "object", "required": ["message", "text"], "properties": {
        "message": {"type": "string"}, "file": {"type": "string", "description": "`body` for the request body"},
        "line": {"type": "integer"}, "record": {"type": "string", "description": "the record id"},
        "path": {"type": "array", "items": {"type": ["string", "integer"]}, "description": "the field path"},
        "text": {"type": "string", "description": "the line `sla` prints for this problem"}}},
    "Problems": {"type": "object", "required": ["status", "error", "request_id", "problems"], "properties": {
        "status": {"type": "integer"}, "error": {"type": "string"}, "request_id": {"type": "string"},
        "error_id": {"type": "string", "description": "500 only: the id logged with the traceback"},
        "problems": {"type": "array", "items": _ref("Problem")}}},
    "Verification": {"type": "object", "properties": {
        "verified": {"type": "boolean"}, "tampered": {"type": "boolean"}, "same_decision": {"type": ["boolean", "null"]},
        "differences": {"type": "array", "items": {"type": "object", "properties": {
            "kind": {"type": "string"}, "what": {"type": "string"}, "recorded": {}, "current": {}}}}}},
    "PolicyRevision": {"type": "object", "properties": {
        "policy": {"type": "string"}, "revision": {"type": "string"}, "effective": {"type": "string", "format": "date"},
        "title": {"type": "string"}, "file": {"type": "string"}, "sha256": {"type": "string"},
        "yaml": {"type": "string", "description": "the file's text (single revision only)"}}},
}


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the service."""
    components = {name: json.loads((schemas_dir() / file).read_text(encoding="utf-8")) for name, file in SCHEMA_FILES.items()}
    components.update(SERVICE_SCHEMAS)
    paths: dict[str, Any] = {}
    for e in ENDPOINTS:
        op: dict[str, Any] = {"summary": e["summary"], "description": e["description"],
                              "operationId": (e["method"] + e["path"]).replace("/", "_").strip("_").replace("{", "").replace("}", ""),
                              "parameters": e["parameters"], "responses": {"200": e["ok"]}}
        if "body" in e:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": e["body"]}}}
            op["responses"].update(ERRORS)
        elif e["path"].startswith("/v1/"):
            op["responses"].update({"400": PROBLEMS, "404": _json(_ref("Problems"), "no such family or revision")})
        if e.get("admin"):
            op["responses"]["401"] = _json(_ref("Problems"), "no or wrong bearer token")
            op["security"] = [{"bearer": []}]
        paths.setdefault(e["path"], {})[e["method"]] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "sla-engine", "version": __version__,
                 "description": "The SLA rules engine over HTTP (`sla serve`): JSON in and out, the formats of schemas/."},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


# --------------------------------------------------------------------------- /docs

def docs_html() -> str:
    """The OpenAPI document as one self-contained HTML page (no script, no CDN)."""
    doc = spec()
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(doc['info']['title'])} API</title>"
             "<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
             "code,td{font-family:ui-monospace,monospace;font-size:13px}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}</style></head><body>",
             f"<h1>{e(doc['info']['title'])} {e(doc['info']['version'])}</h1><p>{e(doc['info']['description'])}</p>",
             "<p>Machine-readable: <a href='/openapi.json'>/openapi.json</a>.</p><h2>Endpoints</h2>"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            parts.append(f"<h3 id='{e(op['operationId'])}'><code>{method.upper()} {e(path)}</code> — {e(op['summary'])}</h3>")
            if op["description"]:
                parts.append(f"<p>{e(op['description'])}</p>")
            if op["parameters"]:
                parts.append("<table><tr><th>parameter</th><th>in</th><th>description</th></tr>")
                parts += [f"<tr><td>{e(p['name'])}</td><td>{e(p['in'])}</td><td>{e(p['description'])}</td></tr>"
                          for p in op["parameters"]]
                parts.append("</table>")
            if "requestBody" in op:
                parts.append(f"<p>Body: {_schema_names(op['requestBody']['content']['application/json']['schema'])}</p>")
            codes = ", ".join(f"{code} {e(r['description'])}" for code, r in op["responses"].items())
            parts.append(f"<p>Answers: {codes}</p>")
    parts.append("<h2>Formats</h2>")
    for name, schema in doc["components"]["schemas"].items():
        parts.append(f"<h3 id='{e(name)}'>{e(name)}: {e(str(schema.get('title', '')))}</h3>")
        if schema.get("description"):
            parts.append(f"<p>{e(schema['description'])}</p>")
        props = schema.get("properties") or {}
        if props:
            required = set(schema.get("required") or ())
            parts.append("<table><tr><th>field</th><th>required</th><th>type</th><th>description</th></tr>")
            for field, sub in props.items():
                parts.append(f"<tr><td>{e(field)}</td><td>{'yes' if field in required else ''}</td>"
                             f"<td>{e(_type(sub))}</td><td>{e(str(sub.get('description', '')))}</td></tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def _schema_names(schema: dict[str, Any]) -> str:
    refs = [r.rsplit("/", 1)[1] for r in _refs(schema)]
    return ", ".join(f"<a href='#{html.escape(r)}'>{html.escape(r)}</a>" for r in dict.fromkeys(refs)) or "JSON"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "enum" in schema:
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array" and isinstance(schema.get("items"), dict):
        return f"array of {_type(schema['items'])}"
    if isinstance(kind, list):
        return " | ".join(kind)
    if kind:
        return str(kind)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return " | ".join(_type(s) for s in schema[key])
    return "any"
