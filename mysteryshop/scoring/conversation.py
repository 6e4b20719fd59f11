"""The questions a company asked the persona, and its answers, as the scorecard shows them (evidence). Pure.

Read from `Timeline.asked` (event `agent_asked`, converse/answering.py). A company that asked for a detail the
customer had already given is judged by the `asks_again` criterion and `no_repeat_questions`; here every
question is listed, answered or not, with the sentence that asked.
"""

from __future__ import annotations

from typing import Any

from mysteryshop.durations import format_duration
from mysteryshop.scoring.timeline import ANSWER_STEP, Timeline

#: what each detail a company may ask for is called, for records and people (converse/asked.py reads them)
LABELS = {"order_id": "order number", "phone": "phone number", "address": "postal address", "email": "email address",
          "name": "name", "photo": "photo", "ticket": "ticket number"}


def _what(asks: list[dict[str, Any]]) -> str:
    return ", ".join(LABELS.get(a.get("detail", ""), a.get("label", "")) if a.get("detail") != "other" else a.get("label", "")
                     for a in asks) or "something"


def questions(timeline: Timeline, start_ns: int, speedup: float) -> list[dict[str, Any]]:
    """Each time the company asked the persona for something: when (company time after the first action), what (with its
    quote), and what the persona did: gave, lacked, by which engine (and why it fell back), or why it did not answer."""
    found = []
    for record in sorted(timeline.asked, key=lambda r: r.get("reply_t_ns") or r.get("t_ns") or 0):
        asked_at = record.get("reply_t_ns") or record.get("t_ns") or start_ns
        entry = {
            "channel": record.get("channel", "email"), "utc": record.get("utc"), "subject": record.get("subject", ""),
            "after_ns": max(0, int((asked_at - start_ns) * speedup)), "asks": list(record.get("asks") or []),
            "what": _what(list(record.get("asks") or [])), "answered": bool(record.get("answered")),
            "gave": list(record.get("gave") or []), "lacked": list(record.get("lacked") or []),
            "engine": record.get("engine"), "fallback": record.get("fallback"), "why_not": record.get("why_not"),
            "language": record.get("language"), "step": record.get("step"),
        }
        entry["after"] = format_duration(entry["after_ns"])
        if entry["answered"] and record.get("answered_t_ns"):
            took = max(0, int((record["answered_t_ns"] - asked_at) * speedup))
            entry["answered_after_ns"], entry["answered_after"] = took, format_duration(took)
        found.append(entry)
    return found


def question_event(question: dict[str, Any]) -> dict[str, Any]:
    """The scorecard timeline's line for one question."""
    if question["answered"]:
        did = f"the customer answered {question.get('answered_after', '')} later".replace("  ", " ")
        if question["lacked"]:
            did += f", saying it lacks the {', '.join(question['lacked'])}"
        did += f" ({question['engine']}{'; ' + question['fallback'] if question['fallback'] else ''})"
    else:
        did = f"not answered: {question['why_not']}"
    return {"after_ns": question["after_ns"], "after": question["after"], "utc": question["utc"], "kind": "asked", "step": question["step"],
            "text": f"the company asked for the {question['what']}; {did}"}


def is_answer_step(step: str) -> bool:
    """Whether an action is the persona answering the company (not a step of the journey)."""
    return step.startswith(ANSWER_STEP)


def questions_back(timeline: Timeline) -> set[int]:
    """The times of the email replies that asked the customer for something the persona answered (or is about to): the
    company's questions, which an `answer` expectation does not take for its answer while something else may come."""
    return {int(r["reply_t_ns"]) for r in timeline.asked
            if r.get("channel", "email") == "email" and r.get("answered") is not False and r.get("reply_t_ns") is not None}


def customer_pauses(timeline: Timeline, start_ns: int, now_ns: int) -> list[tuple[int, int]]:
    """When the company was waiting for the customer (timeline ns, from `start_ns` on): from an email that asked the
    persona for something until the persona's answer went out (until `now_ns` while it is still to go). Merged, in order.
    A company is not late for the time its customer took to answer its question, as help desks pause their own SLAs."""
    spans = []
    for record in timeline.asked:
        begin = record.get("reply_t_ns")
        if record.get("channel", "email") != "email" or record.get("answered") is False or begin is None or begin < start_ns:
            continue
        end = record.get("answered_t_ns") if record.get("answered") else now_ns
        if end is not None and end > begin:
            spans.append((int(begin), int(end)))
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def paused_before(pauses: list[tuple[int, int]], t_ns: int) -> int:
    """How long (timeline ns) of `pauses` lies before `t_ns`."""
    return sum(max(0, min(end, t_ns) - begin) for begin, end in pauses if begin < t_ns)
