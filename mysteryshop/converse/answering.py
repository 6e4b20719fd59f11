"""Answering the agent, inside a run: when a reply or chat message asks the persona for something, it answers.

For each email reply (not marketing, a survey, a bounce or an out-of-office) and each company chat message the
engine receives, `Answering` reads what it asks for (converse/asked.py). When it asks for anything, the persona
answers in the same thread (email: `Re:` its subject, In-Reply-To its Message-ID; chat: in the chat), after its
own delay (journey `answers.delay` / `chat_delay`, company time divided by the target's speedup), in its words and
language (converse/reply.py), or the LLM persona's (converse/llm.py) with the rules as fallback. Details it lacks
it says it lacks. Every question is recorded (event `agent_asked`): what was asked, with the quote; what the
persona gave and lacked; by which engine and why it fell back; or why it did not answer (its answers used up, the
journey ended first). The answer itself is an action of the probe (`sent` / `acted` with step `~answerN`), so the
scorecard reads the whole exchange as one conversation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from mysteryshop.converse.asked import Asked, asked_for
from mysteryshop.converse.llm import LlmPersona, PersonaLlmError
from mysteryshop.converse.reply import (
    PersonaAnswer,
    answer_delay_ns,
    postal_address,
    write_answer,
)
from mysteryshop.scoring.classify import BOUNCE, MARKETING, OUT_OF_OFFICE, SURVEY
from mysteryshop.scoring.timeline import ANSWER_STEP
from mysteryshop.store import utc_now

if TYPE_CHECKING:
    from mysteryshop.plan import ProbeSpec
    from mysteryshop.scoring.timeline import Reply, Timeline
    from mysteryshop.scoring.weblog import ChatMessage
    from mysteryshop.store import Store

log = logging.getLogger(__name__)
#: kinds of email a customer does not answer with details
#: how long (wall seconds) a simulated desk's probe waits at its end for answers due before the end to be sent
ANSWER_SETTLE_S = 30.0
NOT_ASKING = frozenset({MARKETING, SURVEY, BOUNCE, OUT_OF_OFFICE})


class Sender(Protocol):
    """What the engine offers to send an answer: an email in a thread, or a line in the probe's open chat."""

    async def send_answer_email(self, spec: ProbeSpec, timeline: Timeline, step: str, answer: PersonaAnswer, reply: Reply) -> int: ...

    async def say_answer_in_chat(self, spec: ProbeSpec, timeline: Timeline, step: str, text: str) -> int: ...


@dataclass(slots=True)
class _Conversation:
    answered: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    chat_seen: int = 0  # company chat messages already read
    pending: dict[asyncio.Task[None], dict[str, Any]] = field(default_factory=dict)
    #: a simulated desk's (speedup > 1): when each answer is due on the clock, counted from the question's counted time
    due: dict[asyncio.Task[None], int] = field(default_factory=dict)


