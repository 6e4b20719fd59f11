"""The LLM judge against a real local server speaking /v1/chat/completions on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mysteryshop.quality import Exchange, score_reply
from mysteryshop.quality.engines.llm import LlmJudgeEngine

EXCHANGE = Exchange(
    customer_text="Is return shipping free?",
    reply_text="Hi Ann,\n\nThanks for your email. Return shipping is free.\n\nKind regards,\nMarta\n\n> Is return shipping free?",
    persona={"first_name": "Ann", "full_name": "Ann Lee"},
    expected_facts=[["return shipping is free"]],
)


@dataclass
class Stub:
    """What the stub answers, and what it was asked."""

    answer: Callable[[dict], tuple[int, bytes]] = lambda body: (500, b"unset")
    requests: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""


def completion(content: str) -> tuple[int, bytes]:
    return 200, json.dumps({"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}).encode()


@pytest.fixture
def stub() -> Iterator[Stub]:
    state = Stub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(body)
            state.headers.append(dict(self.headers))
            if self.path != "/v1/chat/completions":
                status, payload = 404, b'{"error": "not found"}'
            else:
                status, payload = state.answer(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def judge(stub: Stub, criteria=("acknowledges", "answers_question"), **options):
    return score_reply(EXCHANGE, list(criteria), engine="llm", url=stub.url, model="judge-1", **options)


def test_well_formed_verdicts_are_used_and_say_they_came_from_the_llm(stub):
    stub.answer = lambda body: completion(json.dumps({"criteria": {
        "acknowledges": {"passed": True, "confidence": 0.9, "evidence": "Thanks for your email.", "reason": "thanks the customer"},
        "answers_question": {"passed": False, "confidence": 0.7, "evidence": "", "reason": "fact missing"},
    }}))
    results = judge(stub)
    assert results["acknowledges"].passed is True and results["acknowledges"].evidence == "Thanks for your email."
    assert results["answers_question"].passed is False
    assert {r.engine for r in results.values()} == {"llm"}


def test_request_carries_model_key_and_the_cleaned_reply_only(stub, monkeypatch):
    monkeypatch.setenv("MYSTERYSHOP_LLM_API_KEY", "sk-local-test")
    stub.answer = lambda body: completion('{"criteria": {}}')
    judge(stub, criteria=("acknowledges",))
    body, headers = stub.requests[0], stub.headers[0]
    assert body["model"] == "judge-1" and body["temperature"] == 0
    assert headers["Authorization"] == "Bearer sk-local-test"
    prompt = body["messages"][-1]["content"]
    assert "Return shipping is free." in prompt
    assert "> Is return shipping free?" not in prompt
    assert "acknowledges" in prompt and "return shipping is free" in prompt


def test_endpoint_and_model_come_from_the_environment(stub, monkeypatch):
    monkeypatch.setenv("MYSTERYSHOP_LLM_URL", stub.url)
    monkeypatch.setenv("MYSTERYSHOP_LLM_MODEL", "env-model")
    stub.answer = lambda body: completion('{"acknowledges": {"passed": true, "evidence": "", "reason": "ok"}}')
    result = score_reply(EXCHANGE, ["acknowledges"], engine="llm")["acknowledges"]
    assert result.passed is True and stub.requests[0]["model"] == "env-model"


def test_code_fenced_json_is_accepted(stub):
    stub.answer = lambda body: completion('```json\n{"criteria": {"acknowledges": {"passed": true, "evidence": "", "reason": "ok"}}}\n```')
    assert judge(stub, criteria=("acknowledges",))["acknowledges"].passed is True


def test_slow_server_gives_unscored_with_a_timeout_reason(stub):
    def slow(body):
        stub.release.wait(10)
        return completion("{}")

    stub.answer = slow
    results = judge(stub, timeout=0.3)
    for result in results.values():
        assert result.passed is None and result.score is None
        assert "did not answer within 0.3s" in result.reason and "timeout" in result.reason


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda body: completion("Sure! The reply acknowledges the customer."), "not valid JSON"),
        (lambda body: completion("[1, 2]"), "not an object"),
        (lambda body: (200, b"<html>gateway</html>"), "not an OpenAI chat completion"),
        (lambda body: (200, b'{"choices": []}'), "not an OpenAI chat completion"),
        (lambda body: (500, b'{"error": "model overloaded"}'), "HTTP 500: {\"error\": \"model overloaded\"}"),
    ],
)
def test_malformed_answers_give_unscored_never_a_pass(stub, answer, expected):
    stub.answer = answer
    for result in judge(stub).values():
        assert result.passed is None
        assert expected in result.reason


def test_missing_or_mistyped_verdicts_are_unscored_one_by_one(stub):
    stub.answer = lambda body: completion(json.dumps({"criteria": {"acknowledges": {"passed": "yes", "evidence": ""}}}))
    results = judge(stub)
    assert results["acknowledges"].passed is None and "'yes'" in results["acknowledges"].reason
    assert results["answers_question"].passed is None and "no verdict for 'answers_question'" in results["answers_question"].reason


def test_evidence_not_in_the_reply_discards_the_verdict(stub):
    stub.answer = lambda body: completion(json.dumps({"criteria": {"acknowledges": {"passed": True, "evidence": "We love hearing from you!", "reason": "warm"}}}))
    result = judge(stub, criteria=("acknowledges",))["acknowledges"]
    assert result.passed is None and "not in the reply" in result.reason


def test_evidence_quoted_from_the_customer_is_discarded_too(stub):
    stub.answer = lambda body: completion(json.dumps({"criteria": {"answers_question": {"passed": True, "evidence": "> Is return shipping free?", "reason": "r"}}}))
    assert judge(stub, criteria=("answers_question",))["answers_question"].passed is None


def test_unreachable_server_gives_unscored(stub):
    port = int(stub.url.rsplit(":", 1)[1].split("/")[0])
    engine = LlmJudgeEngine(url=f"http://127.0.0.1:{port}/wrong-prefix", timeout=2)
    from mysteryshop.quality.scoring import clean

    result = engine.score(EXCHANGE, clean(EXCHANGE), ["acknowledges"])["acknowledges"]
    assert result.passed is None and "HTTP 404" in result.reason


def test_no_endpoint_configured_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("MYSTERYSHOP_LLM_URL", raising=False)
    with pytest.raises(ValueError, match="MYSTERYSHOP_LLM_URL"):
        LlmJudgeEngine()


def test_changing_the_environment_reaches_the_engine(stub, monkeypatch):
    stub.answer = lambda body: completion('{"acknowledges": {"passed": true, "evidence": "", "reason": "ok"}}')
    monkeypatch.setenv("MYSTERYSHOP_LLM_URL", stub.url)
    assert score_reply(EXCHANGE, ["acknowledges"], engine="llm")["acknowledges"].passed is True
    monkeypatch.delenv("MYSTERYSHOP_LLM_URL")
    with pytest.raises(ValueError, match="MYSTERYSHOP_LLM_URL"):
        score_reply(EXCHANGE, ["acknowledges"], engine="llm")
