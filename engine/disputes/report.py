"""A dispute report a lawyer can attach: Markdown, or one self-contained HTML file.

Sections: the summary verdict (and what the customer asserted), the facts, the
month's outages on a timeline, the uptime against the tier thresholds, each
rule's outcome with its clause quoted (zh or en), the support cases, the
revisions used and why, optionally the what-if table, and the receipt's hashes.

The HTML has its CSS and charts (inline SVG) inside it, loads nothing from
anywhere, has no script, and prints cleanly. SLA text (clauses, messages,
outcome and fact labels) comes from the policy; headings from
`engine.disputewords`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from engine import __version__
from engine.lang.conditions import show
from engine.disputes.bundle import Verdict
from engine.disputes.words import Words
from engine.core.evaluate import Decision, Finding
from engine.exact import decimal_text
from engine.disputes.receipt import build_receipt
from engine.disputes.svg import tier_chart, timeline
from engine.disputes.timeline import OutageRow, outage_rows
from engine.timeutil import iso
from engine.disputes.verdicttext import (customer_line, distance_lines, finding_line, headline, margin_lines, outcome_word,
                          step_lines, summary_lines, what_if_note, what_if_rows)
from engine.disputes.whatif import WhatIf
from engine.render.amounts import money

FORMATS = ("markdown", "html")

# Facts shown in the Facts table, in this order, when the decision has them.
FACT_ORDER = ("month", "month_start", "month_end", "total_minutes", "unavailable_minutes", "excluded_minutes",
              "uptime_percent", "tier_below", "credit_percent", "billing", "base_amount", "currency", "submitted_at",
              "support_case", "window_days", "window_closes_at", "settlement")


class _Content:
    """Everything both formats show, gathered once from the verdict."""

    def __init__(self, verdict: Verdict, lang: str, what_if: WhatIf | None):
        self.verdict, self.lang, self.what_if = verdict, lang, what_if
        self.words = Words(lang)
        self.receipt = build_receipt(verdict)
        self.month = verdict.month

    def fact_rows(self) -> list[tuple[str, str]]:
        decision = self.month
        if decision is None:
            return []
        labels = decision.revision.data["explain"]["facts"]
        rows = [(labels[name][self.lang], self._fact(decision, name)) for name in FACT_ORDER
                if name in decision.facts and name in labels]
        if decision.record.type == "credit_claim":
            r = decision.result
            rows.append((self.words("col.credit_amount"), money(r["credit_amount"], r["currency"])))
        return rows

    def _fact(self, decision: Decision, name: str) -> str:
        """A fact as a person reads it: amounts grouped with their currency, codes in the policy's words."""
        value = decision.facts[name]
        if name == "base_amount" and value is not None:
            return money(value, decision.facts.get("currency"))
        return show(decision.revision.code_text(value, self.lang))

    def outage_table(self) -> tuple[list[str], list[list[str]]]:
        """The month's outages with each row's share of B and C, and a total row equal to the decision's B and C."""
        w, f = self.words, self.month.facts  # type: ignore[union-attr]
        rows = self.outages()
        header = ["#", w("col.start"), w("col.end"), w("col.functions"), w("col.cause"), w("col.minutes_in_month"),
                  w("col.counted_as"), w("col.in_b"), w("col.in_c")]
        body = [[str(r.number), iso(r.outage.start), iso(r.outage.end), ", ".join(r.outage.functions), r.outage.cause,
                 decimal_text(r.minutes_in_month),
                 w(f"counted_as.{r.category}") + (f" ({w('crosses_edge')})" if r.before_month or r.after_month else ""),
                 decimal_text(r.in_b), decimal_text(r.in_c)] for r in rows]
        body.append([w("outage_total"), "", "", "", "", "",
                     w("outage_total_terms", unavailable_minutes=f["unavailable_minutes"], excluded_minutes=f["excluded_minutes"]),
                     decimal_text(f["unavailable_minutes"]), decimal_text(f["excluded_minutes"])])
        return header, body

    def quoted_first(self) -> set[int]:
        """Ids of the findings whose clause is quoted: the first finding of each (revision, clause)."""
        seen, first = set(), set()
        for decision in self.verdict.decisions:
            for finding in decision.findings:
                key = (finding.revision.sha256, finding.clause)
                if key not in seen:
                    seen.add(key)
                    first.add(id(finding))
        return first

    def outages(self) -> list[OutageRow]:
        return outage_rows(self.month) if self.month else []

    def tier_rows(self) -> list[tuple[str, str, bool]]:
        if self.month is None:
            return []
        revision = self.month.selections[0].revision
        chosen = self.month.facts["tier_below"]
        return [(decimal_text(t.below), decimal_text(t.percent), t.below == chosen) for t in revision.tiers]

    def revision_rows(self) -> list[list[str]]:
        rows = []
        for decision in self.verdict.decisions:
            for s in decision.selections:
                why = f"{self.words.anchor(s.anchor)} = {s.anchor_value}"
                rows.append([self.words(f"role.{s.role}", record=decision.record.id), s.revision.revision,
                             s.revision.effective.isoformat(), why, s.revision.sha256])
        return _unique(rows)

    def receipt_rows(self) -> list[tuple[str, str]]:
        r, w = self.receipt, self.words
        rows = [(w("receipt.input"), r["sha256"]["input"]), (w("receipt.decision"), r["sha256"]["decision"]),
                (w("receipt.receipt"), r["sha256"]["receipt"]),
                (w("receipt.engine"), f"{r['engine']['name']} {r['engine']['version']} ({r['engine']['code_sha256']})")]
        rows += [(w("receipt.policy", file=p["file"]), p["sha256"]) for p in r["policies"]]
        rows += [(w("receipt.schema", file=s["file"]), s["sha256"]) for s in r["schemas"]]
        return rows

    def clause(self, finding: Finding) -> str:
        return finding.revision.clause_text(finding.clause, self.lang)

    def cases(self) -> list[Decision]:
        return [d for d in self.verdict.decisions if d.record.type == "case"]


