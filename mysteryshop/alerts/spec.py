"""The alerts file: what to alert on and where to send it.

    link: "https://ci.example.com/mysteryshop/{run_id}/scorecard.html"   # optional; default: the scorecard's file path
    on: [gate_failed, grade_drop, undeliverable]                          # default: all three
    grade_drop: 1            # letters a company's grade may fall since its last run before an alert (default 1)
    retries: 4               # attempts per destination (default 4), waiting backoff, 2x backoff, ... between them
    backoff: 1s
    timeout: 10s             # per attempt
    send:
      - webhook: https://hooks.slack.com/services/T000/B000/XXXX
        format: slack        # slack (default) | json
      - email: qa-team@example.com
        smtp: mail.example.com:25
        from: mysteryshop@example.com

Every problem is reported as file:line:column (see yamlsource.load_model).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mysteryshop.durations import parse_duration
from mysteryshop.yamlsource import load_model

EVENT_KINDS = ("gate_failed", "grade_drop", "undeliverable")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Destination(_Strict):
    """One place alerts go: a webhook, or an email address with the SMTP server to send through."""

    webhook: str | None = Field(default=None, description="URL the alert is POSTed to as JSON")
    format: Literal["slack", "json"] = "slack"
    email: str | None = Field(default=None, description="address the alert is mailed to")
    smtp: str | None = Field(default=None, description="host:port of the SMTP server for email")
    sender: str = Field(default="mysteryshop@localhost", alias="from")

    @model_validator(mode="after")
    def _one_kind(self) -> Destination:
        if (self.webhook is None) == (self.email is None):
            raise ValueError("each entry of send: is either a webhook: URL or an email: address (with smtp: host:port)")
        if self.webhook is not None and not self.webhook.startswith(("http://", "https://")):
            raise ValueError(f"webhook '{self.webhook}' is not an http:// or https:// URL")
        if self.email is not None:
            if "@" not in self.email:
                raise ValueError(f"email '{self.email}' is not an address")
            host, _, port = (self.smtp or "").rpartition(":")
            if not host or not port.isdigit():
                raise ValueError("an email destination needs smtp: host:port, e.g. smtp: mail.example.com:25")
        return self

    @property
    def name(self) -> str:
        """How the ledger and the terminal name this destination (a webhook without its secret path)."""
        if self.webhook is not None:
            from urllib.parse import urlsplit

            return f"webhook {urlsplit(self.webhook).netloc}"
        return f"email {self.email}"

    @property
    def key(self) -> str:
        """What makes this destination itself in the ledger: the whole URL (two Slack channels share a host)."""
        return self.webhook or f"mailto:{self.email}"


class AlertSpec(_Strict):
    link: str | None = None
    on: list[Literal["gate_failed", "grade_drop", "undeliverable"]] = list(EVENT_KINDS)
    grade_drop: int = Field(default=1, ge=1, le=5)
    retries: int = Field(default=4, ge=1, le=10)
    backoff: str = "1s"
    timeout: str = "10s"
    send: list[Destination] = Field(min_length=1)

    @field_validator("backoff", "timeout")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def backoff_s(self) -> float:
        return parse_duration(self.backoff) / 1e9

    @property
    def timeout_s(self) -> float:
        return max(parse_duration(self.timeout) / 1e9, 0.001)


def load_alerts(path: Path) -> AlertSpec:
    """The alerts file at `path`; a JourneyError naming file:line:column for each problem."""
    from mysteryshop.errors import JourneyError

    if not path.is_file():
        raise JourneyError([f"{path}: no alerts file there; write one (see the README, 'Alerts') or fix the path"])
    spec, _ = load_model(path, AlertSpec)
    return spec
