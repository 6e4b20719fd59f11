"""Pacing CPU work on the event loop, so sockets are read between pieces of it.

asyncio runs every callback that is ready before it polls the sockets again. Twenty replies
that arrive together wake twenty probes, and parsing and judging them all in one turn of the
loop (half a millisecond each) keeps a 250 or the next reply waiting ten milliseconds: time the
harness would then measure as the company's. A thousand probes starting at once are the same.
"""

from __future__ import annotations

import asyncio
from collections import deque


class TurnBudget:
    """At most `per_turn` pieces of work start in one turn of the loop; the others wait, in order, for the next turns.

    A waiter sleeps on a future until its turn (released `per_turn` at a time), so a thousand
    waiters cost the loop nothing while they wait.
    """

    def __init__(self, per_turn: int = 4) -> None:
        self.per_turn = per_turn
        self._started = 0
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._reset_pending = False
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a budget used on another loop (the last one stopped): nothing of it carries over
            self._loop, self._started, self._reset_pending = loop, 0, False
            self._waiting.clear()
        if self._started < self.per_turn and not self._waiting:
            self._started += 1
            self._reset_soon()
            return
        turn: asyncio.Future[None] = loop.create_future()
        self._waiting.append(turn)
        self._reset_soon()
        await turn

    def _reset_soon(self) -> None:
        if not self._reset_pending:
            self._reset_pending = True
            asyncio.get_running_loop().call_soon(self._reset)

    def _reset(self) -> None:
        """Next turn: a new budget, first spent on those waiting (they run in the turn after this one)."""
        self._reset_pending = False
        self._started = 0
        while self._waiting and self._started < self.per_turn:
            turn = self._waiting.popleft()
            if not turn.done():  # a waiter cancelled meanwhile
                turn.set_result(None)
                self._started += 1
        if self._waiting:
            self._reset_soon()
