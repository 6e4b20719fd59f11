"""Alerts from the command line's side: after a run, a report, a gate or a campaign's score (see mysteryshop/alerts/)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def notify(settings: Any, card: Mapping[str, Any], gate_report: Mapping[str, Any] | None, run_dir: Path) -> None:
    """Send the alerts `card` calls for, when an alerts file is configured; one line per delivery. A failed delivery is
    said on stderr and stays in the ledger as 'failed' (tried again next time); it never changes the exit code."""
    if not getattr(settings, "alerts", None):
        return
    from mysteryshop.alerts.deliver import deliver
    from mysteryshop.alerts.events import alert_events, run_link
    from mysteryshop.alerts.spec import load_alerts
    from mysteryshop.cli.common import open_store

    spec = load_alerts(settings.path(settings.alerts))
    link = run_link(spec.link, card["run"]["id"], (run_dir / "scorecard.html").resolve().as_uri())
    events = alert_events(card, gate_report, kinds=spec.on, grade_drop=spec.grade_drop, link=link)
    if not events:
        return
    store = open_store(settings)
    try:
        for delivery in deliver(store, events, spec):
            print(f"alert: {delivery.line()}", file=sys.stderr if delivery.outcome == "failed" else sys.stdout, flush=True)
    finally:
        store.close()
