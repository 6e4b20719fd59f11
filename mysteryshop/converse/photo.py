"""The photo a persona attaches when a company asks for one: a small PNG of "the damage", made with zlib. Pure.

Fabric-like noise with a dark tear across it, drawn from a seed: the same persona sends the same picture, and two
personas never send the same bytes (a desk that deduplicates attachments would spot a shared one).
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib

WIDTH, HEIGHT = 96, 72


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def damage_photo(seed: str, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """A valid 8-bit RGB PNG of `width` x `height` pixels, drawn from `seed`."""
    rng = random.Random(hashlib.blake2b(seed.encode(), digest_size=16).digest())
    base = [rng.randint(40, 200) for _ in range(3)]
    slope = rng.uniform(0.3, 0.8)
    offset = rng.uniform(0.2, 0.5) * height
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            weave = 12 if (x // 3 + y // 3) % 2 else -12
            tear = abs(y - (offset + slope * x)) < 2.5 + rng.random()
            for channel in base:
                value = 25 if tear else channel + weave + rng.randint(-10, 10)
                rows.append(max(0, min(255, value)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + _chunk(b"IEND", b"")


def is_png(data: bytes) -> bool:
    return data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
