"""Generated journey files for the checker's scale tests and bench/journey_check.py.

`long_journey(n)`: n steps in blocks of four (an email, then an acknowledgement, an answer and a
follow-up due 1h, 2h and 3h after it), with one planted problem if asked.
`branching_journey(k)`: k expectations in a row, each branching on pass and fail into two
further expectations that meet again at the next one: 2^k paths through 3k + 1 steps.
"""

from __future__ import annotations

BLOCK = (("acknowledgement", "1h"), ("answer", "2h"), ("satisfaction_followup", "3h"))


def long_journey(n: int, *, sooner: int | None = None, unreachable: int | None = None, loop: tuple[int, int] | None = None) -> str:
    """A journey of `n` steps s0..s(n-1); step i is an email when i % 4 == 0, else an expectation.

    sooner=i: expectation i is due in 30m, sooner than the one before it in its block (i % 4 in 2, 3).
    unreachable=i: step i-1 jumps over step i, which nothing else leads to.
    loop=(i, j): expectation j goes back to step i on timeout, with no max_visits on the way.
    """
    lines = ["title: Generated long journey", "steps:"]
    for i in range(n):
        lines.append(f"  - id: s{i}")
        if i % 4 == 0:
            lines += ["    do: send_email", f"    subject: 'Order {{persona.order_id}}, message {i}'", "    body: 'Hello, any news?'"]
        else:
            expect, within = BLOCK[i % 4 - 1]
            lines += [f"    expect: {expect}", f"    within: {'30m' if i == sooner else within}"]
        if unreachable is not None and i == unreachable - 1:
            lines.append(f"    next: s{unreachable + 1}")
        if loop is not None and i == loop[1]:
            lines.append(f"    on_timeout: s{loop[0]}")
    return "\n".join(lines) + "\n"


def branching_journey(k: int, *, sooner: int | None = None, loop: bool = False, bounded: bool = False) -> str:
    """An email, then expectations e0..e(k-1); each goes to p_i on pass and f_i on fail, both then to e(i+1).

    e_i, p_i and f_i are due (i+1) hours after the email. sooner=j: f_j is due in 30m, sooner than e_j.
    loop: the last expectations go back to e0 instead of ending (bounded: e0 has max_visits: 3).
    """
    lines = ["title: Generated branching journey", "steps:", "  - id: ask", "    do: send_email", "    subject: s", "    body: b"]
    for i in range(k):
        after = f"e{i + 1}" if i + 1 < k else ("e0" if loop else None)
        lines += [f"  - id: e{i}", "    expect: acknowledgement", f"    within: {i + 1}h", f"    on_pass: p{i}", f"    on_fail: f{i}"]
        if i == 0 and bounded:
            lines.append("    max_visits: 3")
        for branch in ("p", "f"):
            within = "30m" if branch == "f" and i == sooner else f"{i + 1}h"
            lines += [f"  - id: {branch}{i}", "    expect: answer", f"    within: {within}", f"    next: {after}" if after else "    end: true"]
    return "\n".join(lines) + "\n"
