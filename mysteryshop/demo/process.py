"""The demo desk as its own process: the company under test should not share the harness's
interpreter (nor its GIL), or the harness's timing would measure their contention."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Sequence
from pathlib import Path

from mysteryshop.demo.desk import EmailDesk, GroundTruth
from mysteryshop.demo.profile import Profile
from mysteryshop.errors import MysteryShopError

READY = "mysteryshop-demo-desk ready"


class DemoDeskProcess:
    """Start `python -m mysteryshop.demo serve` and talk to it through its port and its truth file."""

    def __init__(
        self, profile: Profile, *, deliver_to: tuple[str, int], seed: int = 0, speedup: float = 1.0, workdir: Path | None = None,
        deadlines: Sequence[int] = (),
    ) -> None:
        """`deadlines`: company ns after an email by which the run's journeys expect an email reply (the desk keeps clear)."""
        self.profile = profile
        self.deadlines = tuple(sorted(set(deadlines)))
        self.deliver_to = deliver_to
        self.seed = seed
        self.speedup = speedup
        self._dir = Path(workdir or tempfile.mkdtemp(prefix="mysteryshop-desk-"))
        self.truth_path = self._dir / "ground-truth.jsonl"
        self.port = 0
        self.http_port = 0
        self._proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 30) -> DemoDeskProcess:
        profile_path = self._dir / "profile.json"
        profile_path.write_text(self.profile.model_dump_json(), encoding="utf-8")
        host, port = self.deliver_to
        cmd = [
            sys.executable, "-m", "mysteryshop.demo", "serve",
            "--profile-json", str(profile_path), "--deliver-to", f"{host}:{port}",
            "--seed", str(self.seed), "--speedup", repr(self.speedup), "--truth", str(self.truth_path),
            *(arg for ns in self.deadlines for arg in ("--deadline", f"{ns}ns")),
        ]
        # The desk's log goes to a file: a pipe nobody reads fills up and stalls the desk.
        self.log_path = self._dir / "desk.log"
        with self.log_path.open("w") as log:
            self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
        deadline = time.monotonic() + timeout
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith(READY):
            self._proc.kill()
            self._proc.wait(timeout=5)
            err = self.log_path.read_text(errors="replace")
            raise MysteryShopError(f"the demo desk did not start within {timeout:.0f}s: {(line + err).strip()[-2000:]}")
        words = line.split()
        self.port = int(words[-1])
        if "http" in words:
            self.http_port = int(words[words.index("http") + 1].rpartition(":")[2])
        weakref.finalize(self, _terminate, self._proc)
        if time.monotonic() > deadline:
            raise MysteryShopError("the demo desk started too slowly")
        return self

    @property
    def truth(self) -> GroundTruth:
        return GroundTruth.read(self.truth_path)

    def stop(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> DemoDeskProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _terminate(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()


async def serve(
    profile: Profile, *, deliver_to: tuple[str, int], seed: int, speedup: float, truth: Path | None, host: str, port: int, http_port: int = 0,
    deadlines: Sequence[int] = (),
) -> None:
    """Run a desk (support mailbox, contact form and chat website) until SIGTERM or SIGINT."""
    from mysteryshop.demo.web import WebDesk

    desk = EmailDesk(profile, deliver_to=deliver_to, seed=seed, speedup=speedup, host=host, port=port, truth_path=truth, deadlines=deadlines)
    bound = await desk.start()
    website = WebDesk(desk, host=host, port=http_port)
    http_bound = await website.start()
    # The last word stays the SMTP port (older readers take it); the HTTP port follows "http".
    print(f"{READY} smtp {host}:{bound} http {host}:{http_bound} {bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    parent = os.getppid()

    def orphaned() -> None:
        if os.getppid() != parent:
            stop.set()
        else:
            loop.call_later(1.0, orphaned)

    loop.call_later(1.0, orphaned)
    await stop.wait()
    await website.stop()
    await desk.stop()


def main(argv: list[str] | None = None) -> int:
    import argparse

    from mysteryshop.demo.profile import get_profile
    from mysteryshop.durations import parse_duration

    parser = argparse.ArgumentParser(prog="python -m mysteryshop.demo", description="Run the demo support desk (mailbox, contact form, chat) on loopback.")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("serve", help="serve the support mailbox until interrupted")
    cmd.add_argument("--profile", default="typical", help="excellent, typical or poor (default: typical)")
    cmd.add_argument("--profile-json", type=Path, help="a profile as JSON (overrides --profile)")
    cmd.add_argument("--deliver-to", required=True, help="HOST:PORT of the probe mailbox that receives the desk's replies")
    cmd.add_argument("--seed", type=int, default=0)
    cmd.add_argument("--speedup", type=float, default=1.0, help="company seconds per wall second (default: 1)")
    cmd.add_argument("--truth", type=Path, help="append the ground-truth log to this JSON-lines file")
    cmd.add_argument("--host", default="127.0.0.1")
    cmd.add_argument("--port", type=int, default=0, help="SMTP port (default: any free one)")
    cmd.add_argument("--http-port", type=int, default=0, help="port of the website: contact form and chat (default: any free one)")
    cmd.add_argument("--deadline", action="append", default=[], metavar="DURATION",
                     help="company time after an email by which a journey expects a reply (repeatable): replies keep clear of it")
    args = parser.parse_args(argv)
    profile = Profile.model_validate(json.loads(args.profile_json.read_text())) if args.profile_json else get_profile(args.profile)
    host, _, port = args.deliver_to.rpartition(":")
    if not host or not port.isdigit():
        parser.error(f"--deliver-to must be HOST:PORT, got '{args.deliver_to}'")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    try:
        deadlines = [parse_duration(text) for text in args.deadline]
    except ValueError as exc:
        parser.error(f"--deadline: {exc}")
    asyncio.run(serve(profile, deliver_to=(host, int(port)), seed=args.seed, speedup=args.speedup, truth=args.truth, host=args.host,
                      port=args.port, http_port=args.http_port, deadlines=deadlines))
    return 0