class Answering:
    """The run's persona answers (one per engine: its LLM budget is the run's)."""

    def __init__(self, store: Store, run_id: str, clock: Callable[[], int], sender: Sender, llm: LlmPersona | None = None) -> None:
        self.store, self.run_id, self.clock, self.sender = store, run_id, clock, sender
        self._llm = llm
        self._conversations: dict[str, _Conversation] = {}

    @property
    def llm(self) -> LlmPersona:
        """The LLM persona, set up from the environment when a journey first asks for it (its budget is the run's)."""
        if self._llm is None:
            self._llm = LlmPersona.from_environment()
        return self._llm

    # -- what came in -------------------------------------------------------------------------------
    def email_received(self, spec: ProbeSpec, timeline: Timeline, reply: Reply) -> None:
        """Read one email reply; answer it (later, in a task) if it asks the persona for something."""
        if spec.journey.spec.answers.engine == "off" or reply.kind in NOT_ASKING:
            return
        asked = asked_for(reply.mail.text or reply.mail.full_text, reply.mail.html, timeline.customer_text_before(reply.t_ns) or None)
        if not asked:
            return
        source = {"channel": "email", "reply_t_ns": reply.t_ns, "message_ref": reply.message_ref, "subject": reply.mail.subject,
                  "utc": reply.utc}
        self._start(spec, timeline, asked, source, lambda n, answer: self.sender.send_answer_email(spec, timeline, f"{ANSWER_STEP}{n}", answer, reply),
                    company_text=reply.mail.text or reply.mail.full_text, subject=reply.mail.subject, chat=False)

    def chat_changed(self, spec: ProbeSpec, timeline: Timeline) -> None:
        """Read the company chat messages that arrived since the last look; answer the last one that asks for something."""
        if spec.journey.spec.answers.engine == "off":
            return
        conversation = self._conversations.setdefault(spec.probe_id, _Conversation())
        messages = [m for m in sorted(timeline.web.chat, key=lambda m: m.t_ns) if m.from_company and m.author != "typing"]
        new, conversation.chat_seen = messages[conversation.chat_seen :], len(messages)
        for message in reversed(new):
            asked = asked_for(message.text)
            if asked:
                self._chat(spec, timeline, asked, message)
                return

    def _chat(self, spec: ProbeSpec, timeline: Timeline, asked: Asked, message: ChatMessage) -> None:
        source = {"channel": "chat", "reply_t_ns": message.t_ns, "message_ref": None, "subject": f"chat ({message.author})",
                  "utc": message.utc}
        self._start(spec, timeline, asked, source, lambda n, answer: self.sender.say_answer_in_chat(spec, timeline, f"{ANSWER_STEP}{n}", answer.text),
                    company_text=message.text, subject="", chat=True)

    # -- answering ----------------------------------------------------------------------------------
    def _start(self, spec: ProbeSpec, timeline: Timeline, asked: Asked, source: dict[str, Any],
               send: Callable[[int, PersonaAnswer], Awaitable[int]], *, company_text: str, subject: str, chat: bool) -> None:
        conversation = self._conversations.setdefault(spec.probe_id, _Conversation())
        settings = spec.journey.spec.answers
        record = {**source, "language": asked.language, "asks": [a.as_dict() for a in asked.asks]}
        if conversation.answered >= settings.max:
            self._record(spec, timeline, {**record, "answered": False, "why_not": f"the persona has answered {settings.max} times in this probe "
                                                                            f"(answers.max in {spec.journey.path})"})
            return
        conversation.answered += 1
        number = conversation.answered
        record["pending"] = True
        timeline.asked.append(record)  # the persona will answer: until then, scoring knows this reply was a question
        low, high = settings.chat_delay if chat else settings.delay
        delay_ns = answer_delay_ns(spec.persona, spec.journey.name, low, high, number)
        record["delay_ns"] = delay_ns
        speedup = spec.target.spec.speedup
        # a simulated desk: the answer is due its delay after the question counts (not after the harness noticed it), so
        # that a loaded machine's pace moves no answer across the journey's end
        due_ns = source["reply_t_ns"] + int(delay_ns / speedup) if speedup > 1 and source.get("reply_t_ns") is not None else None
        task = asyncio.ensure_future(self._answer(spec, timeline, asked, record, number, delay_ns, send, company_text, subject, chat, due_ns))
        conversation.tasks.add(task)
        conversation.pending[task] = record
        if due_ns is not None:
            conversation.due[task] = due_ns
        task.add_done_callback(lambda t: (conversation.tasks.discard(t), conversation.pending.pop(t, None), conversation.due.pop(t, None)))

    async def _answer(self, spec: ProbeSpec, timeline: Timeline, asked: Asked, record: dict[str, Any], number: int, delay_ns: int,
                      send: Callable[[int, PersonaAnswer], Awaitable[int]], company_text: str, subject: str, chat: bool,
                      due_ns: int | None = None) -> None:
        if due_ns is None:
            await asyncio.sleep(delay_ns / max(spec.target.spec.speedup, 1e-9) / 1e9)
        else:
            await asyncio.sleep(max(0, due_ns - self.clock()) / 1e9)
        if any(a.detail == "address" for a in asked.asks):
            await asyncio.to_thread(postal_address, spec.persona)  # Faker's locale loads off the loop; kept for write_answer
        answer = write_answer(spec.journey, spec.persona, asked, number=number, captured=timeline.captured, subject=subject, chat=chat)
        engine, fallback = "rules", None
        if spec.journey.spec.answers.engine == "llm":
            try:
                text = await asyncio.to_thread(self.llm.write, spec.persona, answer.language, company_text, answer.plan, chat=chat)
                answer = PersonaAnswer(text, answer.language, answer.plan, answer.subject, None, answer.attachments, answer.language_fallback)
                engine = "llm"
            except PersonaLlmError as exc:
                fallback = f"{exc}; answered by the rules"
        done = {**{k: v for k, v in record.items() if k != "pending"}, "engine": engine, "fallback": fallback, "gave": answer.plan.gave, "lacked": list(answer.plan.lacks),
                "language": answer.language, "language_fallback": answer.language_fallback, "step": f"{ANSWER_STEP}{number}",
                "attachments": [name for name, _, _ in answer.attachments]}
        try:
            t_ns = await send(number, answer)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - an answer that cannot go out is recorded; the probe goes on
            log.warning("probe %s: the persona's answer could not be sent: %s", spec.probe_id, exc)
            self._record(spec, timeline, {**done, "answered": False, "why_not": f"sending it failed: {exc}"})
            return
        self._record(spec, timeline, {**done, "answered": True, "answered_t_ns": t_ns}, t_ns)

    def cut(self, spec: ProbeSpec, timeline: Timeline, end_ns: int, lag_from: Callable[[int], int] = lambda _: 0) -> None:
        """A simulated desk's probe ends at `end_ns` on the journey's clock (scoring/journey_clock.py; `lag_from`: the
        harness's lag to take out of a time): answers due after it are not sent, and the record says so; those due by
        then still go (see `finish`)."""
        conversation = self._conversations.get(spec.probe_id)
        if conversation is None:
            return
        for task, record in list(conversation.pending.items()):
            due = conversation.due.get(task)
            if not task.done() and (due is None or due - lag_from(record["reply_t_ns"]) > end_ns):
                self._cancel(spec, timeline, task, record)

    async def finish(self, spec: ProbeSpec, timeline: Timeline, end_ns: int | None = None) -> None:
        """The probe ended: answers still waiting for their time are not sent, and the record says so. With `end_ns` (a
        simulated desk's probe, ended on its clock: `cut` has let go those due after it) the answers left are sent
        first, within ANSWER_SETTLE_S."""
        if end_ns is not None:
            conversation = self._conversations.get(spec.probe_id)
            if conversation is not None and conversation.tasks:
                await asyncio.wait(list(conversation.tasks), timeout=ANSWER_SETTLE_S)
        conversation = self._conversations.pop(spec.probe_id, None)
        if conversation is None:
            return
        for task, record in list(conversation.pending.items()):
            if not task.done():
                self._cancel(spec, timeline, task, record)
        if conversation.tasks:
            await asyncio.gather(*list(conversation.tasks), return_exceptions=True)

    def _cancel(self, spec: ProbeSpec, timeline: Timeline, task: asyncio.Task[None], record: dict[str, Any]) -> None:
        task.cancel()
        self._record(spec, timeline, {**record, "answered": False, "why_not": "the journey ended before the persona's answer was due"})

    def _record(self, spec: ProbeSpec, timeline: Timeline, data: dict[str, Any], t_ns: int | None = None) -> None:
        t_ns = t_ns if t_ns is not None else self.clock()
        data = {k: v for k, v in data.items() if k != "pending"}
        data.setdefault("utc_recorded", utc_now())
        timeline.asked[:] = [r for r in timeline.asked if not (r.get("pending") and r.get("reply_t_ns") == data.get("reply_t_ns"))]
        timeline.asked.append({**data, "t_ns": t_ns})
        self.store.event(self.run_id, spec.probe_id, "agent_asked", t_ns, **data)
