"""Exit codes of `mysteryshop run`, `demo` and `report`: the same whatever the channel (email, web form, chat).

A run's code is decided from its scorecard: what stopped its probes (each error class in
`mysteryshop.errors` names the problem it is counted as) and the regression gate. When several
apply, the first in `PRECEDENCE` wins: a run that was cut short says so before anything else,
and a run whose target could not be probed says so before what its probes measured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EXIT_PASS = 0
EXIT_REGRESSION = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_MISCONFIGURED = 4
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a process stopped by Ctrl-C

#: problem a probe was stopped by → the exit code it gives the run, in order of precedence
PRECEDENCE: tuple[tuple[str, int], ...] = (
    ("interrupted", EXIT_INTERRUPTED),
    ("setup", EXIT_USAGE),
    ("misconfigured", EXIT_MISCONFIGURED),
    ("unreachable", EXIT_UNREACHABLE),
)

#: For --help epilogs and the README (kept in one place so they agree).
TABLE = """exit codes (the same for email, web-form and chat probes):
  0    pass: none of the below (missed expectations and what the company refused are findings in the
       scorecard, not failures of the command; the gate decides)
  1    the gate failed: a metric regressed against the baseline, worse than its tolerance and
       significant (with --fail-on-regression), or a requirement (--require) was not met
  2    usage or configuration error (bad option, journey or target file; no Chromium)
  3    target unreachable: connection refused or timed out on SMTP, the form's URL or the chat URL
       (the message names host:port and the step)
  4    target or journey misconfigured: a selector not on the page, a form field not found, a chat
       widget that does not open (the message names the selector, the target file and the step)
  130  interrupted (Ctrl-C or SIGTERM): what was measured is scored, the run is marked interrupted
  when several apply, the first of 130, 2, 4, 3, 1; `report` exits with the code of the run it reports"""


def problem_counts(probes: list[Mapping[str, Any]]) -> dict[str, int]:
    """How many probes each problem stopped (scorecard entries: their `problem`)."""
    counts: dict[str, int] = {}
    for probe in probes:
        problem = probe.get("problem")
        if problem:
            counts[problem] = counts.get(problem, 0) + 1
    return counts


def run_exit_code(card: Mapping[str, Any], *, regression: bool = False) -> int:
    """The exit code a scorecard gives: interrupted, setup, misconfigured, unreachable, then the gate."""
    if (card.get("run") or {}).get("status") == "interrupted":
        return EXIT_INTERRUPTED
    counts = problem_counts(card.get("probes") or [])
    if not counts.get("unreachable") and (card.get("summary") or {}).get("unreachable"):
        counts["unreachable"] = card["summary"]["unreachable"]  # a scorecard written before problems were recorded
    for problem, code in PRECEDENCE:
        if counts.get(problem):
            return code
    return EXIT_REGRESSION if regression else EXIT_PASS
