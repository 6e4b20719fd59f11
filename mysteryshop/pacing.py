"""Pacing CPU work on the event loop, so sockets are read between pieces of it.

asyncio runs every callback that is ready before it polls the sockets again. Twenty replies
that arrive together wake twenty probes, and parsing and judging them all in one turn of the
loop (half a millisecond each) keeps a 250 or the next reply waiting ten milliseconds: time the
harness would then measure as the company's.
"""

from __future__ import annotations

import asyncio


class TurnBudget:
    """At most `per_turn` pieces of work start in one turn of the loop; the others wait for the next turns."""

    def __init__(self, per_turn: int = 4) -> None:
        self.per_turn = per_turn
        self._started = 0
        self._reset_pending = False

    async def __call__(self) -> None:
        while self._started >= self.per_turn:
            await asyncio.sleep(0)  # a later turn; the loop polls its sockets first
        self._started += 1
        if not self._reset_pending:
            self._reset_pending = True
            asyncio.get_running_loop().call_soon(self._reset)

    def _reset(self) -> None:
        self._started = 0
        self._reset_pending = False
