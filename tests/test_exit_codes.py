"""Exit codes that tell the truth, the same for every channel: the real `mysteryshop run` against real servers.

A target that is down (nothing listens on its port) exits 3 on email, web form and chat alike, naming
host:port and the step. A target file whose selector is not on the demo desk's real page (a form field,
the chat's input) exits 4, naming the selector, the target file and the step. Under plain pytest the
failing item names the class of the problem; pytest's own exit code (1) is kept.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mysteryshop.demo.process import DemoDeskProcess
from mysteryshop.exitcodes import EXIT_MISCONFIGURED, EXIT_UNREACHABLE

from .conftest import PROBE_DOMAIN, ROOT, free_port, profile

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not os.environ.get("MYSTERYSHOP_CHROMIUM"),
                                reason="needs Debian's chromium (scripts/bootstrap.sh installs it)")

EMAIL_JOURNEY = """
id: ask
title: Ask by email
steps:
  - id: ask
    do: send_email
    subject: "Question about order {persona.order_id}"
    body: "Hello, can I return my jacket? {persona.full_name}"
  - id: acknowledged
    expect: acknowledgement
    within: 1h
"""
PROBES = {
    "email": 'import pytest\n\n\n@pytest.mark.journey("ask")\ndef test_ask(probe):\n    probe.check()\n',
    "webform": 'import pytest\n\n\n@pytest.mark.journey("webform_refund")\ndef test_form(probe):\n    probe.check()\n',
    "chat": 'import pytest\n\n\n@pytest.mark.journey("chat_delivery")\ndef test_chat(probe):\n    probe.check()\n',
}


def webform_yaml(url: str, *, order_css: str = "#order") -> str:
    return f"""webform:
  url: {url}
  submit: "#send"
  confirmation: "#confirmation"
  errors: ".error"
  timeout: 3
  fields:
    name: {{label: Your name, value: "{{persona.full_name}}"}}
    email: {{name: email, value: "{{persona.email}}"}}
    order_id: {{css: "{order_css}", value: "{{persona.order_id}}"}}
    topic: {{label: Topic, type: select, value: Something else}}
    message: {{label: Message}}
    reply_by: {{name: reply_by, type: radio, value: email}}
    consent: {{name: consent, type: checkbox, value: true}}
"""


def chat_yaml(url: str, *, input_css: str = "#chat-input") -> str:
    return f"""chat:
  url: {url}
  open: "#chat-launcher"
  email: "#chat-email"
  start: "#chat-start"
  input: "{input_css}"
  send: "#chat-send"
  log: "#chat-log"
  message: ".msg"
  authors: {{bot: ".bot", agent: ".agent", customer: ".customer"}}
  timeout: 3
