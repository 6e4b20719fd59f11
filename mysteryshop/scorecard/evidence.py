"""Evidence beside a scorecard: each message as a .eml file, and what the browser kept for each probe.

The QA page links every piece of evidence a finding rests on, as files next to it:

- `messages/<id>.eml`: the raw bytes of each message (sent or received) of the probes the page
  shows, and of the messages that matched no probe, exactly as the store holds them (`<id>` is the
  message's row id in the store, the `ref` of the scorecard).
- the browser evidence of each probe, where the run kept it (`reports/<run-id>/browser/<probe>/`,
  see `channels.browser`): screenshots (shown), page snapshots, the Playwright trace and the HAR
  (linked).

Links are relative to the scorecard's folder, so the folder can be moved or published as it is.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mysteryshop import atomic
from mysteryshop.channels.browser import HAR_FILE, TRACE_FILE, evidence_folder
from mysteryshop.store import Store, placeholders

MESSAGES_DIR = "messages"


def href(path: Path, base: Path) -> str:
    """`path` as a link from a page in folder `base`: relative, with '/' separators, percent-encoded."""
    return quote(Path(os.path.relpath(path.resolve(), base.resolve())).as_posix())


def eml_name(ref: int) -> str:
    return f"{int(ref)}.eml"


@dataclass(slots=True)
class BrowserEvidence:
    """What the browser kept for one probe, as links from the scorecard's folder."""

    screenshots: list[dict[str, str]] = field(default_factory=list)  # {href, name, utc}
    pages: list[dict[str, str]] = field(default_factory=list)  # the page's HTML at the same moments (untrusted: downloaded, not opened)
    trace: str | None = None
    har: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"screenshots": self.screenshots, "pages": self.pages, "trace": self.trace, "har": self.har}


def _mtime_utc(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def browser_files(evidence_root: Path, probe_id: str) -> list[Path]:
    """The files the browser kept for `probe_id` under `evidence_root` (reports/<run-id>), sorted by name; [] when none."""
    folder = evidence_folder(evidence_root, probe_id)
    try:
        return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    except OSError:
        return []


def browser_evidence(evidence_root: Path, probe_id: str, base: Path) -> BrowserEvidence | None:
    """The probe's browser evidence as links from folder `base`; None when the browser kept nothing for it."""
    files = browser_files(evidence_root, probe_id)
    if not files:
        return None
    found = BrowserEvidence()
    for path in files:
        if path.suffix == ".png":
            found.screenshots.append({"href": href(path, base), "name": path.stem, "utc": _mtime_utc(path)})
        elif path.suffix == ".html":
            found.pages.append({"href": href(path, base), "name": path.stem})
        elif path.name == TRACE_FILE:
            found.trace = href(path, base)
        elif path.name == HAR_FILE:
            found.har = href(path, base)
    return found


def _write_unless_there(path: Path, data: bytes) -> None:
    """Write `path` whole (temporary file, then renamed), unless it holds `data` already: a stored message never
    changes, and a report written again into the same folder then costs a read, not a new file (a rename over an
    existing file costs ~2 ms on a busy ext4 disk: seconds for a thousand messages)."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:
        pass
    atomic.write_bytes(path, data)


def write_messages(store: Store, run_id: str, probe_ids: Collection[str], directory: Path) -> dict[str, Any]:
    """Write the raw message of every message of `probe_ids`, and every message that matched no probe, to
    `directory/messages/<id>.eml` (each file whole or not at all); what the page links.

    Returns {"eml": {ref: href}, "sent": {probe id: [{ref, href, utc, subject, to}]}}: the customer's own
    messages are listed by probe, as the scorecard's entries hold only what came back.
    """
    folder = directory / MESSAGES_DIR
    eml: dict[int, str] = {}
    sent: dict[str, list[dict[str, Any]]] = {}
    wanted = sorted(probe_ids)
    rows: Iterable[tuple[Any, ...]] = store.each_row(
        "SELECT id, probe_id, direction, utc, subject, rcpt_to, raw FROM messages WHERE run_id = ? AND probe_id IS NULL ORDER BY id",
        (run_id,))
    batches = [rows]
    for start in range(0, len(wanted), 500):  # SQLite binds at most a few thousand parameters
        chunk = wanted[start:start + 500]
        batches.append(store.each_row(
            "SELECT id, probe_id, direction, utc, subject, rcpt_to, raw FROM messages "
            f"WHERE run_id = ? AND probe_id IN ({placeholders(len(chunk))}) ORDER BY id", (run_id, *chunk)))
    made = False
    for batch in batches:
        for ref, probe_id, direction, utc, subject, rcpt_to, raw in batch:
            if not made:
                folder.mkdir(parents=True, exist_ok=True)
                made = True
            _write_unless_there(folder / eml_name(ref), bytes(raw))
            eml[ref] = f"{MESSAGES_DIR}/{eml_name(ref)}"
            if direction == "out" and probe_id is not None:
                sent.setdefault(probe_id, []).append({"ref": ref, "href": eml[ref], "utc": utc, "subject": subject or "", "to": rcpt_to})
    return {"eml": eml, "sent": sent}


def page_evidence(
    card: Mapping[str, Any], shown: Iterable[Mapping[str, Any]], directory: Path, *, store: Store | None = None,
    evidence_root: Path | None = None,
) -> dict[str, Any]:
    """Everything the QA page links for the probes it shows: messages written as .eml (with `store`), and the
    browser evidence found under `evidence_root` (reports/<run-id>; default: the scorecard's own folder)."""
    shown = list(shown)
    root = evidence_root if evidence_root is not None else directory
    browser = {}
    for probe in shown:
        found = browser_evidence(root, probe["id"], directory)
        if found is not None:
            browser[probe["id"]] = found.as_dict()
    messages = write_messages(store, card["run"]["id"], [p["id"] for p in shown], directory) if store is not None else {"eml": {}, "sent": {}}
    return {"browser": browser, **messages}
