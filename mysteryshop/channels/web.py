"""Browser steps of a probe (submit_form, open_chat, say), for the engine.

The engine hands a browser action here (`act`), waits with `or_changed` so a message appearing in
an open chat wakes the probe as mail does, and calls `finish` when the probe ends (its context
closes; trace and screenshots are kept on failure). Everything a step saw is written to the store
as events (`acted`, `form_submitted`, `customer_gave`, `chat_message`), from which
`restore_event` rebuilds the same timeline for scoring later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from mysteryshop.channels.accessibility import AuditedPages, audit_step
from mysteryshop.channels.browser import Browser, BrowserOptions
from mysteryshop.channels.chat import ChatSession
from mysteryshop.channels.webform import persona_facts, submit_form
from mysteryshop.errors import ChannelError, MysteryShopError, TargetMisconfigured, TargetUnreachable
from mysteryshop.scoring import weblog
from mysteryshop.scoring.timeline import Action
from mysteryshop.scoring.weblog import ChatMessage, FormFriction, FormResult, Given, WayIn
from mysteryshop.store import Store, utc_now

if TYPE_CHECKING:
    from mysteryshop.collect.mailbox import ProbeMailbox
    from mysteryshop.journey import Step
    from mysteryshop.plan import ProbeSpec
    from mysteryshop.scoring.timeline import Timeline

T = TypeVar("T")
WEB_ACTIONS = {"submit_form": "webform", "open_chat": "chat", "say": "chat"}


#: expectations judged from what an open chat shows: a campaign's tick waits for them with the chat open
CHAT_EXPECTATIONS = frozenset({"chat_response", "wait_estimate", "human_agent", "status_update", "chat_answer", "chat_survey"})


class WebChannels:
    def __init__(
        self, store: Store, run_id: str, mailbox: ProbeMailbox, options: BrowserOptions | None = None,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        """`clock`: the run's clock. Browser times are taken on the monotonic clock (the page clock is mapped to
        it) and recorded in the run's clock: the same for a run; wall-clock for a campaign."""
        self.store, self.run_id, self.mailbox = store, run_id, mailbox
        self.clock = clock
        self.browser = Browser(options)
        self.audited = AuditedPages()  # each company's form and chat widget is audited once a run (channels/accessibility.py)
        self._chats: dict[str, ChatSession] = {}
        self._changed: dict[str, asyncio.Event] = {}
        self._writes: set[asyncio.Task[Any]] = set()

    def _in_run_clock(self, monotonic_ns: int) -> int:
        if self.clock is time.monotonic_ns:
            return monotonic_ns
        return monotonic_ns + (self.clock() - time.monotonic_ns())

    def has_open_chat(self, probe_id: str) -> bool:
        return probe_id in self._chats

    # -- actions --------------------------------------------------------------------------
    async def act(self, spec: ProbeSpec, step: Step, timeline: Timeline) -> None:
        channel = WEB_ACTIONS[step.do or ""]
        section = getattr(spec.target.spec, channel)
        if section is None:
            raise TargetMisconfigured(
                f"step '{step.id}' of journey '{spec.journey.name}' uses the {channel} channel, "
                f"but target file {spec.target.path} has no '{channel}:' section"
            )
        # Waiting for Chromium to start, or for a free slot (--browser-concurrency), is not the company's time
        # nor the step's: the step's deadline starts once this probe may drive a page.
        # The slot comes first: a probe's Chromium context is created only once it may drive a page,
        # so 100 probes waiting for 4 slots hold 4 contexts, not 100.
        probe = self.browser.probe(spec.probe_id)
        await self.browser.acquire(probe)
        await self.browser.context(spec.probe_id, block=spec.target.spec.block, reuse=spec.target.spec.browser_reuse)
        deadline = time.monotonic() + section.timeout
        try:
            # a backstop over the per-call timeouts: no browser step outlives its deadline by more than a moment
            async with asyncio.timeout(section.timeout + 2):
                if step.do == "submit_form":
                    await self._submit_form(spec, step, timeline, deadline)
                elif step.do == "open_chat":
                    await self._open_chat(spec, step, timeline, deadline)
                else:
                    await self._say(spec, step, timeline, deadline)
        except TimeoutError as exc:
            raise ChannelError(
                f"step '{step.id}' of journey '{spec.journey.name}' did not finish within its deadline of "
                f"{section.timeout:g}s ({channel}.timeout in target file {spec.target.path})"
            ) from exc
        except MysteryShopError:
            raise
        except Exception as exc:  # noqa: BLE001 - a browser crash ends this probe, not the run
            raise ChannelError(f"step '{step.id}' of journey '{spec.journey.name}': the browser failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc

    async def _record_action(self, spec: ProbeSpec, step: Step, timeline: Timeline, t_ns: int, utc: str, text: str, channel: str,
                             ref: str | None = None) -> None:
        """`ref`: what the company can name the action by (a form's ticket number)."""
        action = Action(step.id, t_ns, utc, text, ref=ref)
        timeline.actions[step.id] = action
        log = getattr(timeline, "action_log", None)
        if log is not None:
            log.append(action)
        await self.store.aevent(self.run_id, spec.probe_id, "acted", t_ns, step=step.id, channel=channel, text=text,
                                **({"ref": ref} if ref else {}))

    async def customer_gave(self, spec: ProbeSpec, timeline: Timeline, step: str, t_ns: int, channel: str, texts: list[str]) -> None:
        """Record which of the persona's details the customer gave in `texts` (any channel, e.g. an email)."""
        await self._given(spec, timeline, Given(step, t_ns, channel, persona_facts(spec.persona, texts)))

    async def _given(self, spec: ProbeSpec, timeline: Timeline, given: Given) -> None:
        if not given.facts:
            return
        timeline.web.given.append(given)
        kind, data = weblog.event_data(given)
        # posted, not awaited: a thousand probes that sent together would otherwise all wake up at the same commit
        self.store.event(self.run_id, spec.probe_id, kind, given.t_ns, step=given.step, **data)

    async def _submit_form(self, spec: ProbeSpec, step: Step, timeline: Timeline, deadline: float) -> None:
        probe = await self.browser.context(spec.probe_id)
        page = await self.browser.new_page(probe, spec.target.spec.webform.timeout)  # type: ignore[union-attr]
        measured: list[WayIn | FormFriction] = []

        async def audit(loaded: Any, deadline: float) -> None:
            await audit_step(self.browser, self.store, self.run_id, spec.probe_id, step.id, loaded, channel="webform", deadline=deadline, t_ns=self.clock(),
                             company=spec.target.name, audited=self.audited)

        try:
            result = await submit_form(
                page, target=spec.target, step=step, journey=spec.journey.name, journey_dir=spec.journey.path.parent, persona=spec.persona,
                message=spec.journey.write(step.id, "body", spec.persona, values=timeline.captured).text.rstrip("\n") if step.body is not None else None,
                record=measured.append,
                loaded_hook=audit if spec.target.spec.webform.accessibility else None,  # type: ignore[union-attr]
            )
        except (ChannelError, TargetUnreachable) as exc:
            await self._measured(spec, timeline, measured)
            shot = await self._screenshot(spec, page, f"{step.id}-failed", deadline)
            await self.store.aevent(self.run_id, spec.probe_id, "step_failed", self.clock(), step=step.id,
                                    channel="webform", error=str(exc), status=getattr(exc, "status", "error"),
                                    screenshot=str(shot) if shot else None, errors=getattr(exc, "errors", None))
            raise
        finally:
            await self.browser.close_page(probe, page)
        await self._measured(spec, timeline, measured)
        result = replace(result, t_ns=self._in_run_clock(result.t_ns))
        await self._record_action(spec, step, timeline, result.t_ns, result.utc, result.message, "webform", result.ticket or None)
        form = FormResult(step.id, result.t_ns, result.utc, result.url, result.confirmation, result.ticket)
        timeline.web.forms[step.id] = form
        kind, data = weblog.event_data(form)
        await self.store.aevent(self.run_id, spec.probe_id, kind, result.t_ns, step=step.id, **data)
        facts = dict(result.facts)
        if result.ticket:
            facts["ticket"] = result.ticket
            self.mailbox.correlator.add_ticket(spec.probe_id, result.ticket)
        self.mailbox.customer_text.setdefault(spec.probe_id, result.message)
        await self._given(spec, timeline, Given(step.id, result.t_ns, "webform", facts))

    async def _measured(self, spec: ProbeSpec, timeline: Timeline, measured: list[WayIn | FormFriction]) -> None:
        """Store what a form or chat step measured (the way in from the home page, the form's friction), whatever its outcome."""
        for item in measured:
            item = replace(item, t_ns=self._in_run_clock(item.t_ns))
            (timeline.web.way_in if isinstance(item, WayIn) else timeline.web.friction)[item.step] = item
            kind, data = weblog.event_data(item)
            await self.store.aevent(self.run_id, spec.probe_id, kind, item.t_ns, step=item.step, **data)
        measured.clear()

    async def _open_chat(self, spec: ProbeSpec, step: Step, timeline: Timeline, deadline: float) -> None:
        old = self._chats.pop(spec.probe_id, None)
        probe = await self.browser.context(spec.probe_id)
        if old is not None:
            await self.browser.close_page(probe, old.page)
        # a page of its own: the chat registers a binding and an init script on it, which a pooled page must not carry on
        page = await self.browser.new_page(probe, spec.target.spec.chat.timeout, reuse=False)  # type: ignore[union-attr]
        changed = self._changed.setdefault(spec.probe_id, asyncio.Event())

        def on_message(message: ChatMessage) -> None:
            message = replace(message, t_ns=self._in_run_clock(message.t_ns))
            timeline.web.chat.append(message)
            changed.set()
            kind, data = weblog.event_data(message)
            self._spawn(self.store.aevent(self.run_id, spec.probe_id, kind, message.t_ns, step=message.step, **data))

        session = ChatSession(page, target=spec.target, step_id=step.id, journey=spec.journey.name, on_message=on_message)
        self._chats[spec.probe_id] = session
        measured: list[WayIn | FormFriction] = []
        try:
            given = await session.open(spec.persona, deadline, start=step.start, record=measured.append)
        except (ChannelError, TargetUnreachable) as exc:
            await self._measured(spec, timeline, measured)
            await self._chat_failed(spec, step.id, page, exc, deadline)
            raise
        await self._measured(spec, timeline, measured)
        if spec.target.spec.chat.accessibility:  # type: ignore[union-attr]
            await audit_step(self.browser, self.store, self.run_id, spec.probe_id, step.id, page, channel="chat", deadline=deadline,
                             t_ns=self.clock(), frame=session.frame, company=spec.target.name, audited=self.audited)
        t_ns, utc = self.clock(), utc_now()
        await self._record_action(spec, step, timeline, t_ns, utc, "", "chat")
        facts = {"email": given["email"]} if "email" in given else {}
        if "name" in given:
            facts["name"] = given["name"]
        await self._given(spec, timeline, Given(step.id, t_ns, "chat", facts))
        if step.body:
            await self._say(spec, step, timeline, deadline, record=False)

    async def _screenshot(self, spec: ProbeSpec, page: Any, name: str, deadline: float) -> Any:
        """A screenshot of a failed step, taken by the step's deadline (or within a second of a verdict that came at it), well
        before the step's backstop (its deadline + 2 s in `act`) would cut the verdict off: a page whose scripts keep it busy
        answers no screenshot, and the verdict is stored without one."""
        try:
            async with asyncio.timeout(max(1.0, deadline - time.monotonic())):
                return await self.browser.screenshot(spec.probe_id, page, name)
        except TimeoutError:
            return None

    async def _chat_failed(self, spec: ProbeSpec, step_id: str, page: Any, exc: MysteryShopError, deadline: float) -> None:
        """A chat step's verdict, stored with a screenshot of the page as it was (what the banner, launcher or frame looked like)."""
        shot = await self._screenshot(spec, page, f"{step_id}-failed", deadline)
        await self.store.aevent(self.run_id, spec.probe_id, "step_failed", self.clock(), step=step_id, channel="chat", error=str(exc),
                                status=getattr(exc, "status", "error"), verdict=type(exc).__name__, screenshot=str(shot) if shot else None)

    async def _say(self, spec: ProbeSpec, step: Step, timeline: Timeline, deadline: float, *, record: bool = True) -> None:
        session = self._chats.get(spec.probe_id)
        if session is None:
            raise TargetMisconfigured(f"step '{step.id}' of journey '{spec.journey.name}' says something in a chat, but no chat is open: "
                                      f"add an 'open_chat' step before it in {spec.journey.path}")
        text = spec.journey.write(step.id, "body", spec.persona, values=timeline.captured).text.rstrip("\n")
        try:
            t_ns = self._in_run_clock(await session.say(text, step.id, deadline))
        except ChannelError as exc:
            await self._chat_failed(spec, step.id, session.page, exc, deadline)
            raise
        if record:
            await self._record_action(spec, step, timeline, t_ns, utc_now(), text, "chat")
        await self._given(spec, timeline, Given(step.id, t_ns, "chat", persona_facts(spec.persona, [text])))

    async def say_text(self, spec: ProbeSpec, timeline: Timeline, step: str, text: str) -> int:
        """Type `text` in the probe's open chat as action `step` (the persona answering the agent); when it was shown."""
        session = self._chats.get(spec.probe_id)
        section = spec.target.spec.chat
        if session is None or section is None:
            raise ChannelError(f"the chat of probe {spec.probe_id} closed before the persona could answer in it")
        deadline = time.monotonic() + section.timeout
        async with asyncio.timeout(section.timeout + 2):
            t_ns = self._in_run_clock(await session.say(text, step, deadline))
        action = Action(step, t_ns, utc_now(), text)
        timeline.actions[step] = action
        timeline.action_log.append(action)
        await self.store.aevent(self.run_id, spec.probe_id, "acted", t_ns, step=step, channel="chat", text=text)
        await self._given(spec, timeline, Given(step, t_ns, "chat", persona_facts(spec.persona, [text])))
        return t_ns

    # -- waiting and ending -----------------------------------------------------------------
    async def or_changed(self, probe_id: str, receive: Coroutine[Any, Any, T]) -> T | None:
        """Await `receive` (the mailbox), or return None as soon as the probe's open chat shows something new."""
        changed = self._changed.get(probe_id)
        if changed is None or probe_id not in self._chats:
            return await receive
        if changed.is_set():
            changed.clear()
            receive.close()
            return None
        mail = asyncio.ensure_future(receive)
        woke = asyncio.ensure_future(changed.wait())
        try:
            await asyncio.wait({mail, woke}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woke.cancel()
            if not mail.done():
                mail.cancel()
                await asyncio.gather(mail, return_exceptions=True)
        changed.clear()
        return mail.result() if mail.done() and not mail.cancelled() else None

    def walked(self, probe_id: str) -> None:
        """The probe's walk has ended: it drives no page any more (see Browser.walked)."""
        if probe_id not in self._chats:
            self.browser.walked(probe_id)

    async def finish(self, probe_id: str, *, failed: bool) -> None:
        self._chats.pop(probe_id, None)
        self._changed.pop(probe_id, None)
        kept = await self.browser.finish(probe_id, failed=failed)
        if kept:
            await self.store.aevent(self.run_id, probe_id, "browser_evidence", self.clock(), files=[str(p) for p in kept])
        if self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)

    async def stop(self) -> None:
        await self.browser.stop()
        if self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

