"""Alerts: events from a scorecard (pure), delivery to a real webhook server on 127.0.0.1 (2xx, 500 then 2xx, a 404, a
hang) and to a real SMTP server (aiosmtpd), never twice for one event; and end to end, a real run against the demo
desk whose gate fails posts one alert, and writing its report again posts none."""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mysteryshop.alerts.deliver import deliver
from mysteryshop.alerts.events import AlertEvent, alert_events, grade_fall
from mysteryshop.alerts.spec import AlertSpec, load_alerts
from mysteryshop.errors import JourneyError
from mysteryshop.store import Store

from .conftest import ROOT
from .relay import Relay, RelayHandler

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


class Hook:
    """A real HTTP server on 127.0.0.1 that records every POST and answers with the next status of `script`
    ('hang' sleeps past the client's timeout); after the script, 200."""

    def __init__(self, script: list[int | str] | None = None) -> None:
        self.script = list(script or [])
        self.posts: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hook.posts.append({"path": self.path, "json": json.loads(body), "type": self.headers.get("Content-Type")})
                answer = hook.script.pop(0) if hook.script else 200
                if answer == "hang":
                    time.sleep(1.0)
                    answer = 200
                try:
                    self.send_response(int(answer))
                    self.end_headers()
                    self.wfile.write(b"ok")
                except BrokenPipeError:  # the client gave up waiting (a hang)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T0/B0/secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Hook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _event(key: str = "gate_failed:r1") -> AlertEvent:
    worst = ({"target": "acme", "journey": "email_question", "step": "answered", "reason": "no reply within 1d", "quote": "Where is my order?"},)
    return AlertEvent(key, key.split(":")[0], "mysteryshop: the gate failed for run r1", ("grade C < required B",), "r1",
                      "https://ci.example.com/r1/scorecard.html", worst)


def _spec(**send: Any) -> AlertSpec:
    return AlertSpec.model_validate({"send": [send], "retries": 3, "backoff": "0.01s", "timeout": "0.3s"})


@pytest.fixture
def store(store_location: Path | str) -> Iterator[Store]:
    s = Store(store_location)
    yield s
    s.close()


def test_a_webhook_gets_the_event_once_in_slack_s_format(store: Store) -> None:
    with Hook() as hook:
        first = deliver(store, [_event()], _spec(webhook=hook.url))
        again = deliver(store, [_event()], _spec(webhook=hook.url))
    assert [d.outcome for d in first] == ["sent"] and [d.outcome for d in again] == ["already sent"]
    assert len(hook.posts) == 1
    payload = hook.posts[0]["json"]
    assert hook.posts[0]["type"] == "application/json"
    assert payload["text"] == "mysteryshop: the gate failed for run r1: https://ci.example.com/r1/scorecard.html"
    assert "Where is my order?" in json.dumps(payload["blocks"])


def test_generic_json_carries_the_key_link_and_worst_moments(store: Store) -> None:
    with Hook() as hook:
        deliver(store, [_event()], _spec(webhook=hook.url, format="json"))
    payload = hook.posts[0]["json"]
    assert payload["schema"] == "mysteryshop.alert/1" and payload["key"] == "gate_failed:r1"
    assert payload["link"].endswith("/r1/scorecard.html") and payload["worst_moments"][0]["step"] == "answered"


def test_a_500_is_retried_with_backoff_and_a_404_is_not(store: Store) -> None:
    with Hook([500, 503]) as hook:
        [done] = deliver(store, [_event("gate_failed:a")], _spec(webhook=hook.url))
    assert (done.outcome, done.attempts, len(hook.posts)) == ("sent", 3, 3)
    with Hook([404]) as hook:
        [done] = deliver(store, [_event("gate_failed:b")], _spec(webhook=hook.url))
    assert (done.outcome, done.attempts, len(hook.posts)) == ("failed", 1, 1)
    assert "HTTP 404" in (done.error or "") and "token" in (done.error or "")


def test_a_hanging_webhook_fails_within_its_timeouts_and_is_tried_again_next_time(store: Store) -> None:
    sleeps: list[float] = []
    with Hook(["hang", "hang", "hang"]) as hook:
        started = time.monotonic()
        [done] = deliver(store, [_event()], _spec(webhook=hook.url), sleep=sleeps.append)
        took = time.monotonic() - started
        assert done.outcome == "failed" and "timed out" in (done.error or "").lower(), done
        assert took < 3 * 0.3 + 1.5, took  # three attempts of 0.3 s, and slack for a loaded machine
        assert sleeps == [0.01, 0.02]
        [later] = deliver(store, [_event()], _spec(webhook=hook.url))
    assert later.outcome == "sent"


def test_an_unreachable_webhook_says_where(store: Store) -> None:
    [done] = deliver(store, [_event()], _spec(webhook="http://127.0.0.1:9/hook"), sleep=lambda s: None)
    assert done.outcome == "failed" and "Connection" in (done.error or ""), done


