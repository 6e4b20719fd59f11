"""Where the demo desk's randomness comes from: the run's seed and what the customer said, nothing else.

Two runs with one seed must get the same behaviour from the desk, whatever order their probes
arrive in and however busy the machine is. So every contact (an email, a contact form, a chat)
gets its own random stream, seeded with the run's seed and a key made of what that customer
repeats in every run: their name, the persona part of their address, the subject or message.
Never arrival order, wall-clock time, a counter shared by all contacts, or the per-run tag a
probe address carries (`persona.py` puts one into every address so that two runs never share
a mailbox). `random.Random(str)` hashes the string with SHA-512: the same key gives the same
stream in every process, whatever PYTHONHASHSEED is.
"""

from __future__ import annotations

import random
import re

#: The per-run tag at the end of a probe address's local part ('jane.doe.3fa9c1'): six hex digits after a dot.
_RUN_TAG = re.compile(r"[.][0-9a-f]{6}$")


def stable_address(address: str) -> str:
    """`address` without what changes from run to run: the run tag of a probe address, and the mailbox of a +address.

    Example:
        >>> stable_address("Jane.Doe.3fa9c1@probe.mysteryshop.test")
        'jane.doe@probe.mysteryshop.test'
        >>> stable_address("qa+jane.doe.00beef@example.com")
        'jane.doe@example.com'
    """
    local, _, domain = address.strip().lower().rpartition("@")
    if not local:
        local, domain = domain, ""
    local = local.rpartition("+")[2]
    local = _RUN_TAG.sub("", local)
    return f"{local}@{domain}" if domain else local


def contact_key(seed: int, channel: str, *, address: str = "", name: str = "", what: str = "") -> str:
    """The key of one contact: the seed, the channel, who (name and address, run tag removed) and what (subject or message)."""
    who = f"{' '.join(name.split()).casefold()}|{stable_address(address) if address else ''}"
    return f"{seed}:{channel}:{who}:{what}"


def contact_rng(seed: int, channel: str, *, address: str = "", name: str = "", what: str = "") -> random.Random:
    """The random stream of one contact (see `contact_key`)."""
    return random.Random(contact_key(seed, channel, address=address, name=name, what=what))
