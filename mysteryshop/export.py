"""The evidence pack of a run: one zip a company can be shown when it disputes a finding.

What it holds (`probes/<probe>/` for each probe exported):

- `messages/<id>-<in|out>.eml`: every message sent or received, the raw bytes as the store holds them;
- `transcript.txt`: what the browser saw (contact-form confirmations, each chat message), with UTC times;
- `browser/`: the screenshots, page snapshots, Playwright trace and HAR the run kept for the probe;
- `findings.json`: the probe's entry in the run's scorecard.json (its verdicts and their evidence), when there is one;
- `events.jsonl` (top level): every stored event of those probes (and, for a whole run, of the run), one JSON object a line;
- `definitions/`: the journey and target files the probes ran with, as they are on disk when the pack is made;
- `manifest.json`: the run's settings, the probes, and the SHA-256 and size of every other file in the zip.

A pack can be narrowed to one company (`targets`) or to some probes: a company is shown its own
evidence, never another's. The zip is written to a temporary name beside the destination and
renamed once complete, so a full disk or a crash never leaves a half-written pack under the
destination's name.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mysteryshop import __version__
from mysteryshop.atomic import atomic_path
from mysteryshop.channels.browser import evidence_folder
from mysteryshop.errors import ConfigError
from mysteryshop.store import Store, placeholders, utc_now

SCHEMA = "mysteryshop.evidence/1"
#: already compressed: stored as they are
_STORED = (".png", ".zip", ".jpg", ".jpeg", ".webp")


class ExportError(ConfigError):
    """The pack could not be written where asked."""


@dataclass(slots=True)
class Pack:
    """The entries of a pack as they are added: path in the zip → (sha256, bytes, what it is)."""

    zf: zipfile.ZipFile
    files: list[dict[str, Any]] = field(default_factory=list)

    def add_bytes(self, name: str, data: bytes, kind: str, **about: Any) -> None:
        compress = zipfile.ZIP_STORED if name.lower().endswith(_STORED) else zipfile.ZIP_DEFLATED
        self.zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, compress_type=compress)
        self.files.append({"path": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "kind": kind, **about})

    def add_file(self, name: str, path: Path, kind: str, **about: Any) -> None:
        digest, size = hashlib.sha256(), 0
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
        compress = zipfile.ZIP_STORED if name.lower().endswith(_STORED) else zipfile.ZIP_DEFLATED
        self.zf.write(path, name, compress_type=compress)
        self.files.append({"path": name, "sha256": digest.hexdigest(), "bytes": size, "kind": kind, **about})


def _probes(store: Store, run_id: str, targets: Collection[str], probe_ids: Collection[str]) -> list[dict[str, Any]]:
    rows = store.query_dicts("SELECT id, journey, target, persona, status FROM probes WHERE run_id = ? ORDER BY rowid", (run_id,))
    known_targets = {r["target"] for r in rows}
    unknown = sorted(set(targets) - known_targets)
    if unknown:
        raise ConfigError(f"run {run_id} probed no target named {', '.join(unknown)}; its targets: {', '.join(sorted(known_targets)) or '(none)'}")
    missing = sorted(set(probe_ids) - {r["id"] for r in rows})
    if missing:
        raise ConfigError(f"run {run_id} has no probe {', '.join(missing[:5])}; see probes.csv or scorecard.json beside its scorecard")
    chosen = [r for r in rows if (not targets or r["target"] in targets) and (not probe_ids or r["id"] in probe_ids)]
    for r in chosen:
        r["persona"] = json.loads(r["persona"])
    return chosen


def _transcript(events: list[dict[str, Any]]) -> str:
    """The browser's side of a probe as text: form confirmations and chat messages, in the order they happened."""
    lines = []
    for e in events:
        data = e["data"]
        if e["kind"] == "chat_message":
            lines.append(f"{e['utc']}  [{e['step']}] {data.get('author', '?')}: {data.get('text', '')}")
        elif e["kind"] == "form_submitted":
            ticket = f" (ticket {data['ticket']})" if data.get("ticket") else ""
            lines.append(f"{e['utc']}  [{e['step']}] contact form sent to {data.get('url', '?')}; the page said{ticket}: {data.get('confirmation', '')}")
    return "\n".join(lines) + "\n" if lines else ""


