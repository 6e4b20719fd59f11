"""Pure logic of issue 21's items 3 and 4: which exit code a scorecard gives, how a page that did not load is
classified, what an interrupted probe's outcomes say, and files written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from mysteryshop import atomic
from mysteryshop.channels.browser import page_load_error, page_status_error
from mysteryshop.errors import (
    ChannelError,
    TargetMisconfigured,
    TargetUnreachable,
    error_label,
)
from mysteryshop.exitcodes import (
    EXIT_INTERRUPTED,
    EXIT_MISCONFIGURED,
    EXIT_PASS,
    EXIT_REGRESSION,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    run_exit_code,
)
from mysteryshop.scoring.expectations import FAILED, PASSED, PENDING, Outcome, cut_short


def card(*problems: str | None, status: str = "failed") -> dict:
    return {"run": {"status": status}, "summary": {}, "probes": [{"problem": p} for p in problems]}


@pytest.mark.parametrize(("scorecard", "regression", "code"), [
    (card(None, None), False, EXIT_PASS),
    (card(None, None), True, EXIT_REGRESSION),
    (card("refused", "blocked"), False, EXIT_PASS),  # findings about the company, not a broken run
    (card("unreachable", None), True, EXIT_UNREACHABLE),
    (card("unreachable", "misconfigured"), False, EXIT_MISCONFIGURED),
    (card("misconfigured", "setup"), False, EXIT_USAGE),
    (card("misconfigured", "unreachable", status="interrupted"), True, EXIT_INTERRUPTED),
])
def test_the_exit_code_of_a_scorecard_in_order_of_precedence(scorecard: dict, regression: bool, code: int) -> None:
    assert run_exit_code(scorecard, regression=regression) == code


def test_a_scorecard_written_before_problems_were_recorded_still_exits_3_when_unreachable() -> None:
    assert run_exit_code({"run": {}, "summary": {"unreachable": 1}, "probes": [{"unreachable": True}]}) == EXIT_UNREACHABLE


def test_a_page_that_does_not_load_is_unreachable_misconfigured_or_refused(tmp_path: Path) -> None:
    where = {"what": "the contact form", "setting": "webform.url", "target_path": tmp_path / "acme.yaml", "step": "submit", "journey": "refund"}
    refused = page_load_error(PlaywrightError("Page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:8099/contact"),
                              "http://127.0.0.1:8099/contact", **where)
    assert isinstance(refused, TargetUnreachable) and "target unreachable at 127.0.0.1:8099 during step 'submit'" in str(refused)
    slow = page_load_error(PlaywrightTimeout("Timeout 3000ms exceeded."), "https://help.acme.test/contact", **where)
    assert isinstance(slow, TargetUnreachable) and "help.acme.test:443" in str(slow)
    bad = page_load_error(PlaywrightError("Page.goto: Protocol error (Page.navigate): Cannot navigate to invalid URL"), "acme/contact", **where)
    assert isinstance(bad, TargetMisconfigured) and "'webform.url'" in str(bad) and str(tmp_path / "acme.yaml") in str(bad)
    other = page_load_error(PlaywrightError("Page.goto: net::ERR_CERT_AUTHORITY_INVALID"), "https://acme.test/", **where)
    assert type(other) is ChannelError


def test_the_http_status_of_a_page_says_whose_fault_it_is(tmp_path: Path) -> None:
    where = {"what": "the chat page", "setting": "chat.url", "target_path": tmp_path / "acme.yaml", "step": "open", "journey": "chat"}
    assert page_status_error(200, "http://acme.test/chat", **where) is None and page_status_error(None, "about:blank", **where) is None
    down = page_status_error(503, "http://acme.test:8080/chat", **where)
    assert isinstance(down, TargetUnreachable) and "acme.test:8080 during step 'open'" in str(down)
    wrong = page_status_error(404, "http://acme.test/chatt", **where)
    assert isinstance(wrong, TargetMisconfigured) and "Fix 'chat.url' in target file" in str(wrong)
    assert type(page_status_error(500, "http://acme.test/chat", **where)) is ChannelError  # the company's server failed: a finding


def test_a_failing_item_names_the_class_and_its_kind() -> None:
    assert error_label("misconfigured", "SelectorMissing") == "TargetMisconfigured (SelectorMissing)"
    assert error_label("unreachable", "TargetUnreachable") == "TargetUnreachable"
    assert error_label("blocked", "Blocked") == "Blocked"


def test_an_interrupted_probe_leaves_open_expectations_undecided_and_decided_ones_as_they_were() -> None:
    outcomes = [Outcome("ack", "acknowledgement", PASSED, "acknowledged after 2m"), Outcome("ans", "answer", PENDING, "waiting for an answer"),
                Outcome("fu", "satisfaction_followup", FAILED, "no follow-up within 1h")]
    cut = cut_short(outcomes)
    assert [o.status for o in cut] == [PASSED, PENDING, FAILED]
    assert cut[1].reason == "not decided: interrupted (waiting for an answer)"
    assert cut[0] == outcomes[0] and cut[2] == outcomes[2] and cut_short(cut) == cut


def test_a_write_that_fails_leaves_the_old_file_and_nothing_partial(tmp_path: Path) -> None:
    path = atomic.write_text(tmp_path / "scorecard.json", "old")
    with pytest.raises(RuntimeError), atomic.atomic_path(path) as tmp:
        tmp.write_text("half of the ne")
        raise RuntimeError("stopped")
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["scorecard.json"]
    with atomic.atomic_path(path) as tmp:
        tmp.write_text("half")
        assert atomic.remove_partial() == [tmp]  # what a second Ctrl-C does before the process ends
        tmp.write_text("new")
    assert path.read_text() == "new"