def _unique(rows: list[list[str]]) -> list[list[str]]:
    seen, out = set(), []
    for row in rows:
        key = tuple(row[1:])
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def _case_cells(decision: Decision, lang: str) -> list[str]:
    r = decision.result
    met = {True: "met", False: "breached", None: None}[r["response_met"]]
    status = outcome_word(decision.revision, met, lang) if met else decision.revision.data["explain"]["table"]["pending"][lang]
    return [decision.record.id, str(r["current_severity"]), r["clock_start"] or "-", r["response_minutes"] or "-",
            r["response_target_minutes"], status]


CASE_COLUMNS = ("case", "severity", "clock_start", "response", "target", "result")


def _case_heads(w: Words) -> list[str]:
    """The support-case table's heads, from the catalogue."""
    return [w(f"case_col.{name}") for name in CASE_COLUMNS]


# --- Markdown -------------------------------------------------------------------------


def markdown(verdict: Verdict, lang: str = "en", what_if: WhatIf | None = None) -> str:
    """The report as Markdown (the charts become tables)."""
    c = _Content(verdict, lang, what_if)
    w = c.words
    b = verdict.bundle
    out = [f"# {w('report_title', title=b.title)}", "", customer_line(verdict, w), ""]
    out += [f"## {w('summary')}", "", f"**{w('verdict')}: {headline(verdict, w)}**", ""]
    note = what_if_note(verdict, w)
    if note:
        out += [f"> {note}", ""]
    bullets = summary_lines(verdict, w) + distance_lines(verdict, w)
    out += [f"- {line}" for line in bullets] + ([""] if bullets else [])
    facts = c.fact_rows()
    if facts:
        out += [f"## {w('facts')}", ""] + _md_table([w("fact"), w("value")], [list(r) for r in facts]) + [""]
    if c.month is not None:
        f = c.month.facts
        out += [f"## {w('timeline', month=f['month'])}", "",
                w("timeline_caption", month_start=iso(f["month_start"]), month_end=iso(f["month_end"])), ""]
        header, body = c.outage_table()
        out += _md_table(header, body) + ["", w("overlap_rule"), ""]
        out += [f"## {w('chart')}", "",
                w("chart_caption", uptime_percent=c.month.result["uptime_percent"],
                  revision=c.month.selections[0].revision.revision), ""]
        out += _md_table([w("tier_table_below"), w("tier_table_percent"), w("tier_table_applies")],
                         [[f"{below}%", f"{pct}%", w("yes") if applies else w("no")] for below, pct, applies in c.tier_rows()])
        out += [""]
    out += [f"## {w('rules')}", ""]
    quoted = c.quoted_first()
    for decision in verdict.decisions:
        kind = decision.revision.code_text(decision.record.type, lang)
        out += [f"### {w('record_heading', record=decision.record.id, type=kind)}", ""]
        for finding in decision.findings:
            out += [f"- {finding_line(finding, lang, w)}", ""]
            if id(finding) not in quoted:
                out += [f"  ({w('clause_above', clause=finding.clause, revision=finding.revision.revision)})", ""]
                continue
            out += [f"  > **{w('clause_quote', clause=finding.clause, revision=finding.revision.revision)}**", "  >"]
            out += [f"  > {line}" if line else "  >" for line in c.clause(finding).split("\n")] + [""]
    cases = c.cases()
    if cases:
        out += [f"## {w('cases')}", ""] + _md_table(_case_heads(w), [_case_cells(d, lang) for d in cases]) + [""]
        out += [w("evaluated_at", now=iso(verdict.options.now)), ""]
    out += [f"## {w('revisions_used')}", ""]
    out += _md_table([w("revisions_table_role"), w("revisions_table_revision"), w("revisions_table_effective"),
                      w("revisions_table_why"), w("revisions_table_sha256")], c.revision_rows()) + [""]
    for decision, margin in verdict.margins():
        if decision is verdict.claim or (verdict.claim is None and decision is verdict.decisions[0]):
            out += [f"- {w(f'role.{margin.selection.role}', record=decision.record.id)}: " + "; ".join(margin_lines(margin, w))]
    out += [""]
    if what_if is not None:
        header, table_rows = what_if_rows(what_if, w)
        out += [f"## {w('what_if_title')}", "", w("what_if_explain"), ""] + _md_table(header, table_rows) + [""]
        out += [f"### {w('changes')}", ""] + ["  " * _level(line) + f"- {line.strip()}"
                                               for line in step_lines(what_if, lang, w)] + [""]
    out += [f"## {w('receipt')}", ""] + _md_table(["", "sha256"], [[k, f"`{v}`"] for k, v in c.receipt_rows()]) + [""]
    out += [w("receipt_note", file=c.receipt["run"]["source"]), "",
            w("generated", version=__version__, policy=verdict.family.name), ""]
    return _no_html("\n".join(out))


