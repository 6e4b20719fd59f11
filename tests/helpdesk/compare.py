"""A scorecard against what the Roundup desk really did (`roundup_desk.truth`): pure functions.

Each issue Roundup created is paired with the probe whose persona wrote it (the issue's customer address), and
three times are compared, each with the desk's own record of it:

- probe: when the customer's message reached the desk, as the scorecard's clock for the probe starts (email:
  the intake's 250; web form: the click) against, for email, the intake's end of DATA (intake.jsonl; the issue
  itself is created when roundup-mailgw runs, after the message was queued: `gateway_delays_s`), for a form,
  the issue's creation in Roundup's database (the form's action creates it while the browser waits);
- acknowledgement: the scorecard's acknowledgement time (the clock's start plus the measured latency) against
  the desk's delivery of Roundup's copy of the customer's message (outbound.jsonl) and that message's creation
  in Roundup's database;
- answer: the same for the agent's message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def epoch_of(utc: str) -> float:
    return datetime.fromisoformat(utc).timestamp()


@dataclass(slots=True)
class Timing:
    issue: str
    probe: str
    what: str  # probe | acknowledgement | answer
    card_epoch: float
    desk_epoch: float  # the desk's most direct record (the intake's or the relay's log, or Roundup's creation time)
    created_epoch: float | None = None  # Roundup's creation time of the issue or message, where that is another record

    @property
    def error_s(self) -> float:
        return abs(self.card_epoch - self.desk_epoch)

    @property
    def created_error_s(self) -> float | None:
        return None if self.created_epoch is None else abs(self.card_epoch - self.created_epoch)


@dataclass(slots=True)
class Comparison:
    timings: list[Timing] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)  # issues the agent left unanswered, as the scorecard shows them
    replies_delivered: int = 0  # mails the desk delivered to personas of this card
    replies_in_card: int = 0  # of those, the ones the scorecard holds under their probe
    gateway_delays_s: list[float] = field(default_factory=list)


def _first(messages: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    return next((m for m in sorted(messages, key=lambda m: m["utc"]) if m["kind"] == kind), None)


def compare(card: dict[str, Any], truth: dict[str, Any], *, tolerance_s: float = 1.0) -> Comparison:
    """Every issue of the desk against its probe in the card; `problems` lists each mismatch in words."""
    result = Comparison()
    probes = {p["persona"]["email"].lower(): p for p in card["probes"]}
    intake = {r["mail_from"].lower(): r for r in truth["intake"] if r.get("accepted_epoch")}
    issues = [i for i in truth["issues"] if (i["customer"] or "").lower() in probes]
    others = [i["designator"] for i in truth["issues"] if i not in issues]
    if others:
        result.problems.append(f"issues with no probe of this scorecard: {', '.join(others)}")
    matched = {i["customer"].lower() for i in issues}
    for address, probe in probes.items():
        if address not in matched:
            result.problems.append(f"probe {probe['id']} ({address}) has no issue in Roundup")
    for issue in issues:
        probe = probes[issue["customer"].lower()]
        _compare_issue(issue, probe, intake.get(issue["customer"].lower()), result)
    for timing in result.timings:
        if timing.error_s > tolerance_s:
            result.problems.append(f"{timing.issue} {timing.what}: scorecard {timing.card_epoch:.3f}, desk {timing.desk_epoch:.3f} "
                                   f"({timing.error_s:.3f} s apart)")
        if timing.created_error_s is not None and timing.created_error_s > tolerance_s:
            result.problems.append(f"{timing.issue} {timing.what}: scorecard {timing.card_epoch:.3f}, Roundup created it at "
                                   f"{timing.created_epoch:.3f} ({timing.created_error_s:.3f} s apart)")
    return result


def anchor_epoch(probe: dict[str, Any]) -> float | None:
    """When the probe's clock started (Unix time): a message's arrival less its `after_ns` (exact for email and form
    alike), else the `sent` event's time. (A form's `sent` event carries the confirmation's time, while its clock
    starts at the click; a message's pair of times is consistent.)"""
    for message in probe["messages"]:
        if message.get("utc") and message.get("after_ns") is not None:
            return epoch_of(message["utc"]) - message["after_ns"] / 1e9
    sent = next((e for e in probe["events"] if e["kind"] == "sent" and e.get("utc")), None)
    return epoch_of(sent["utc"]) if sent else None


