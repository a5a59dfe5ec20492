"""The engine's own wording for dispute verdicts and reports, one dict per language.

SLA text (clause quotes, finding messages, the outcome words, fact labels, the
change log) comes from the policy YAML; what is here is the frame around it:
headings, labels and the sentences that state distances and revision choices.
Both dicts have the same keys (tests/test_report.py checks it).
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Any

from engine.lang.conditions import show
from engine.exact import decimal_text

EN: dict[str, str] = {
    # verdict
    "dispute": "Dispute: {title}",
    "customer_line": "Customer {customer} · policy {policy} · {records} record(s)",
    "what_if_note": "What-if: every record is decided under revision {revision} (in force on {as_of}), "
                    "not under the revisions that actually governed it.",
    "verdict": "Verdict",
    "code.eligible": "ELIGIBLE",
    "code.not_eligible": "NOT ELIGIBLE",
    "code.credit_due": "CREDIT DUE",
    "code.no_credit": "NO CREDIT DUE",
    "code.met": "MET",
    "code.breached": "BREACHED",
    "code.pending": "PENDING",
    "claim_eligible": "a {credit_percent}% credit of {credit_amount} {currency}, settled as {settlement}",
    "claim_not_eligible": "no credit is payable ({reasons}); the month's uptime alone would earn {credit_percent}%",
    "month_line": "uptime in {month}: {uptime_percent}%, credit tier {credit_percent}%",
    "asserted_upheld": "The customer asserts {asserted}; the verdict upholds it.",
    "asserted_not_upheld": "The customer asserts {asserted}; the verdict does not uphold it.",
    "asserted_percent": "a {value}% credit",
    "asserted_amount": "{value} {currency}",
    "asserted_and": " and ",
    "cases_line": "support cases: {met} met, {breached} breached, {pending} pending",
    # revisions
    "revisions_used": "Revisions used",
    "role.record": "record {record}",
    "role.uptime and tiers": "uptime and tiers",
    "role.claim procedure": "claim procedure",
    "selection": "{role}: revision {revision} (effective {effective}), because {anchor} is {anchor_value}",
    "selection_as_of": "{role}: revision {revision}, chosen by --as-of {anchor_value} (what-if)",
    "selection_again": "{role}: revision {revision}, as above",
    "anchor.submitted_at": "submitted_at",
    "anchor.month (first instant)": "the month's first instant",
    "since_start": "{anchor_value} is {duration} after revision {revision} took effect ({starts_at})",
    "until_next": "the next revision, {next}, took effect {duration} later ({next_starts_at})",
    "latest": "it is the latest revision",
    "sha256_line": "file sha256 {sha256}",
    # distances
    "distances": "Distance to the thresholds",
    "tier_worse": "more than {minutes} more minutes of unavailability would have reached the {percent}% tier "
                  "(uptime below {below}%; now {points} points above it)",
    "tier_top": "the {percent}% tier is the highest; no more unavailability raises the credit",
    "tier_better_to": "{minutes} fewer minutes of unavailability would have left the {current}% tier "
                      "(uptime no longer below {below}%), for {next}",
    "tier_next_credit": "a {percent}% credit",
    "tier_no_credit": "no credit",
    "window_within": "the claim was filed {duration} before the window closed ({closes_at})",
    "window_after": "the claim was filed {duration} after the window closed ({closes_at})",
    "window_before_month_end": "the claim was filed {duration} before the month ended ({month_end})",
    # findings
    "findings": "Findings",
    "finding": "{outcome} {rule} [{clause}] ({revision}): {message}",
    "record_heading": "{record} ({type})",
    # what-if
    "what_if_title": "What-if: the same dispute under every revision",
    "what_if_explain": "Each row decides every record as if that revision governed everything (--as-of its "
                       "effective date). This is hypothetical; the actual verdict is the first line. "
                       "* marks a revision under which the outcome differs from the one before.",
    "actual": "Actual verdict: {verdict}",
    "col.revision": "revision",
    "col.effective": "effective",
    "col.governs": "governs (actual)",
    "col.verdict": "verdict",
    "col.uptime_percent": "uptime %",
    "col.credit_percent": "credit %",
    "col.credit_amount": "amount",
    "col.reasons": "reasons",
    "changes": "What changes between revisions, and why",
    "no_changes": "The outcome is the same under every revision.",
    "step": "{before} → {after}: the outcome changes:",
    "step_same": "{before} → {after}: the same outcome",
    "step_same_but": "{before} → {after}: the same outcome, though these findings differ:",
    "field_change": "{key}: {before} → {after}",
    "rule_change": "{record}: rule {rule} [{clause}]: {before} → {after}: {message}",
    "clause_changed": "clause {clause} was changed in {revision}",
    "clause_same": "the text of clause {clause} is the same in both revisions; a parameter changed",
    "change_log": "change log of {revision}: {text}",
    "none": "none",
    "changed_mark": "changed",
    # report
    "report_title": "Dispute report: {title}",
    "summary": "Summary",
    "facts": "Facts",
    "fact": "fact",
    "value": "value",
    "timeline": "Outages in {month}",
    "timeline_caption": "Each outage in the month ({month_start} to {month_end}); an arrow marks one that runs past the month's edge.",
    "legend.counted": "counts as unavailable (a critical function, attributable cause)",
    "legend.excluded": "uptime exclusion (counts only where no attributable outage overlaps)",
    "legend.ignored": "not counted (no critical function)",
    "col.start": "start",
    "col.end": "end",
    "col.functions": "functions",
    "col.cause": "cause",
    "col.minutes_in_month": "minutes in the month",
    "col.counted_as": "counted as",
    "counted_as.counted": "unavailable (B)",
    "counted_as.excluded": "excluded (C)",
    "counted_as.ignored": "not counted",
    "crosses_edge": "runs past the month's edge",
    "chart": "Uptime against the credit tiers",
    "chart_caption": "The month's uptime ({uptime_percent}%) against the tiers of revision {revision}; each band is one tier.",
    "chart_uptime": "uptime {uptime_percent}%",
    "chart_band": "below {below}%: {percent}%",
    "chart_band_none": "no credit",
    "tier_table_below": "uptime below",
    "tier_table_percent": "credit",
    "tier_table_applies": "applies",
    "yes": "yes",
    "no": "no",
    "rules": "Rules and the clauses quoted",
    "clause_quote": "Clause {clause} (revision {revision})",
    "outcome": "outcome",
    "revisions_table_role": "role",
    "revisions_table_revision": "revision",
    "revisions_table_effective": "effective",
    "revisions_table_why": "why",
    "revisions_table_sha256": "file sha256",
    "receipt": "Receipt",
    "receipt_note": "Verify with `sla verify RECEIPT.json`; write the receipt with `sla replay {file} --receipt RECEIPT.json`.",
    "receipt.input": "input (canonical bundle) sha256",
    "receipt.decision": "decision sha256",
    "receipt.receipt": "receipt sha256",
    "receipt.engine": "engine",
    "receipt.policy": "policy file {file}",
    "receipt.schema": "schema {file}",
    "cases": "Support cases",
    "generated": "Generated by sla-engine {version} under policy {policy}.",
    "evaluated_at": "Response clocks evaluated at {now}.",
    # durations
    "day": "{n} day", "days": "{n} days",
    "hour": "{n} hour", "hours": "{n} hours",
    "minute": "{n} minute", "minutes": "{n} minutes",
    "second": "{n} second", "seconds": "{n} seconds",
    "duration_join": " ",
}

ZH: dict[str, str] = {
    "dispute": "争议:{title}",
    "customer_line": "客户 {customer} · 政策 {policy} · {records} 条记录",
    "what_if_note": "假设分析:所有记录均按版本 {revision}({as_of} 生效)判定,而非实际适用的版本。",
    "verdict": "结论",
    "code.eligible": "符合条件",
    "code.not_eligible": "不符合条件",
    "code.credit_due": "应付积分",
    "code.no_credit": "无应付积分",
    "code.met": "达成",
    "code.breached": "违约",
    "code.pending": "待定",
    "claim_eligible": "{credit_percent}% 的积分,金额 {credit_amount} {currency},结算方式 {settlement}",
    "claim_not_eligible": "不支付积分({reasons});仅按该月正常运行时间可得 {credit_percent}%",
    "month_line": "{month} 的正常运行时间:{uptime_percent}%,积分等级 {credit_percent}%",
    "asserted_upheld": "客户主张 {asserted};结论支持该主张。",
    "asserted_not_upheld": "客户主张 {asserted};结论不支持该主张。",
    "asserted_percent": "{value}% 的积分",
    "asserted_amount": "{value} {currency}",
    "asserted_and": "及",
    "cases_line": "支持案例:{met} 个达成,{breached} 个违约,{pending} 个待定",
    "revisions_used": "适用版本",
    "role.record": "记录 {record}",
    "role.uptime and tiers": "正常运行时间与积分等级",
    "role.claim procedure": "申请程序",
    "selection": "{role}:版本 {revision}({effective} 生效),因为 {anchor} 为 {anchor_value}",
    "selection_as_of": "{role}:版本 {revision},由 --as-of {anchor_value} 指定(假设分析)",
    "selection_again": "{role}:版本 {revision},同上",
    "anchor.submitted_at": "提交时间 submitted_at",
    "anchor.month (first instant)": "该月的第一个时刻",
    "since_start": "{anchor_value} 在版本 {revision} 生效({starts_at})之后 {duration}",
    "until_next": "下一版本 {next} 于其后 {duration} 生效({next_starts_at})",
    "latest": "这是最新版本",
    "sha256_line": "文件 sha256 {sha256}",
    "distances": "与阈值的距离",
    "tier_worse": "不可用时间再多 {minutes} 分钟以上即会达到 {percent}% 等级(正常运行时间低于 {below}%;目前高出 {points} 个百分点)",
    "tier_top": "{percent}% 已是最高等级;更多不可用时间不会提高积分",
    "tier_better_to": "不可用时间少 {minutes} 分钟即会离开 {current}% 等级(正常运行时间不再低于 {below}%),得到{next}",
    "tier_next_credit": " {percent}% 的积分",
    "tier_no_credit": "无积分",
    "window_within": "申请在期限截止前 {duration} 提交({closes_at} 截止)",
    "window_after": "申请在期限截止后 {duration} 提交({closes_at} 截止)",
    "window_before_month_end": "申请在该月结束前 {duration} 提交(该月结束于 {month_end})",
    "findings": "规则结论",
    "finding": "{outcome} {rule} [{clause}]({revision}):{message}",
    "record_heading": "{record}({type})",
    "what_if_title": "假设分析:同一争议在各版本下的结果",
    "what_if_explain": "每一行都假设该版本适用于所有内容(--as-of 为其生效日期)。这是假设;实际结论见第一行。"
                       "* 表示该版本下的结果与前一版本不同。",
    "actual": "实际结论:{verdict}",
    "col.revision": "版本",
    "col.effective": "生效日期",
    "col.governs": "实际适用于",
    "col.verdict": "结论",
    "col.uptime_percent": "正常运行时间 %",
    "col.credit_percent": "积分 %",
    "col.credit_amount": "金额",
    "col.reasons": "原因",
    "changes": "各版本之间的变化及原因",
    "no_changes": "在所有版本下结果相同。",
    "step": "{before} → {after}:结果改变:",
    "step_same": "{before} → {after}:结果相同",
    "step_same_but": "{before} → {after}:结果相同,但以下结论不同:",
    "field_change": "{key}:{before} → {after}",
    "rule_change": "{record}:规则 {rule} [{clause}]:{before} → {after}:{message}",
    "clause_changed": "条款 {clause} 在 {revision} 中有修改",
    "clause_same": "条款 {clause} 的文本在两个版本中相同;变化的是参数",
    "change_log": "{revision} 的变更记录:{text}",
    "none": "无",
    "changed_mark": "有变化",
    "report_title": "争议报告:{title}",
    "summary": "摘要",
    "facts": "事实",
    "fact": "事实",
    "value": "值",
    "timeline": "{month} 的中断",
    "timeline_caption": "该月({month_start} 至 {month_end})的每次中断;箭头表示跨越月份边界的中断。",
    "legend.counted": "计为不可用(关键功能,可归责原因)",
    "legend.excluded": "正常运行时间排除(仅在无可归责中断重叠处计入)",
    "legend.ignored": "不计入(无关键功能)",
    "col.start": "开始",
    "col.end": "结束",
    "col.functions": "功能",
    "col.cause": "原因",
    "col.minutes_in_month": "当月分钟数",
    "col.counted_as": "计为",
    "counted_as.counted": "不可用(B)",
    "counted_as.excluded": "排除(C)",
    "counted_as.ignored": "不计入",
    "crosses_edge": "跨越月份边界",
    "chart": "正常运行时间与积分等级",
    "chart_caption": "该月正常运行时间({uptime_percent}%)与版本 {revision} 的积分等级;每个色带为一个等级。",
    "chart_uptime": "正常运行时间 {uptime_percent}%",
    "chart_band": "低于 {below}%:{percent}%",
    "chart_band_none": "无积分",
    "tier_table_below": "正常运行时间低于",
    "tier_table_percent": "积分",
    "tier_table_applies": "适用",
    "yes": "是",
    "no": "否",
    "rules": "规则及所引条款",
    "clause_quote": "条款 {clause}(版本 {revision})",
    "outcome": "结果",
    "revisions_table_role": "用途",
    "revisions_table_revision": "版本",
    "revisions_table_effective": "生效日期",
    "revisions_table_why": "原因",
    "revisions_table_sha256": "文件 sha256",
    "receipt": "回执",
    "receipt_note": "用 `sla verify RECEIPT.json` 验证;用 `sla replay {file} --receipt RECEIPT.json` 生成回执。",
    "receipt.input": "输入(规范化争议包)sha256",
    "receipt.decision": "决定 sha256",
    "receipt.receipt": "回执 sha256",
    "receipt.engine": "引擎",
    "receipt.policy": "政策文件 {file}",
    "receipt.schema": "模式 {file}",
    "cases": "支持案例",
    "generated": "由 sla-engine {version} 按政策 {policy} 生成。",
    "evaluated_at": "响应计时的评估时间为 {now}。",
    "day": "{n} 天", "days": "{n} 天",
    "hour": "{n} 小时", "hours": "{n} 小时",
    "minute": "{n} 分钟", "minutes": "{n} 分钟",
    "second": "{n} 秒", "seconds": "{n} 秒",
    "duration_join": " ",
}

WORDS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}


class Words:
    """The wording of one language: `words("key", name=value, ...)`; values are shown
    as a person reads them (exact numbers as decimals, instants in UTC)."""

    def __init__(self, lang: str):
        self.lang = lang
        self.table = WORDS[lang]

    def anchor(self, anchor: str) -> str:
        """What chose a revision ("submitted_at", "the month's first instant"), in this language."""
        return self.table.get(f"anchor.{anchor}", anchor)

    def __call__(self, key: str, /, **values: Any) -> str:
        return self.table[key].format_map({k: v if isinstance(v, str) else show(v) for k, v in values.items()})

    def duration(self, delta: timedelta) -> str:
        """`2 days 15 hours`, exact to the microsecond, zero units left out."""
        total = delta.days * 86400 + delta.seconds
        days, rest = divmod(total, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        exact_seconds = Fraction(seconds) + Fraction(delta.microseconds, 1_000_000)
        parts = []
        for n, one, many in ((days, "day", "days"), (hours, "hour", "hours"), (minutes, "minute", "minutes")):
            if n:
                parts.append(self.table[one if n == 1 else many].format(n=n))
        if exact_seconds or not parts:
            parts.append(self.table["second" if exact_seconds == 1 else "seconds"].format(n=decimal_text(exact_seconds)))
        return self.table["duration_join"].join(parts)