def _findings(scorecard: Path | None) -> dict[str, Any]:
    """Each probe's entry in the run's scorecard.json, when the file is there and readable."""
    if scorecard is None or not scorecard.is_file():
        return {}
    try:
        card = json.loads(scorecard.read_bytes())
    except (OSError, ValueError):
        return {}
    return {p["id"]: {k: p.get(k) for k in ("status", "error", "problem", "path", "outcomes", "promises", "stalling")}
            for p in card.get("probes", []) if isinstance(p, dict) and "id" in p}


def _each_event(store: Store, run_id: str, probe_ids: list[str], whole_run: bool) -> Iterator[dict[str, Any]]:
    sql = "SELECT id, probe_id, kind, step, t_ns, utc, data FROM events WHERE run_id = ?"
    if whole_run:
        batches = [(sql + " ORDER BY id", (run_id,))]
    else:
        batches = [(sql + f" AND probe_id IN ({placeholders(len(chunk))}) ORDER BY id", (run_id, *chunk))
                   for chunk in (probe_ids[i:i + 500] for i in range(0, len(probe_ids), 500))]
    for query, params in batches:
        for event_id, probe_id, kind, step, t_ns, utc, data in store.each_row(query, params):
            try:
                parsed = json.loads(data) if data else {}
            except ValueError:
                parsed = {"unreadable": data}
            yield {"id": event_id, "probe": probe_id, "kind": kind, "step": step, "t_ns": t_ns, "utc": utc, "data": parsed}


