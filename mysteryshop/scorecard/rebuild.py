"""Rebuild what each probe lived through from the store alone, so scoring can run again later."""

from __future__ import annotations

import json
from dataclasses import dataclass
from collections.abc import Collection, Iterator
from typing import Any

import orjson

from mysteryshop.collect.parse import ParsedMail, from_stored, parse_mail, text_basis
from mysteryshop.scoring.classify import Reading, read_kind
from mysteryshop.scoring.stored_kind import decode as decode_reading, kind_key
from mysteryshop.scoring.shared_scores import StoredVerdicts, scorer_id
from mysteryshop.scoring.timeline import Action, Reply, Timeline, Visit
from mysteryshop.scoring.web import EVENT_KINDS as WEB_EVENT_KINDS, restore_event as restore_web_event
from mysteryshop.store import KIND_COLUMNS, Store, placeholders


@dataclass(slots=True)
class StoredProbe:
    probe_id: str
    journey: str
    target: str
    persona: dict[str, str]
    status: str
    error: str | None
    timeline: Timeline
    finished_ns: int | None
    late_replies: int
    wall_clock: bool = False  # a campaign's times are time.time_ns(), a pytest run's monotonic
    problem: str | None = None  # what stopped it (errors.MysteryShopError.problem): unreachable, misconfigured, interrupted, ...
    interrupted_ns: int | None = None  # when its run cut it short (not finished: `run --resume` can walk it on)


_MESSAGE_COLUMNS = ("id, probe_id, direction, t_ns, utc, message_id, in_reply_to, subject, text, defects, "
                    "full_text, html, auto_submitted, list_unsubscribe, precedence, text_basis, kind_reading, " + ", ".join(KIND_COLUMNS))
#: a row annotated before the kind columns were (its `from_addr` NULL) is parsed again from its raw bytes
_NEEDS_PARSE = "text_basis IS NULL OR from_addr IS NULL"


def load_probes(store: Store, run_id: str, *, reparse: bool = False) -> list[StoredProbe]:
    """Every probe of a run with its timeline, from the stored events and messages (see `iter_probes`)."""
    return list(iter_probes(store, run_id, reparse=reparse))


@dataclass(slots=True)
class StoredRun:
    """The rows of one run that scoring reads, fetched with one query per table (see `read_run`)."""

    run_id: str
    probes: list[Any]
    events_by_probe: dict[str, list[dict[str, Any]]]
    messages_by_probe: dict[str, list[dict[str, Any]]]
    wall_clock: bool
    reparse: bool
    verdicts: StoredVerdicts | None = None  # reply-quality verdicts the run recorded (None: score every reply)
    rekind: bool = False  # read every reply's kind again, not the kind kept when it came


def iter_probes(store: Store, run_id: str, *, reparse: bool = False) -> Iterator[StoredProbe]:
    """Every probe of a run with its timeline, one at a time (a scorecard of 10,000 probes need not hold every timeline).

    A message's parsed fields are read from the store where they were recorded when it was
    received (or sent); a message never annotated (an older store, a collector that stored it
    raw) is parsed from its raw bytes. `reparse` parses every raw message again, ignoring what
    was recorded: for a mail parser that has since improved. The result is the same either way.
    """
    return rebuild_probes(read_run(store, run_id, reparse=reparse))


def read_run(
    store: Store, run_id: str, *, reparse: bool = False, rescore: bool = False, only: Collection[str] | None = None,
    rekind: bool = False,
) -> StoredRun:
    """The probes, events and messages of a run; a message's raw bytes only where they must be parsed (see `iter_probes`);
    the reply-quality verdicts this scorer recorded in the run, unless `rescore`. With `only`, just those probes. Each reply's
    kind is the one kept when it came (scoring.stored_kind), unless `rekind` or `reparse`."""
    # few probes are asked for by id; more, and the whole run is read: one scan beats thousands of index lookups
    few = tuple(only) if only is not None and len(only) <= _FEW_PROBES else None
    where, params = "run_id = ?", (run_id,)
    if few is not None:
        ids = f"IN ({placeholders(len(few))})"
        where += f" AND probe_id {ids}"
        params += few
        probes = store.query(f"SELECT * FROM probes WHERE run_id = ? AND id {ids} ORDER BY rowid", params)
    else:
        probes = store.probes(run_id)
        if only is not None:
            probes = [row for row in probes if row["id"] in only]
    events_by_probe: dict[str, list[dict[str, Any]]] = {}
    wanted = ("sent", "step_entered", "probe_finished", "probe_interrupted", "probe_resumed", "probe_started", "captured", "agent_asked",
              *WEB_EVENT_KINDS)  # the kinds a timeline is rebuilt from
    for event in store.query_dicts(f"SELECT probe_id, kind, step, t_ns, utc, data FROM events WHERE {where} "
                                   f"AND kind IN ({placeholders(len(wanted))}) ORDER BY t_ns, id", (*params, *wanted)):
        events_by_probe.setdefault(event["probe_id"], []).append(event)
    columns = _MESSAGE_COLUMNS + (", raw" if reparse else f", CASE WHEN {_NEEDS_PARSE} THEN raw END AS raw")
    messages_by_probe: dict[str, list[dict[str, Any]]] = {}
    for message in store.query_dicts(f"SELECT {columns} FROM messages WHERE {where} ORDER BY t_ns, id", params):
        messages_by_probe.setdefault(message["probe_id"], []).append(message)
    run = store.query("SELECT config FROM runs WHERE id = ?", (run_id,))
    wall_clock = bool(run) and json.loads(run[0]["config"] or "{}").get("clock") == "wall"  # a campaign (campaign.py)
    verdicts = None if rescore else StoredVerdicts(store.verdicts(run_id, scorer_id(), few))
    return StoredRun(run_id, probes, events_by_probe, messages_by_probe, wall_clock, reparse, verdicts, rekind)


