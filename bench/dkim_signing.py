"""Benchmark: what DKIM signing adds to composing a probe email, beside composing it unsigned.

Composes the same persona email N times (the runner's path: compose, then as_bytes), unsigned and
then DKIM-signed with a 2048-bit RSA key made by openssl (dkimpy, relaxed/relaxed), and prints the
cost of each per message (the best of --repeat rounds, on this shared machine). Unsigned targets
never reach the signer; the signed figure is the CPU a signed probe costs on the run's event loop.

    .venv/bin/python bench/dkim_signing.py            # N = 200
    .venv/bin/python bench/dkim_signing.py --n 1000

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mysteryshop.mail import compose
from mysteryshop.signing import load_signer


def _compose(i: int) -> bytes:
    return compose(sender=("Ann Lee", f"ann.lee.{i:06x}@probe.example.com"), to="support@northwind.demo",
                   subject=f"Where is order ORD-{i:06d}?", body="Hello, where is my delivery? It was due on Monday.\n\nAnn Lee\n",
                   domain="probe.example.com").as_bytes()


def _per_message_us(work, n: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for i in range(n):
            work(i)
        best = min(best, time.perf_counter() - started)
    return best / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="messages per round (default 200)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is printed (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "dkim.pem"
        subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
        signer = load_signer(SimpleNamespace(domain="probe.example.com", selector="ms1", key_file=str(key), key_env=None), Path(tmp) / "t.yaml")
    unsigned = _per_message_us(_compose, args.n, args.repeat)
    signed = _per_message_us(lambda i: signer.sign(_compose(i)), args.n, args.repeat)
    print(f"N={args.n}  compose unsigned {unsigned:.1f} µs/message  |  compose + DKIM sign ({signer.bits}-bit RSA) {signed / 1000:.2f} ms/message"
          f"  = {signed / unsigned:.0f}x  |  {args.n} signed probes: {signed * args.n / 1e6:.2f} s of CPU")
    print(json.dumps({"n": args.n, "unsigned_us_per_message": round(unsigned, 2), "signed_us_per_message": round(signed, 1),
                      "ratio": round(signed / unsigned, 1), "key_bits": signer.bits}))


if __name__ == "__main__":
    main()