def _compare_issue(issue: dict[str, Any], probe: dict[str, Any], intake: dict[str, Any] | None, result: Comparison) -> None:
    name, pid = issue["designator"], probe["id"]
    anchor = anchor_epoch(probe)
    if anchor is None:
        result.problems.append(f"{name}: probe {pid} has no sent event")
        return
    if issue["via"] == "email":
        if intake is None:
            result.problems.append(f"{name}: no intake record for {issue['customer']}")
        else:
            result.timings.append(Timing(name, pid, "probe", anchor, intake["received_epoch"]))
            result.gateway_delays_s.append(issue["created_epoch"] - intake["received_epoch"])
    else:
        result.timings.append(Timing(name, pid, "probe", anchor, issue["created_epoch"]))
    customer_msgs = [m for m in issue["messages"] if not m["staff"]]
    agent_msgs = [m for m in issue["messages"] if m["staff"]]
    delivered = [d for m in issue["messages"] for d in m["deliveries"]
                 if d["delivered_epoch"] and issue["customer"].lower() in (a.lower() for a in d["to"])]
    result.replies_delivered += len(delivered)
    result.replies_in_card += len(probe["messages"])
    if len(probe["messages"]) != len(delivered):
        result.problems.append(f"{name}: the desk delivered {len(delivered)} mail(s) to {issue['customer']}, "
                               f"the scorecard holds {len(probe['messages'])} under probe {pid}")
    metrics = probe["metrics"]
    prefix = "" if issue["via"] == "email" else "form_"  # a web-form probe's email replies are measured as the form channel's
    for what, msgs, latency in (("acknowledgement", customer_msgs[:1], metrics.get(f"{prefix}acknowledged_ns")),
                                ("answer", agent_msgs[:1], metrics.get(f"{prefix}answered_ns"))):
        if not msgs:
            continue
        msg = msgs[0]
        delivery = next((d for d in msg["deliveries"] if d["delivered_epoch"]), None)
        if delivery is None:
            result.problems.append(f"{name}: Roundup's {what} (msg{msg['id']}) was never delivered")
        elif _first(probe["messages"], what) is None:
            result.problems.append(f"{name}: the desk delivered an {what} (msg{msg['id']}) the scorecard does not show as one "
                                   f"(its messages: {[m['kind'] for m in probe['messages']]})")
        elif latency is None:
            result.problems.append(f"{name}: the desk delivered an {what} (msg{msg['id']}), the scorecard measured none")
        else:  # the time the scorecard reports: its clock's start plus the measured latency
            result.timings.append(Timing(name, pid, what, anchor + latency / 1e9, delivery["delivered_epoch"], msg["created_epoch"]))
    answered = next((o for o in probe["outcomes"] if o["expect"] == "answer"), None)
    if issue["agent"] == "unanswered":
        if agent_msgs:
            result.problems.append(f"{name}: left unanswered on purpose, yet Roundup holds an agent message")
        if answered is None or answered["status"] == "passed" or metrics.get(f"{prefix}answered_ns") is not None:
            result.problems.append(f"{name}: left unanswered on purpose, the scorecard says answered ({answered and answered['status']})")
        else:
            result.unanswered.append(name)
    elif agent_msgs and (answered is None or answered["status"] != "passed"):
        result.problems.append(f"{name}: answered by the agent, the scorecard says {answered and answered['status']}: {answered and answered['reason']}")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def report(comparison: Comparison, out: Any = print) -> None:
    """The comparison in words: one line per measure, then each problem."""
    for what in ("probe", "acknowledgement", "answer"):
        errors = [t.error_s for t in comparison.timings if t.what == what]
        if errors:
            out(f"  {what:<16} {len(errors):>4} timed   scorecard vs desk: p50 {percentile(errors, 50) * 1000:.1f} ms, "
                f"max {max(errors) * 1000:.1f} ms")
    out(f"  replies          {comparison.replies_in_card} of {comparison.replies_delivered} the desk delivered are in the scorecard")
    out(f"  unanswered       {', '.join(comparison.unanswered) or 'none'} (left unanswered on purpose; the scorecard agrees)")
    for problem in comparison.problems:
        out(f"  MISMATCH {problem}")


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.helpdesk.compare SCORECARD_JSON TRUTH_JSON`: exit 1 when the scorecard and the desk disagree."""
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m tests.helpdesk.compare", description=main.__doc__)
    parser.add_argument("scorecard", type=Path)
    parser.add_argument("truth", type=Path)
    args = parser.parse_args(argv)
    comparison = compare(json.loads(args.scorecard.read_text()), json.loads(args.truth.read_text()))
    report(comparison)
    print("scorecard and desk agree" if not comparison.problems else f"{len(comparison.problems)} mismatch(es)")
    return 1 if comparison.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