"""


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> DemoDeskProcess:
    """The demo desk as a company on loopback: its real contact form and chat pages (it answers nothing)."""
    workdir = tmp_path_factory.mktemp("desk")
    with DemoDeskProcess(profile(), deliver_to=("127.0.0.1", free_port()), workdir=workdir) as running:
        yield running


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, desk: DemoDeskProcess) -> Path:
    """A scratch project: one journey per channel (the repo's web-form and chat journeys), one probe folder per channel,
    and a target file for each case: down (a port nothing listens on) or misconfigured (a selector not on the page)."""
    root = tmp_path_factory.mktemp("project")
    (root / "journeys" / "targets").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.mysteryshop]\n", encoding="utf-8")
    (root / "journeys" / "ask.yaml").write_text(EMAIL_JOURNEY, encoding="utf-8")
    for name in ("webform_refund", "chat_delivery"):
        (root / "journeys" / f"{name}.yaml").write_text((ROOT / "journeys" / f"{name}.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    for channel, text in PROBES.items():
        (root / f"probes_{channel}").mkdir()
        (root / f"probes_{channel}" / f"test_{channel}.py").write_text(text, encoding="utf-8")
    closed = free_port()  # nothing listens there
    (root / "closed-port").write_text(str(closed))
    site = f"http://127.0.0.1:{desk.http_port}"
    targets = {
        "email-down": f"email: {{support_address: support@northwind.demo, smtp_host: 127.0.0.1, smtp_port: {closed}, timeout: 3}}\n",
        "form-down": webform_yaml(f"http://127.0.0.1:{closed}/contact"),
        "chat-down": chat_yaml(f"http://127.0.0.1:{closed}/chat"),
        "form-wrong": webform_yaml(f"{site}/contact", order_css="#no-such-field"),
        "chat-wrong": chat_yaml(f"{site}/chat", input_css="#no-such-input"),
    }
    for name, channel in targets.items():
        (root / "journeys" / "targets" / f"{name}.yaml").write_text(
            f"name: {name}\nprobe_domain: {PROBE_DOMAIN}\ncollect: {{port: {free_port()}}}\n{channel}", encoding="utf-8")
    return root


def run(project: Path, channel: str, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mysteryshop.cli", "run", "--root", str(project), "--probes", str(project / f"probes_{channel}"),
         "--target", target, "--personas", "1", "--run-id", target],
        capture_output=True, text=True, timeout=180, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def summary(project: Path, run_id: str) -> dict:
    return json.loads((project / "reports" / run_id / "scorecard.json").read_text(encoding="utf-8"))["summary"]


@pytest.mark.parametrize(("channel", "target", "step"), [("email", "email-down", "ask"), ("webform", "form-down", "submit"),
                                                         ("chat", "chat-down", "open")])
def test_a_target_that_is_down_exits_3_on_every_channel(project: Path, channel: str, target: str, step: str) -> None:
    result = run(project, channel, target)
    assert result.returncode == EXIT_UNREACHABLE, result.stdout + result.stderr
    closed = (project / "closed-port").read_text()
    assert f"target unreachable at 127.0.0.1:{closed} during step '{step}'" in result.stderr, result.stderr
    assert "could not reach their target (exit code 3)" in result.stderr
    counted = summary(project, target)
    assert counted["unreachable"] == 1 and counted["misconfigured"] == 0 and counted["problems"] == {"unreachable": 1}


@pytest.mark.parametrize(("channel", "target", "selector", "setting", "step"), [
    ("webform", "form-wrong", "#no-such-field", "webform.fields.order_id", "submit"),
    ("chat", "chat-wrong", "#no-such-input", "chat.input", "open"),
])
def test_a_selector_not_on_the_page_exits_4_naming_selector_target_file_and_step(
    project: Path, channel: str, target: str, selector: str, setting: str, step: str
) -> None:
    result = run(project, channel, target)
    assert result.returncode == EXIT_MISCONFIGURED, result.stdout + result.stderr
    assert "found the target file or journey wrong, not the company (exit code 4)" in result.stderr
    assert selector in result.stderr and f"'{setting}'" in result.stderr and f"step '{step}'" in result.stderr
    assert str(project / "journeys" / "targets" / f"{target}.yaml") in result.stderr
    counted = summary(project, target)
    assert counted["misconfigured"] == 1 and counted["unreachable"] == 0


def test_plain_pytest_keeps_its_exit_code_and_names_the_class(project: Path) -> None:
    common = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(project), "--personas", "1", "-rf"]
    down = subprocess.run([*common, str(project / "probes_webform"), "--target", "form-down"],
                          cwd=project, capture_output=True, text=True, timeout=180)
    assert down.returncode == 1, down.stdout + down.stderr
    assert "TargetUnreachable: target unreachable at 127.0.0.1:" in down.stdout
    wrong = subprocess.run([*common, str(project / "probes_chat"), "--target", "chat-wrong"],
                           cwd=project, capture_output=True, text=True, timeout=180)
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert "TargetMisconfigured (SelectorMissing): step 'open'" in wrong.stdout and "#no-such-input" in wrong.stdout