def test_email_goes_through_a_real_smtp_server_once(store: Store) -> None:
    with Relay(RelayHandler()) as relay:
        spec = _spec(email="qa@example.com", smtp=f"127.0.0.1:{relay.port}", **{"from": "alerts@example.com"})
        first = deliver(store, [_event()], spec)
        again = deliver(store, [_event()], spec)
    assert [d.outcome for d in first + again] == ["sent", "already sent"]
    [(sender, rcpts, raw)] = relay.handler.messages
    message = email.message_from_bytes(raw)
    assert (sender, rcpts) == ("alerts@example.com", ["qa@example.com"])
    assert message["Subject"] == "mysteryshop: the gate failed for run r1" and message["Auto-Submitted"] == "auto-generated"
    assert "https://ci.example.com/r1/scorecard.html" in message.get_payload()


def test_an_smtp_server_that_refuses_for_good_is_not_retried(store: Store) -> None:
    with Relay(RelayHandler(refuse_rcpt="550 no such user")) as relay:
        [done] = deliver(store, [_event()], _spec(email="qa@example.com", smtp=f"127.0.0.1:{relay.port}"))
    assert (done.outcome, done.attempts) == ("failed", 1) and "550" in (done.error or "")


def _card(grades: list[str | None], statuses: list[str]) -> dict[str, Any]:
    trend = [{"run_id": f"r{i}", "grade": g} for i, g in enumerate(grades)]
    probes = [{"id": f"p{i}", "target": "acme", "status": s, "undeliverable": {"evidence": ["Status: 5.1.1"]} if s == "undeliverable" else None}
              for i, s in enumerate(statuses)]
    return {"run": {"id": f"r{len(grades) - 1}"}, "worst_moments": [], "probes": probes,
            "companies": {"acme": {"title": "Acme", "trend": trend, "worst_moments": []}}}


@pytest.mark.parametrize(("grades", "drop", "expected"), [
    (["B", "D"], 1, 1), (["B", "C"], 2, 0), (["B", "D"], 2, 1), (["C", "B"], 1, 0), (["B"], 1, 0), ([None, "F"], 1, 0),
])
def test_a_grade_drop_is_an_event_when_it_falls_far_enough(grades: list[str | None], drop: int, expected: int) -> None:
    events = alert_events(_card(grades, ["passed"]), None, kinds=["grade_drop"], grade_drop=drop, link="x")
    assert len(events) == expected
    if events:
        assert events[0].key == f"grade_drop:r{len(grades) - 1}:acme" and "fell from B to D" in events[0].title


def test_undeliverable_probes_and_a_failed_gate_are_events_with_stable_keys() -> None:
    card = _card(["A"], ["passed", "undeliverable", "undeliverable"])
    gate = {"verdict": "fail", "_lines": ["  FAIL grade>=B: C"]}
    events = alert_events(card, gate, kinds=["gate_failed", "undeliverable"], grade_drop=1, link="x")
    assert [e.key for e in events] == ["gate_failed:r0", "undeliverable:r0:p1", "undeliverable:r0:p2"]
    assert "5.1.1" in events[1].lines[0]
    assert alert_events(card, {"verdict": "pass", "_lines": []}, kinds=["gate_failed"], grade_drop=1, link="x") == []
    assert grade_fall("A", "F") == 5 and grade_fall("n/a", "F") == 0


def test_a_bad_alerts_file_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_text("on: [gate_failed]\nsend:\n  - webhook: ftp://example.com/x\n  - email: qa@example.com\n")
    with pytest.raises(JourneyError) as error:
        load_alerts(path)
    text = str(error.value)
    assert f"{path}:3" in text and "not an http" in text
    assert f"{path}:4" in text and "smtp: host:port" in text


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("alerts")
    (project / "probes").mkdir()
    shutil.copy(ROOT / "probes" / "test_email_question.py", project / "probes")
    shutil.copytree(ROOT / "journeys", project / "journeys")
    shutil.copy(ROOT / "conftest.py", project / "conftest.py")
    shutil.copy(ROOT / "allowlist.yaml", project / "allowlist.yaml")
    (project / "pyproject.toml").write_text('[tool.mysteryshop]\nalerts = "alerts.yaml"\n')
    return project


def test_a_run_whose_gate_fails_alerts_once(project: Path) -> None:
    with Hook() as hook:
        (project / "alerts.yaml").write_text(f"link: https://ci.example.com/runs/{{run_id}}\nsend:\n  - webhook: {hook.url}\n    format: json\n")
        run = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "run", "--root", str(project), "--run-id", "gated",
                              "--personas", "1", "--profile", "poor", "--require", "grade>=A"],
                             cwd=project, env=ENV, capture_output=True, text=True, timeout=400, check=False)
        assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
        assert "alert: gate_failed gated → webhook 127.0.0.1" in run.stdout, run.stdout[-2000:]
        again = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "report", "gated", "--root", str(project), "--require", "grade>=A"],
                               cwd=project, env=ENV, capture_output=True, text=True, timeout=300, check=False)
        assert "already sent" in again.stdout, again.stdout[-2000:] + again.stderr[-2000:]
    [post] = [p for p in hook.posts if p["json"]["kind"] == "gate_failed"]
    assert post["json"]["link"] == "https://ci.example.com/runs/gated"
    assert post["json"]["run_id"] == "gated" and post["json"]["lines"]
