"""A semantic diff of two policy revisions, readable by a lawyer, in English and Chinese.

`diff_revisions(old, new)` walks both documents side by side, guided by
`schemas/policy.schema.json`, and reports what the SLA content says differently:
parameters, tiers, windows, requirements, severities, functions, causes,
contracts, rules and clause texts, each as a `Change` (added / removed /
changed) with a path, a label in en and zh, the old and new values shown for
people, and the clause the change belongs to.

The schema, not this module, names things: a property's `title` (English) and
`x-title-zh` (Chinese) label it; a `{key}` in the title of a map's or a keyed
list's items is the item's key ("severity {key}" -> "severity 1"); labels along
a path are joined ("severity 1" + "response target"). Other annotations the diff
reads (all ignored by validation):

- `x-format`: how a value is compared and shown: `text` ({zh, en}), `clause`
  (a clause text; its `note` is ignored), `duration`, `percent`, `condition`,
  `names` (a set of names) are compared as a whole; `outcome` only for display.
- `x-key`: a list compared as a table keyed by that field (tiers by `below`,
  rules by `id`). Other lists of objects are compared as sequences.
- `x-clause-from`: the clause an item belongs to: `$key` (the item's key is the
  clause id) or a dotted path into the document (e.g. `response.clause`).
  Otherwise a change belongs to the `clause` of the nearest section or rule.

Not SLA content, so never reported as a change: `revision` and `effective`
(shown in the header), `policy`, `changes` (the SLA's own change log, shown in
the header next to the differences found), `carried_over`, `source`, clause
`note`s and the `explain` wording.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, TextIO

from engine.errors import PolicyError
from engine.exact import decimal_text, to_fraction
from engine.policy.family import Family, Revision, load_family_dir, load_revision
from engine.io.resources import policies_dir
from engine.io.schemas import schema

LANGS = ("en", "zh")
IGNORED_TOP = frozenset({"policy", "revision", "effective", "changes", "carried_over", "source", "explain"})
WHOLE = frozenset({"text", "clause", "duration", "percent", "condition", "names"})
TEXT_FORMATS = frozenset({"text", "clause"})
SHORT_TEXT = 60

_WORDS = {
    "en": {
        "yes": "yes", "no": "no", "none": "(none)", "added": "added", "removed": "removed",
        "text_changed": "text changed", "clause": "clause", "no_differences": "no differences",
        "effective": "effective", "change_log": "change log (what the SLA says changed):",
        "no_change_log": "change log: (no entries between these revisions)",
        "unchanged_all": "no difference in the files", "unchanged_some": "no difference in the files for",
        "note": "note", "differences": "differences in the files", "unlogged": "[not in the change log]",
        "when": "when", "otherwise": "otherwise", "reason": "reason", "backwards": "(comparing a newer revision with an older one)",
        "colon": ": ", "sep": "; ", "lang_tag": {"en": "en", "zh": "zh"},
        "unknown_some": "wording of {revision} unknown, not known to be equal:",
        "unknown_line": "wording unknown in {revision}: {clauses}. The text we have does not contain that revision's wording; "
                        "the files repeat the later one, so no difference there means unknown, not equal.",
    },
    "zh": {
        "yes": "是", "no": "否", "none": "（无）", "added": "新增", "removed": "删除",
        "text_changed": "文本已更改", "clause": "条款", "no_differences": "无差异",
        "effective": "生效日期", "change_log": "变更日志（SLA 所述的变更）：",
        "no_change_log": "变更日志：（这两个版本之间没有条目）",
        "unchanged_all": "文件中无差异", "unchanged_some": "文件中无差异：",
        "note": "说明", "differences": "文件中的差异", "unlogged": "[变更日志未提及]",
        "when": "当", "otherwise": "否则", "reason": "原因", "backwards": "（由较新版本对比较旧版本）",
        "colon": "：", "sep": "；", "lang_tag": {"en": "英文", "zh": "中文"},
        "unknown_some": "{revision} 的措辞未知，不能认定相同：",
        "unknown_line": "{revision} 中措辞未知：{clauses}。我们所持有的文本不包含该版本的措辞；文件重复了较新的措辞，因此此处“无差异”表示未知，而非相同。",
    },
}
_UNITS = (("days", "day", "days", "天"), ("hours", "hour", "hours", "小时"),
          ("minutes", "minute", "minutes", "分钟"), ("seconds", "second", "seconds", "秒"))
_SECONDS = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


# --------------------------------------------------------------------------- results

@dataclass
class Change:
    """One difference: `kind` is added, removed or changed; `old`/`new` are the
    document values (None when absent); `shown` has them written for people,
    per language; `texts` has, per language whose text changed, the old and new
    text and a marked diff ([-removed-]{+added+})."""

    kind: str
    path: str
    label: dict[str, str]
    clause: str | None
    old: Any
    new: Any
    shown: dict[str, dict[str, str | None]]
    texts: dict[str, dict[str, str]] | None = None
    in_change_log: bool = False

    def to_json(self) -> dict[str, Any]:
        out = {"kind": self.kind, "path": self.path, "clause": self.clause, "label": dict(self.label),
               "old": _plain(self.old), "new": _plain(self.new), "shown": self.shown,
               "in_change_log": self.in_change_log}
        if self.texts:
            out["text_diff"] = {lang: t["diff"] for lang, t in self.texts.items()}
        return out


@dataclass
class LogEntry:
    """One entry of the SLA's change log (a revision's `changes`), and which of
    the clauses it names show no difference in the files."""

    revision: str
    zh: str
    en: str
    clauses: list[str]
    without_differences: list[str] = field(default_factory=list)
    unknown_wording: list[tuple[str, str]] = field(default_factory=list)  # (revision, clause) of those, wording unknown

    def to_json(self) -> dict[str, Any]:
        return {"revision": self.revision, "zh": self.zh, "en": self.en, "clauses": self.clauses,
                "clauses_without_differences": self.without_differences,
                "unknown_wording": [{"revision": r, "clause": c} for r, c in self.unknown_wording]}


@dataclass
class RevisionDiff:
    old: Revision
    new: Revision
    changes: list[Change]
    change_log: list[LogEntry]
    notes: list[tuple[str, str]]  # (revision, carried_over) of the revisions the change log covers
    unknown_wording: list[tuple[str, str]] = field(default_factory=list)  # (revision, clause): `wording: unknown`

    @property
    def title(self) -> str:
        if self.old.family == self.new.family:
            return f"{self.new.family} {self.old.revision} → {self.new.revision}"
        return f"{self.old.family} {self.old.revision} → {self.new.family} {self.new.revision}"

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "old": _side(self.old),
            "new": _side(self.new),
            "change_log": [e.to_json() for e in self.change_log],
            "notes": [{"revision": r, "carried_over": text} for r, text in self.notes],
            "unknown_wording": [{"revision": r, "clause": c} for r, c in self.unknown_wording],
            "changes": [c.to_json() for c in self.changes],
        }

    def render_text(self, lang: str = "en") -> str:
        return render_text(self, lang)


def _side(revision: Revision) -> dict[str, Any]:
    return {"policy": revision.family, "revision": revision.revision, "effective": revision.effective.isoformat(),
            "file": str(revision.path), "sha256": revision.sha256}


# --------------------------------------------------------------------------- schema

def _schema() -> dict[str, Any]:
    return schema("policy.schema.json")  # read once, shared with validation (never mutated here)


def _lookup(ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        return {}
    node: Any = _schema()
    for part in ref[2:].split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def _resolve(node: dict[str, Any] | None) -> dict[str, Any]:
    """The node with its `$ref` and `allOf` parts merged in (the node's own keys win;
    `properties` are merged)."""
    merged: dict[str, Any] = {}
    if not isinstance(node, dict):
        return merged
    parts = ([_resolve(_lookup(node["$ref"]))] if "$ref" in node else []) + [_resolve(s) for s in node.get("allOf", [])]
    for part in parts + [node]:
        for key, value in part.items():
            if key in ("$ref", "allOf"):
                continue
            if key == "properties" and isinstance(merged.get("properties"), dict):
                merged["properties"] = {**merged["properties"], **value}
            else:
                merged[key] = value
    return merged


def _child(resolved: dict[str, Any], key: str) -> tuple[dict[str, Any], bool]:
    """The schema of `key` in an object, and whether it is a map item (additionalProperties)."""
    props = resolved.get("properties") or {}
    if key in props:
        return _resolve(props[key]), False
    extra = resolved.get("additionalProperties")
    if isinstance(extra, dict):
        return _resolve(extra), True
    return {}, False


def _title(resolved: dict[str, Any]) -> dict[str, str] | None:
    en, zh = resolved.get("title"), resolved.get("x-title-zh")
    if not en and not zh:
        return None
    return {"en": en or zh, "zh": zh or en}


# --------------------------------------------------------------------------- labels and paths

def _join(a: str | None, b: str, lang: str) -> str:
    if not a:
        return b
    if lang == "zh":
        return a + (" 的" if re.search(r"[\x21-\x7e]$", a) else "的") + b
    return f"{a} {b}"


@dataclass(frozen=True)
class _At:
    """Where the walk is: the path, the label pieces and the clause in force."""

    parts: tuple[str, ...] = ()
    item: tuple[tuple[str, str], ...] | None = None  # label of the nearest item, per language
    titles: tuple[dict[str, str], ...] = ()
    keys: tuple[str, ...] = ()
    clause: str | None = None

    @property
    def path(self) -> str:
        return "".join(self.parts).lstrip(".") or "(document)"

    def label(self) -> dict[str, str]:
        out = {}
        for lang in LANGS:
            text = dict(self.item)[lang] if self.item else None
            for title in self.titles:
                text = _join(text, title[lang], lang)
            if self.keys:
                text = _join(text, ".".join(self.keys), lang)
            out[lang] = text or self.path
        return out


def _part(key: str) -> str:
    return f".{key}" if re.fullmatch(r"[A-Za-z0-9_]+", key) else f"[{key}]"


# --------------------------------------------------------------------------- values

def _fmt(resolved: dict[str, Any]) -> str | None:
    return resolved.get("x-format")


def _deep(value: Any) -> Any:
    """A hashable canonical form: numbers compare by value (12.0 == 12), bools stay bools."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, Decimal, Fraction)):
        return ("num", Fraction(value))
    if isinstance(value, dict):
        return ("map", tuple(sorted((str(k), _deep(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_deep(v) for v in value))
    return ("str", value) if isinstance(value, str) else ("other", repr(value))


def _canon(value: Any, resolved: dict[str, Any]) -> Any:
    fmt = _fmt(resolved)
    try:
        if fmt in TEXT_FORMATS and isinstance(value, dict):
            return ("text", value.get("zh"), value.get("en"))
        if fmt == "percent":
            return ("num", to_fraction(value))
        if fmt == "duration" and isinstance(value, dict):
            seconds = sum(Fraction(value.get(unit, 0)) * factor for unit, factor in _SECONDS.items())
            rest = {k: v for k, v in value.items() if k not in _SECONDS}
            return ("duration", seconds, _deep(rest))
        if fmt == "names" and isinstance(value, list):
            return ("set", frozenset(_deep(v) for v in value))
    except (TypeError, ValueError):
        pass
    return _deep(value)


def _plain(value: Any) -> Any:
    """A JSON-safe copy: exact numbers as decimal strings, clause notes left out."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Fraction):
        return decimal_text(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if k != "note"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def _number(value: Any) -> str:
    try:
        return decimal_text(to_fraction(value))
    except (TypeError, ValueError):
        return str(value)


def _quote(text: str, lang: str) -> str:
    return f"“{text}”" if lang == "zh" else f"\"{text}\""


def _flow(value: Any) -> str:
    """Compact YAML flow style: {all: [{eq: [{param: claims.requires_support_case}, true]}, ...]}."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, Decimal, Fraction)):
        return _number(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    text = str(value)
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", text) and text.lower() not in ("true", "false", "null", "yes", "no", "on", "off", "y", "n")
    return text if plain else json.dumps(text, ensure_ascii=False)


def _duration(value: dict[str, Any], lang: str) -> str:
    parts = []
    for key, one, many, zh in _UNITS:
        if key in value:
            n = value[key]
            parts.append(f"{n} {zh}" if lang == "zh" else f"{n} {one if n == 1 else many}")
    text = " ".join(parts) or ("0 分钟" if lang == "zh" else "0 minutes")
    rest = [str(v) for k, v in value.items() if k not in _SECONDS]
    if rest:
        text += f"（{', '.join(rest)}）" if lang == "zh" else f" via {', '.join(rest)}"
    return text


def _show(value: Any, resolved: dict[str, Any], lang: str, skip: str | None = None) -> str:
    """A value written for people in `lang`."""
    w = _WORDS[lang]
    fmt = _fmt(resolved)
    if value is None:
        return w["none"]
    if fmt in TEXT_FORMATS and isinstance(value, dict):
        return _quote(str(value.get(lang, value.get("en", ""))), lang)
    if fmt == "duration" and isinstance(value, dict):
        return _duration(value, lang)
    if fmt == "percent":
        return _number(value) + "%"
    if fmt == "condition":
        return _flow(value)
    if fmt == "outcome" and isinstance(value, dict):
        return _show_outcome(value, lang)
    if isinstance(value, bool):
        return w["yes"] if value else w["no"]
    if isinstance(value, (int, Decimal, Fraction)):
        return _number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        items = _resolve(resolved.get("items"))
        if not value:
            return w["none"]
        if any(isinstance(v, dict) for v in value):
            return " ".join(f"({i}) {_show(v, items, lang, resolved.get('x-key'))}" for i, v in enumerate(value, 1))
        return ", ".join(_show(v, items, lang) for v in value)
    if isinstance(value, dict):
        fields = []
        for key, sub in value.items():
            if key == skip or key == "note":
                continue
            child, _ = _child(resolved, str(key))
            title = _title(child)
            name = title[lang] if title and "{key}" not in title[lang] else str(key)
            fields.append(f"{name} {_show(sub, child, lang)}")
        return w["sep"].join(fields)
    return str(value)


def _show_outcome(value: dict[str, Any], lang: str) -> str:
    w = _WORDS[lang]
    reason = value.get("reason")
    if lang == "zh":
        head = f"{w['when']} {_flow(value['when'])} 时" if "when" in value else w["otherwise"]
        tail = f"（{w['reason']} {reason}）" if reason else ""
    else:
        head = f"{w['when']} {_flow(value['when'])}" if "when" in value else w["otherwise"]
        tail = f" ({w['reason']} {reason})" if reason else ""
    return f"{head} → {value.get('outcome')}{tail}"


_TOKEN = re.compile(r"[A-Za-z0-9_']+|\s+|.", re.S)


def marked_diff(old: str, new: str) -> str:
    """The new text with what changed marked: [-removed-]{+added+}. Latin words are
    compared whole; every other character (Chinese has no spaces) on its own."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append("".join(a[i1:i2]))
            continue
        if i2 > i1:
            out.append("[-" + "".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + "".join(b[j1:j2]) + "+}")
    return "".join(out)


# --------------------------------------------------------------------------- the walk

class _Differ:
    def __init__(self, old_doc: dict[str, Any], new_doc: dict[str, Any]):
        self.old_doc, self.new_doc = old_doc, new_doc
        self.changes: list[Change] = []

    def run(self) -> list[Change]:
        self._object(self.old_doc, self.new_doc, _resolve(_schema()), _At(), top=True)
        return self.changes

    # where a child is
    def _enter(self, at: _At, part: str, key_text: str, resolved: dict[str, Any], is_item: bool,
               value: Any, key: Any = None) -> _At:
        title = _title(resolved)
        if is_item:
            base = dict(at.item) if at.item else {}
            item = tuple((lang, _join(base.get(lang), (title[lang] if title else "{key}").replace("{key}", key_text), lang))
                         for lang in LANGS)
            at = _At(at.parts + (part,), item, (), (), at.clause)
        elif title:
            at = _At(at.parts + (part,), at.item, at.titles + (title,), (), at.clause)
        else:
            at = _At(at.parts + (part,), at.item, at.titles, at.keys + (key_text,), at.clause)
        source = resolved.get("x-clause-from")
        clause = at.clause
        if source == "$key":
            clause = str(key if key is not None else key_text)
        elif isinstance(source, str):
            clause = self._param(source) or clause
        elif isinstance(value, dict) and isinstance(value.get("clause"), str) and "clause" in (resolved.get("properties") or {}):
            clause = value["clause"]
        return _At(at.parts, at.item, at.titles, at.keys, clause)

    def _param(self, dotted: str) -> str | None:
        for doc in (self.new_doc, self.old_doc):
            node: Any = doc
            for part in dotted.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, str):
                return node
        return None

    # comparing
    def _value(self, old: Any, new: Any, resolved: dict[str, Any], at: _At) -> None:
        fmt = _fmt(resolved)
        if fmt not in WHOLE and isinstance(old, dict) and isinstance(new, dict):
            self._object(old, new, resolved, at)
        elif fmt not in WHOLE and isinstance(old, list) and isinstance(new, list) and \
                any(isinstance(v, dict) for v in old + new):
            if resolved.get("x-key"):
                self._keyed(old, new, resolved, at)
            else:
                self._sequence(old, new, resolved, at)
        elif _canon(old, resolved) != _canon(new, resolved):
            self._emit("changed", at, old, new, resolved)

    def _object(self, old: dict[str, Any], new: dict[str, Any], resolved: dict[str, Any], at: _At, top: bool = False) -> None:
        for key in list(new) + [k for k in old if k not in new]:
            if top and key in IGNORED_TOP:
                continue
            child, is_item = _child(resolved, str(key))
            value = new.get(key, old.get(key))
            where = self._enter(at, _part(str(key)), str(key), child, is_item, value, key)
            if key in old and key in new:
                self._value(old[key], new[key], child, where)
            elif key in new:
                self._emit("added", where, None, new[key], child)
            else:
                self._emit("removed", where, old[key], None, child)

    def _keyed(self, old: list[Any], new: list[Any], resolved: dict[str, Any], at: _At) -> None:
        field_name = resolved["x-key"]
        items = _resolve(resolved.get("items"))
        key_schema, _ = _child(items, field_name)

        def table(rows: list[Any]) -> dict[Any, tuple[int, Any, str]]:
            out: dict[Any, tuple[int, Any, str]] = {}
            for i, row in enumerate(rows):
                raw = row.get(field_name) if isinstance(row, dict) else None
                text = _number(raw) if _fmt(key_schema) == "percent" else str(raw)
                key = _canon(raw, key_schema)
                n = 1
                while (key, n) in out:
                    n += 1
                out[(key, n)] = (i, row, text if n == 1 else f"{text}#{n}")
            return out

        before, after = table(old), table(new)
        for key in list(after) + [k for k in before if k not in after]:
            i, row, text = after.get(key) or before[key]
            where = self._enter(at, f"[{field_name}={text}]", text, items, True, row)
            if key in before and key in after:
                self._value(before[key][1], row, items, where)
            elif key in after:
                self._emit("added", where, None, row, items, skip=field_name)
            else:
                self._emit("removed", where, row, None, items, skip=field_name)

    def _sequence(self, old: list[Any], new: list[Any], resolved: dict[str, Any], at: _At) -> None:
        items = _resolve(resolved.get("items"))
        a, b = [_deep(v) for v in old], [_deep(v) for v in new]

        def where(index: int, row: Any) -> _At:
            return self._enter(at, f"[{index}]", str(index + 1), items, True, row)

        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op == "equal":
                continue
            paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
            for k in range(paired):
                self._value(old[i1 + k], new[j1 + k], items, where(j1 + k, new[j1 + k]))
            for j in range(j1 + paired, j2):
                self._emit("added", where(j, new[j]), None, new[j], items)
            for i in range(i1 + paired, i2):
                self._emit("removed", where(i, old[i]), old[i], None, items)

    def _emit(self, kind: str, at: _At, old: Any, new: Any, resolved: dict[str, Any], skip: str | None = None) -> None:
        if _fmt(resolved) == "clause":  # a clause's note is ours, not the SLA's
            old, new = (({k: v for k, v in x.items() if k != "note"} if isinstance(x, dict) else x) for x in (old, new))
        shown = {lang: {"old": None if kind == "added" else _show(old, resolved, lang, skip),
                        "new": None if kind == "removed" else _show(new, resolved, lang, skip)} for lang in LANGS}
        texts = None
        if kind == "changed" and _fmt(resolved) in TEXT_FORMATS and isinstance(old, dict) and isinstance(new, dict):
            texts = {}
            for lang in LANGS:
                before, after = str(old.get(lang, "")), str(new.get(lang, ""))
                if before != after:
                    texts[lang] = {"old": before, "new": after, "diff": marked_diff(before, after)}
        self.changes.append(Change(kind, at.path, at.label(), at.clause, old, new, shown, texts))


# --------------------------------------------------------------------------- public API

def diff_revisions(old: Revision, new: Revision, family: Family | None = None) -> RevisionDiff:
    """Every difference in SLA content from `old` to `new`. The header's change log
    holds the `changes` of each revision after the earlier one up to the later one
    (from `family` when given, else of the two revisions themselves)."""
    changes = _Differ(old.data, new.data).run()
    low, high = sorted((old.effective, new.effective))
    pool = family.revisions if family is not None else tuple({id(r): r for r in (old, new)}.values())
    covered = sorted((r for r in pool if low < r.effective <= high), key=lambda r: r.effective)
    changed_clauses = {c.clause for c in changes if c.clause}
    unknown = unknown_wording(old, new)
    log = []
    for revision in covered:
        for entry in revision.data.get("changes") or []:
            clauses = list(entry.get("clauses") or [])
            same = [c for c in clauses if c not in changed_clauses]
            log.append(LogEntry(revision.revision, entry["zh"], entry["en"], clauses, same,
                                [(r, c) for r, c in unknown if c in same]))
    logged = {c for e in log for c in e.clauses}
    for change in changes:
        change.in_change_log = change.clause in logged
    notes = [(r.revision, r.data["carried_over"]) for r in covered if r.data.get("carried_over")]
    return RevisionDiff(old, new, changes, log, notes, unknown)


def unknown_wording(*revisions: Revision) -> list[tuple[str, str]]:
    """(revision, clause) for each clause a revision marks `wording: unknown`: the
    text we have lacks that revision's wording, so equal files do not mean equal texts."""
    out = []
    for revision in sorted(set(revisions), key=lambda r: r.effective):
        out += [(revision.revision, key) for key, clause in revision.data["clauses"].items() if clause.get("wording") == "unknown"]
    return out


def render_text(diff: RevisionDiff, lang: str = "en") -> str:
    """The diff as lines of text in `lang`: a header, the change log, one line per change."""
    w = _WORDS[lang]
    colon = w["colon"]
    lines = [diff.title]
    if diff.new.effective < diff.old.effective:
        lines[0] += " " + w["backwards"]
    lines.append(f"{w['effective']}{colon}{diff.old.effective.isoformat()} → {diff.new.effective.isoformat()}")
    if diff.change_log:
        lines.append(w["change_log"])
        for entry in diff.change_log:
            mark = ", ".join(entry.clauses)
            unknown = {c for _, c in entry.unknown_wording}
            same = [c for c in entry.without_differences if c not in unknown]
            if same and len(same) == len(entry.clauses):
                mark += w["sep"] + w["unchanged_all"]
            elif same:
                mark += w["sep"] + w["unchanged_some"] + ("" if lang == "zh" else " ") + ", ".join(same)
            for revision in dict.fromkeys(r for r, _ in entry.unknown_wording):
                names = ", ".join(c for r, c in entry.unknown_wording if r == revision)
                mark += w["sep"] + w["unknown_some"].format(revision=revision) + ("" if lang == "zh" else " ") + names
            lines.append(f"  {entry.revision}{colon}{getattr(entry, lang)} [{mark}]")
        for revision, note in diff.notes:
            lines.append(f"  {w['note']} ({revision}){colon}{note}" if lang == "en" else f"  {w['note']}（{revision}）{colon}{note}")
    else:
        lines.append(w["no_change_log"])
    for revision in dict.fromkeys(r for r, _ in diff.unknown_wording):
        names = ", ".join(c for r, c in diff.unknown_wording if r == revision)
        lines.append(w["unknown_line"].format(revision=revision, clauses=names))
    if not diff.changes:
        lines.append(w["no_differences"])
        return "\n".join(lines) + "\n"
    count = f" ({len(diff.changes)}):" if lang == "en" else f"（{len(diff.changes)} 项）："
    lines.append(w["differences"] + count)
    for change in diff.changes:
        lines += _change_lines(change, lang)
    return "\n".join(lines) + "\n"


def _change_lines(change: Change, lang: str) -> list[str]:
    w = _WORDS[lang]
    colon = w["colon"]
    label = change.label[lang]
    suffix = ""
    if change.clause and not change.path.startswith(f"clauses[{change.clause}]"):
        suffix = f"（{w['clause']} {change.clause}）" if lang == "zh" else f" ({w['clause']} {change.clause})"
    if not change.in_change_log:
        suffix += " " + w["unlogged"]
    old, new = change.shown[lang]["old"], change.shown[lang]["new"]
    order = (lang,) + tuple(x for x in LANGS if x != lang)
    tag = w["lang_tag"]
    if change.texts is not None:
        lines = [f"  {label}{colon}{w['text_changed']}{suffix}"]
        for other in order:
            if other in change.texts:
                t = change.texts[other]
                short = max(len(t["old"]), len(t["new"])) <= SHORT_TEXT
                body = f"{_quote(t['old'], other)} → {_quote(t['new'], other)}" if short else t["diff"]
                lines.append(f"      {tag[other]}{colon}{body}")
        return lines
    value = new if change.kind == "added" else old
    raw = change.new if change.kind == "added" else change.old
    if change.kind in ("added", "removed") and isinstance(raw, dict) and set(raw) >= {"zh", "en"} \
            and max(len(str(raw["zh"])), len(str(raw["en"]))) > SHORT_TEXT and set(raw) <= {"zh", "en", "note"}:
        lines = [f"  {w[change.kind]} {label}{suffix}{colon.rstrip()}"]
        lines += [f"      {tag[other]}{colon}{raw[other]}" for other in order]
        return lines
    if change.kind == "changed":
        return [f"  {label}{colon}{old} → {new}{suffix}"]
    return [f"  {w[change.kind]} {label}{colon}{value}{suffix}"]


def render_json(diff: RevisionDiff) -> str:
    return json.dumps(diff.to_json(), ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- command line

class _Usage(Exception):
    pass


def run(operands: list[str], fmt: str, lang: str, policies_root: Path | None, stdout: TextIO, stderr: TextIO) -> int:
    """`sla diff FAMILY REV_A REV_B | FILE_A FILE_B`: print the diff; 0 when printed
    (even an empty one), 2 for an unknown family, revision or file (one line each)."""
    try:
        old, new, family = _load(operands, policies_root)
    except _Usage as exc:
        print(f"sla diff: {exc}", file=stderr)
        return 2
    except PolicyError as exc:
        for problem in exc.problems:
            print(problem.render(), file=stderr)
        return 2
    diff = diff_revisions(old, new, family)
    stdout.write(render_json(diff) if fmt == "json" else render_text(diff, lang))
    return 0


def _load(operands: list[str], root: Path | None) -> tuple[Revision, Revision, Family | None]:
    if len(operands) == 3:
        name, rev_a, rev_b = operands
        family = _family(name, root or policies_dir())
        try:
            return family.by_revision(rev_a), family.by_revision(rev_b), family
        except LookupError as exc:
            raise _Usage(str(exc.args[0])) from None
    if len(operands) == 2:
        return _file(operands[0]), _file(operands[1]), None
    raise _Usage(f"expected FAMILY REV_A REV_B or FILE_A FILE_B; got {len(operands)} argument(s)")


def _family(name: str, root: Path) -> Family:
    folder = root / name
    if not (folder.is_dir() and any(folder.glob("*.yaml"))):
        given = Path(name)
        if given.is_dir() and any(given.glob("*.yaml")):
            folder = given
        else:
            known = sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.yaml"))) if root.is_dir() else []
            have = f"; have {', '.join(known)}" if known else ""
            raise _Usage(f"no policy family {name!r} in {root}{have}")
    return load_family_dir(folder)


def _file(name: str) -> Revision:
    path = Path(name)
    if not path.is_file():
        raise _Usage(f"{name}: no such policy file (give FAMILY REV_A REV_B, or two policy files)")
    try:
        return load_revision(path)
    except OSError as exc:
        raise _Usage(f"{name}: cannot read: {exc.strerror or exc}") from None