def write_pack(
    store: Store, run_id: str, destination: Path, *, evidence_root: Path, journeys_dir: Path | None = None,
    targets: Collection[str] = (), probe_ids: Collection[str] = (),
) -> dict[str, Any]:
    """Write the evidence pack of `run_id` to `destination` (a .zip), whole or not at all; its manifest.

    `evidence_root`: where the run kept its browser evidence and scorecard (reports/<run-id>).
    `journeys_dir`: where its journey and target files are (they go into definitions/ when found).
    `targets` / `probe_ids`: only these companies' / probes' evidence (default: the whole run).
    """
    runs = store.query_dicts("SELECT id, started_utc, finished_utc, status, config FROM runs WHERE id = ?", (run_id,))
    if not runs:
        raise ConfigError(f"no run '{run_id}' in {store.path}")
    run = runs[0]
    probes = _probes(store, run_id, targets, probe_ids)
    whole_run = not targets and not probe_ids
    ids = [p["id"] for p in probes]
    folder_of = {p["id"]: f"probes/{evidence_folder(Path(), p['id']).name}" for p in probes}
    findings = _findings(evidence_root / "scorecard.json")
    destination = Path(destination)
    if destination.is_dir():
        raise ExportError(f"cannot write the evidence pack to {destination}: it is a folder; name a .zip file there "
                          f"(e.g. {destination / f'evidence-{run_id}.zip'})")
    blocking = next((folder for folder in [destination.parent, *destination.parent.parents] if folder.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise ExportError(f"cannot write the evidence pack to {destination}: {blocking} is a file, not a folder. "
                          "Pass --out with another path.")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(destination) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            pack = Pack(zf)
            by_probe: dict[str, list[dict[str, Any]]] = {}
            lines = []
            for event in _each_event(store, run_id, ids, whole_run):
                lines.append(json.dumps(event, ensure_ascii=False, sort_keys=True))
                if event["probe"] is not None:
                    by_probe.setdefault(event["probe"], []).append(event)
            pack.add_bytes("events.jsonl", ("\n".join(lines) + "\n" if lines else "").encode(), "events")
            for chunk in ([None] if whole_run else [ids[i:i + 500] for i in range(0, len(ids), 500)]):
                sql = "SELECT id, probe_id, direction, utc, mail_from, rcpt_to, subject, message_id, raw FROM messages WHERE run_id = ?"
                if chunk is not None:  # a company's pack: its probes' messages only (none that matched no probe)
                    sql += f" AND probe_id IN ({placeholders(len(chunk))})"
                params = (run_id,) if chunk is None else (run_id, *chunk)
                for ref, probe_id, direction, utc, mail_from, rcpt_to, subject, message_id, raw in store.each_row(sql + " ORDER BY id", params):
                    base = folder_of.get(probe_id, "unmatched")
                    pack.add_bytes(f"{base}/messages/{ref}-{direction}.eml", bytes(raw), f"message ({'sent' if direction == 'out' else 'received'})",
                                   probe=probe_id, message={"ref": ref, "direction": direction, "utc": utc, "from": mail_from,
                                                            "to": json.loads(rcpt_to), "subject": subject, "message_id": message_id})
            for p in probes:
                base = folder_of[p["id"]]
                text = _transcript(by_probe.get(p["id"], []))
                if text:
                    pack.add_bytes(f"{base}/transcript.txt", text.encode(), "transcript", probe=p["id"])
                if p["id"] in findings:
                    pack.add_bytes(f"{base}/findings.json", json.dumps(findings[p["id"]], ensure_ascii=False, indent=1).encode(), "findings",
                                   probe=p["id"])
                browser = evidence_folder(evidence_root, p["id"])
                if browser.is_dir():
                    for path in sorted(browser.iterdir()):
                        if path.is_file() and not path.name.startswith("."):
                            pack.add_file(f"{base}/browser/{path.name}", path, _browser_kind(path), probe=p["id"])
            if journeys_dir is not None:
                for name in sorted({p["journey"] for p in probes}):
                    found = journeys_dir / f"{name}.yaml"
                    if found.is_file():
                        pack.add_file(f"definitions/journeys/{found.name}", found, "journey (as on disk when the pack was made)")
                for name in sorted({p["target"] for p in probes}):
                    found = journeys_dir / "targets" / f"{name}.yaml"
                    if found.is_file():
                        pack.add_file(f"definitions/targets/{found.name}", found, "target (as on disk when the pack was made)")
            manifest = {
                "schema": SCHEMA, "created_utc": utc_now(), "mysteryshop": __version__,
                "run": {"id": run_id, "started_utc": run["started_utc"], "finished_utc": run["finished_utc"], "status": run["status"],
                        "settings": _settings(run["config"])},
                "scope": {"whole_run": whole_run, "targets": sorted(targets), "probes": sorted(probe_ids)},
                "probes": [{"id": p["id"], "journey": p["journey"], "target": p["target"], "status": p["status"], "persona": p["persona"],
                            "folder": folder_of[p["id"]], "verdict": (findings.get(p["id"]) or {}).get("status")} for p in probes],
                "files": pack.files,
                "verify": "every file's SHA-256 is listed here; on any machine: sha256sum <file>, or Python's hashlib",
            }
            zf.writestr(zipfile.ZipInfo("manifest.json", date_time=(1980, 1, 1, 0, 0, 0)),
                        json.dumps(manifest, ensure_ascii=False, indent=1).encode(), compress_type=zipfile.ZIP_DEFLATED)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        code = f" (errno {exc.errno})" if exc.errno else ""
        raise ExportError(f"cannot write the evidence pack to {destination}: {reason}{code}; nothing was left under that name. "
                          "Free space there or pass --out with another path.") from exc
    return manifest


def _settings(config: str | None) -> Mapping[str, Any]:
    try:
        return json.loads(config or "{}")
    except ValueError:
        return {"unreadable": config}


def _browser_kind(path: Path) -> str:
    return {".png": "screenshot", ".html": "page snapshot (HTML)", ".har": "network (HAR)"}.get(
        path.suffix, "Playwright trace" if path.name.endswith(".zip") else "browser evidence")


def file_digest(path: Path) -> str:
    """The SHA-256 of a file (of the pack itself, printed so it can be recorded apart from it)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
