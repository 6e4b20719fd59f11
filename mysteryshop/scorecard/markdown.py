"""A Markdown summary for CI job summaries ($GITHUB_STEP_SUMMARY) and pull-request comments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mysteryshop.durations import format_duration
from mysteryshop.scorecard.labels import interruption_line, metric_rows, problem_line
from mysteryshop.untrusted import markdown_inline


def _pct(value: Any) -> str:
    return "—" if not isinstance(value, int | float) else f"{value * 100:.0f}%"


def _cell(text: Any) -> str:
    """Literal text (reply quotes, reasons that quote replies, names): nothing in it becomes Markdown or HTML."""
    return markdown_inline(text)


def markdown_summary(card: Mapping[str, Any], *, gate: Mapping[str, Any] | None = None, scorecard_url: str | None = None) -> str:
    """The run in a few lines of GitHub-flavoured Markdown: grades, headline metrics, worst moments, the gate."""
    summary = card["summary"]
    grade = summary["grade"]
    lines = [
        f"## Mystery-shopping league: {len(card['league'])} companies" if len(card.get("league") or ()) > 1 else
        f"## Mystery-shopping scorecard: grade **{grade['grade']}** ({grade['score'] if grade['score'] is not None else '—'}/100)",
        "",
        f"Run `{card['run']['id']}` · {summary['probes']} probes: {summary['passed']} passed, {summary['failed']} failed, "
        f"{summary['error']} errors" + (f", {summary['interrupted']} interrupted" if summary.get("interrupted") else "")
        + f" · targets: {', '.join(summary['targets'])}",
        "",
    ]
    interruption, problems = interruption_line(card), problem_line(summary)
    if interruption:
        lines[2:2] = [f"**{interruption}.**", ""]
    if problems:
        lines += [f"**{problems}.**", ""]
    promised = summary.get("promises") or {}
    if any(promised.values()):
        lines += [f"Promised reply times: {promised.get('kept', 0)} kept, {promised.get('broken', 0)} broken, {promised.get('open', 0)} not yet due.", ""]
    league = card.get("league") or []
    if len(league) > 1:
        lines += _league_lines(league)
    if card.get("channels") and len(league) < 2:  # several companies: their grades are in the league, none blended
        lines.append("Channels: " + ", ".join(f"{name} **{c['grade']['grade']}** ({c.get('contacts', c['probes'])} contacts)"
                                              for name, c in card["channels"].items()))
        lines.append("")
    if gate is not None:
        against = f" against baseline `{gate['baseline_run']}`" if gate.get("baseline_run") else ""
        lines += [f"**Regression gate: {gate['verdict']}**{against}", ""]
        regressions = [c for c in gate.get("changes", []) if c["regressed"]]
        for change in regressions:
            p_value = f", p = {change['p_text']}" if change.get("p_text", "—") != "—" else ""
            whose = f"{change['company']}: " if change.get("company") else ""
            lines.append(f"- ❌ {whose}{change['label']}: {change['baseline_text']} → {change['current_text']} "
                         f"(tolerance {change['tolerance_text']}{p_value})")
        unmet = [r for r in gate.get("requirements", []) if not r["met"]]
        for requirement in unmet:
            whose = f" ({requirement['company']})" if requirement.get("company") else ""
            lines.append(f"- ❌ requirement `{requirement['requirement']}`{whose}: {requirement['reason']}")
        if regressions or unmet:
            lines.append("")
    if grade.get("reason"):
        lines += [f"**Not graded: {_cell(grade['reason'])}.**", ""]
    lines += ["| What the customer experienced | Measured (95% interval) | Median (95% interval) | p90 | Industry |", "|---|---:|---:|---:|---|"]
    for row in metric_rows(card):
        ind = row["industry"] or {}
        lines.append(f"| {row['channel_title']} · {row['label']} | {row['measured']} | {row['median']} | {row['p90']} | "
                     f"{_pct(ind.get('rate')) if ind.get('rate') is not None else ''} |")
    if card.get("perception_gap"):
        lines += ["", "| Believed | Measured median | Customers who got it in time |", "|---|---:|---:|"]
        for gap in card["perception_gap"]:
            lines.append(f"| {gap['expect']} within {gap['believed']} | {gap['median']} | {_pct(gap['met_rate'])} |")
    if card.get("worst_moments"):
        lines += ["", "**Worst moments**", ""]
        for i, moment in enumerate(card["worst_moments"], 1):
            lines.append(f"{i}. {_cell(moment['journey'])}/{_cell(moment['step'])} — {_cell(moment['reason'])} "
                         f"({_cell(moment['persona'])}, {moment['utc'] or '—'})")
            if moment["quote"]:
                lines.append(f"   > {_cell(moment['quote'][:200])}")
    if scorecard_url:
        lines += ["", f"[Full scorecard]({scorecard_url})"]
    return "\n".join(lines) + "\n"


def _league_lines(league: list[Mapping[str, Any]]) -> list[str]:
    """The league table: rank, company, grade and score, the figures some company has, n."""
    from mysteryshop.scorecard.companies import league_columns

    columns = league_columns(league)

    def figure(row: Mapping[str, Any], column: Mapping[str, str]) -> str:
        value, counted = row["values"].get(column["key"]), (row.get("counts") or {}).get(column["key"])
        if column["unit"] == "rate":
            return _pct(value) + (f" ({counted['count']}/{counted['of']})" if counted else "")
        if value is None:
            return "—"
        return format_duration(value * 1e9) if column["unit"] == "seconds" else f"{value:g}"

    lines = [f"**League of {len(league)} companies** (each graded on its own probes; the figures further down are of all together)", "",
             "| Rank | Company | Grade | Score | " + " | ".join(c["label"] for c in columns) + " | n |",
             "|---:|---|---|---:|" + "---:|" * len(columns) + "---:|"]
    for row in league:
        lines.append(f"| {row['rank'] if row['rank'] is not None else '—'} | {_cell(row['title'])} | **{row['grade']}** | "
                     f"{row['score'] if row['score'] is not None else '—'} | " + " | ".join(figure(row, c) for c in columns) + f" | {row['n']} |")
    return [*lines, ""]