def _no_html(text: str) -> str:
    """Markdown with no HTML in it: ids, titles and clause texts come from other
    people's files, and a Markdown renderer passes raw HTML through. The report
    itself writes no HTML, so escaping & and < everywhere escapes exactly theirs."""
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_md_cell(str(cell)) for cell in row) + " |" for row in rows]


# --- HTML -------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1d1d1d; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans",
       "Noto Sans CJK SC", "Noto Sans", sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid #ddd; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
.meta { color: #555; margin: 0; }
.verdict { font-size: 1.15rem; font-weight: 700; padding: .7rem 1rem; border-radius: 6px; border-left: 6px solid; }
.verdict.good { background: #eaf6ec; border-color: #2e7d32; }
.verdict.bad { background: #fdecea; border-color: #c62828; }
.verdict.neutral { background: #f2f2f2; border-color: #777; }
.what-if { background: #fff8e1; border: 1px solid #f0c36d; padding: .5rem .8rem; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #d6d6d6; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.nowrap { white-space: nowrap; }
ul.changes li.level-1 { margin-left: 1.2rem; }
ul.changes li.level-2 { margin-left: 2.4rem; list-style: circle; color: #444; }
code, .hash { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: .8rem; word-break: break-all; }
figure { margin: .5rem 0 1rem; }
figcaption { color: #555; font-size: .85rem; }
svg.chart { display: block; max-width: 100%; height: auto; }
.finding { margin: .6rem 0 1rem; padding-left: .8rem; border-left: 4px solid #bbb; }
.finding.breached, .finding.violation { border-color: #c62828; }
.finding.met { border-color: #2e7d32; }
.finding .outcome { font-weight: 700; text-transform: uppercase; }
blockquote { margin: .4rem 0 0; padding: .4rem .8rem; background: #f7f7f7; color: #333; white-space: pre-wrap;
             font-size: .88rem; border-radius: 4px; }
blockquote .cite { display: block; font-weight: 700; margin-bottom: .2rem; white-space: normal; }
tr.applies td { background: #fdecea; font-weight: 700; }
tr.total td { font-weight: 700; border-top: 2px solid #888; }
p.note, p.cite-above { color: #555; font-size: .85rem; }
footer { margin-top: 2rem; color: #666; font-size: .85rem; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure, .finding, tr { break-inside: avoid; }
  .verdict, tr.applies td, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
@page { margin: 16mm 14mm; }
"""

_GOOD, _BAD = {"eligible", "met", "no_credit"}, {"not_eligible", "breached", "credit_due"}


def html(verdict: Verdict, lang: str = "en", what_if: WhatIf | None = None) -> str:
    """The report as one self-contained HTML page."""
    c = _Content(verdict, lang, what_if)
    w = c.words
    b = verdict.bundle
    e = escape
    tone = "good" if verdict.code in _GOOD else "bad" if verdict.code in _BAD else "neutral"
    out = [f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(w('report_title', title=b.title))}</title><style>{CSS}</style></head><body><main>",
           f"<header><h1>{e(w('report_title', title=b.title))}</h1>",
           f'<p class="meta">{e(customer_line(verdict, w))}</p></header>',
           f'<section id="summary"><h2>{e(w("summary"))}</h2>',
           f'<p class="verdict {tone}" id="verdict">{e(w("verdict"))}: {e(headline(verdict, w))}</p>']
    note = what_if_note(verdict, w)
    if note:
        out.append(f'<p class="what-if">{e(note)}</p>')
    bullets = summary_lines(verdict, w) + distance_lines(verdict, w)
    if bullets:
        out.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in bullets) + "</ul>")
    out.append("</section>")
    facts = c.fact_rows()
    if facts:
        out.append(f'<section id="facts"><h2>{e(w("facts"))}</h2>' +
                   _html_table([w("fact"), w("value")], [list(r) for r in facts], numeric={1}) + "</section>")
    if c.month is not None:
        out += _html_month(c)
    out.append(f'<section id="rules"><h2>{e(w("rules"))}</h2>')
    quoted = c.quoted_first()
    for decision in verdict.decisions:
        kind = decision.revision.code_text(decision.record.type, lang)
        out.append(f"<h3>{e(w('record_heading', record=decision.record.id, type=kind))}</h3>")
        for finding in decision.findings:
            word = outcome_word(finding.revision, finding.outcome, lang)
            cite = w("clause_quote", clause=finding.clause, revision=finding.revision.revision)
            quote = (f'<blockquote lang="{"zh-CN" if lang == "zh" else "en"}"><span class="cite">{e(cite)}</span>'
                     f'{e(c.clause(finding))}</blockquote>' if id(finding) in quoted else
                     f'<p class="cite-above">{e(w("clause_above", clause=finding.clause, revision=finding.revision.revision))}</p>')
            out.append(f'<div class="finding {e(finding.outcome)}"><p><span class="outcome">{e(word)}</span> '
                       f'<code>{e(finding.rule)}</code> [{e(finding.clause)}] ({e(finding.revision.revision)}): '
                       f'{e(finding.message)}</p>{quote}</div>')
    out.append("</section>")
    cases = c.cases()
    if cases:
        out.append(f'<section id="cases"><h2>{e(w("cases"))}</h2>' +
                   _html_table(_case_heads(w), [_case_cells(d, lang) for d in cases], numeric={1, 3, 4}) +
                   f"<p>{e(w('evaluated_at', now=iso(verdict.options.now)))}</p></section>")
    out.append(f'<section id="revisions"><h2>{e(w("revisions_used"))}</h2>' +
               _html_table([w("revisions_table_role"), w("revisions_table_revision"), w("revisions_table_effective"),
                            w("revisions_table_why"), w("revisions_table_sha256")], c.revision_rows(), hashes={4},
                           nowrap={1, 2}))
    margins = [(d, m) for d, m in verdict.margins()
               if d is verdict.claim or (verdict.claim is None and d is verdict.decisions[0])]
    if margins:
        out.append("<ul>" + "".join(f"<li>{e(w(f'role.{m.selection.role}', record=d.record.id))}: "
                                    f"{e('; '.join(margin_lines(m, w)))}</li>" for d, m in margins) + "</ul>")
    out.append("</section>")
    if what_if is not None:
        header, rows = what_if_rows(what_if, w)
        out.append(f'<section id="what-if"><h2>{e(w("what_if_title"))}</h2><p class="what-if">{e(w("what_if_explain"))}</p>'
                   + _html_table(header, rows, nowrap={0, 1, 6}) + f"<h3>{e(w('changes'))}</h3><ul class=\"changes\">"
                   + "".join(f'<li class="level-{_level(line)}">{e(line.strip())}</li>' for line in step_lines(what_if, lang, w))
                   + "</ul></section>")
    out.append(f'<section id="receipt"><h2>{e(w("receipt"))}</h2>' +
               _html_table(["", "sha256"], [list(r) for r in c.receipt_rows()], hashes={1}) +
               f"<p>{e(w('receipt_note', file=c.receipt['run']['source']))}</p></section>")
    out.append(f"<footer>{e(w('generated', version=__version__, policy=verdict.family.name))}</footer>")
    out.append("</main></body></html>\n")
    return "\n".join(out)


def _level(line: str) -> int:
    """The nesting of a line of `step_lines` (indented by two spaces a level)."""
    return (len(line) - len(line.lstrip(" "))) // 2


def _html_month(c: _Content) -> list[str]:
    w, e = c.words, escape
    f = c.month.facts  # type: ignore[union-attr]
    rows = c.outages()
    header, body = c.outage_table()
    table = _html_table(header, body, numeric={5, 7, 8}, total_last=True) + f'<p class="note">{e(w("overlap_rule"))}</p>'
    revision = c.month.selections[0].revision  # type: ignore[union-attr]
    uptime = f["uptime_percent"]
    tiers = "".join(f'<tr class="{"applies" if applies else ""}"><td>{e(below)}%</td><td>{e(pct)}%</td>'
                    f'<td>{e(w("yes") if applies else w("no"))}</td></tr>' for below, pct, applies in c.tier_rows())
    return [
        f'<section id="timeline"><h2>{e(w("timeline", month=f["month"]))}</h2><figure>',
        timeline(rows, f["month_start"], f["month_end"], w),
        f'<figcaption>{e(w("timeline_caption", month_start=iso(f["month_start"]), month_end=iso(f["month_end"])))}</figcaption>',
        f"</figure>{table}</section>",
        f'<section id="chart"><h2>{e(w("chart"))}</h2><figure>',
        tier_chart(revision.tiers, uptime, w),
        f'<figcaption>{e(w("chart_caption", uptime_percent=c.month.result["uptime_percent"], revision=revision.revision))}</figcaption>',  # type: ignore[union-attr]
        f'</figure><table><thead><tr><th>{e(w("tier_table_below"))}</th><th>{e(w("tier_table_percent"))}</th>'
        f'<th>{e(w("tier_table_applies"))}</th></tr></thead><tbody>{tiers}</tbody></table></section>',
    ]


def _html_table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset(),  # type: ignore[assignment]
                hashes: set[int] = frozenset(), nowrap: set[int] = frozenset(),  # type: ignore[assignment]
                total_last: bool = False) -> str:
    def cell(i: int, value: Any) -> str:
        cls = ' class="num"' if i in numeric else ' class="hash"' if i in hashes else ' class="nowrap"' if i in nowrap else ""
        return f"<td{cls}>{escape(str(value))}</td>"

    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(("<tr class=\"total\">" if total_last and n == len(rows) - 1 else "<tr>")
                   + "".join(cell(i, v) for i, v in enumerate(row)) + "</tr>" for n, row in enumerate(rows))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(verdict: Verdict, fmt: str, lang: str, what_if: WhatIf | None = None) -> str:
    return {"markdown": markdown, "html": html}[fmt](verdict, lang, what_if)