#: Up to this many probes, `read_run(only=...)` asks for their rows by id.
_FEW_PROBES = 500


def share_of(items: int, share: tuple[int, int]) -> range:
    """The indices of share `index` of `count` (contiguous, sizes differing by one at most)."""
    index, count = share
    return range(items * index // count, items * (index + 1) // count)


def rebuild_probes(stored: StoredRun, share: tuple[int, int] = (0, 1)) -> Iterator[StoredProbe]:
    """The probes of `stored` with their timelines, in run order; only those of `share` (index, count) when split.

    Consumes `stored`: a probe's rows are let go once its timeline is built.
    """
    reparse = stored.reparse

    def mail_of(message: Any, customer_text: str | None = None, basis: str = "") -> ParsedMail:
        if reparse or message["text_basis"] is None or message["from_addr"] is None:
            return parse_mail(message["raw"], customer_text=customer_text)
        return from_stored(message, customer_text, basis=basis)

    kinds: dict[tuple[Any, ...], Reading] = {}
    rekind = reparse or stored.rekind

    def kind_of(mail: ParsedMail, message: Any) -> Reading:
        """The kind the run read when the message came (kept beside it), when this classifier read it from these very
        fields; else read_kind (as Reply.of), once per distinct set of the fields it reads: companies repeat themselves."""
        if not rekind:
            kept = decode_reading(message["kind_reading"], mail)
            if kept is not None:
                return kept
        key = kind_key(mail)
        found = kinds.get(key)
        if found is None:
            found = kinds[key] = read_kind(mail)
        return found

    wall_clock = stored.wall_clock
    rows = stored.probes
    for index in share_of(len(rows), share):
        row = rows[index]
        pid = row["id"]
        events = stored.events_by_probe.pop(pid, [])
        messages = stored.messages_by_probe.pop(pid, [])
        outgoing = [mail_of(m).full_text for m in messages if m["direction"] == "out"]
        customer_text = outgoing[0] if outgoing else None
        basis = text_basis(customer_text)
        persona = json.loads(row["persona"])
        timeline = Timeline(persona=persona)
        finished_ns = interrupted_ns = kept_refs = None
        error = problem = None
        texts = iter(outgoing)
        for event in events:
            kind = event["kind"]
            if kind == "sent":
                data = orjson.loads(event["data"] or "{}")
                action = Action(event["step"], event["t_ns"], event["utc"], next(texts, customer_text or ""), data.get("transmitted_ns"),
                                data.get("message_id"))
                timeline.actions[event["step"]] = action
                timeline.action_log.append(action)
            elif kind == "step_entered":
                data = json.loads(event["data"])
                timeline.path.append(Visit(event["step"], data.get("visit", 1), event["t_ns"], data.get("anchor_ns")))
            elif kind in WEB_EVENT_KINDS:  # browser steps: form confirmations, chat transcripts
                restore_web_event(timeline, kind, event["step"], event["t_ns"], event["utc"], event["data"])
            elif kind == "probe_finished":
                finished_ns, interrupted_ns = event["t_ns"], None
                data = json.loads(event["data"])
                error = data.get("error")
                problem = data.get("problem") or _legacy_problem(error)
                kept_refs = set(data["kept_refs"]) if "kept_refs" in data else None  # a simulated desk's probe, ended on its clock
            elif kind == "probe_interrupted":  # cut short: judged as of then, unless resumed since
                interrupted_ns, problem = event["t_ns"], "interrupted"
                error = json.loads(event["data"]).get("error")
            elif kind == "agent_asked":
                timeline.asked.append({**orjson.loads(event["data"] or "{}"), "step": event["step"], "t_ns": event["t_ns"]})
            elif kind == "captured":
                timeline.captured.update(orjson.loads(event["data"] or "{}").get("values") or {})
            elif kind == "probe_started" and timeline.origin is None:
                timeline.origin = (event["t_ns"], event["utc"])
            elif kind == "probe_resumed":
                interrupted_ns = error = problem = None
        if interrupted_ns is None and finished_ns is None and row["status"] == "interrupted":
            # its process ended at once (a second Ctrl-C, kill -9): cut short when it last did something
            interrupted_ns = max([e["t_ns"] for e in events] + [m["t_ns"] for m in messages], default=0)
            problem, error = "interrupted", "interrupted: the process running it ended before it could record how far it got"
        late = 0
        for message in messages:
            if message["direction"] != "in":
                continue
            if finished_ns is not None and (message["t_ns"] > finished_ns or (kept_refs is not None and message["id"] not in kept_refs)):
                late += 1
                continue
            mail = mail_of(message, customer_text, basis)
            timeline.replies.append(Reply.read(message["t_ns"], message["utc"], mail, message["id"], kind_of(mail, message)))
        yield StoredProbe(pid, row["journey"], row["target"], persona, row["status"], error, timeline, finished_ns, late, wall_clock, problem,
                          interrupted_ns)


def _legacy_problem(error: str | None) -> str | None:
    """The problem of a probe stored before problems were recorded, from its error text."""
    if not error:
        return None
    return "unreachable" if error.startswith("target unreachable") else "error"
