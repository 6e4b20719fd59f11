"""Synthetic customers: one Faker persona per probe, seeded so a run can be repeated."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from anyascii import anyascii
from faker import Faker

DEFAULT_PROBE_DOMAIN = "probe.mysteryshop.test"


@dataclass(frozen=True, slots=True)
class Persona:
    """One fake customer. Every field is invented; `email` is unique to the probe."""

    key: str
    first_name: str
    last_name: str
    email: str
    phone: str
    order_id: str
    locale: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @classmethod
    def from_record(cls, record: dict[str, str]) -> Persona:
        """The persona a probe's stored record holds (which adds derived keys such as full_name and language)."""
        return cls(**{name: record[name] for name in cls.__dataclass_fields__})

    def as_dict(self) -> dict[str, str]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["full_name"] = self.full_name
        return data


def ascii_name(text: str) -> str:
    """`text` transliterated to ASCII from any script ('中川' → 'ZhongChuan', 'Jürgen' → 'Jurgen')."""
    return anyascii(text)


def _ascii_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", ascii_name(text).lower()) or "shopper"


def _address_tag(index: int, salt: str) -> str:
    """Six hex digits, distinct for every `index` below 2**24 under one `salt`.

    An odd multiplier is a bijection modulo 2**24 and so is adding a constant: two personas of one
    journey, target and run never share a tag, and the tags do not count up where a desk could see it.
    """
    offset = int.from_bytes(hashlib.blake2s(salt.encode(), digest_size=3).digest(), "big")
    return f"{(index * 0x9E3779 + offset) % (1 << 24):06x}"


def _plus(mailbox: str, tag: str) -> str:
    user, _, host = mailbox.partition("@")
    return f"{user.split('+')[0]}+{tag}@{host}"


def make_persona(
    seed: int,
    index: int,
    *,
    locale: str = "en_US",
    domain: str = DEFAULT_PROBE_DOMAIN,
    run_tag: str = "",
    mailbox: str | None = None,
) -> Persona:
    """Make the `index`-th persona of a seeded run.

    The same (seed, index, locale) always gives the same person. `run_tag` goes into
    the address only, so two runs with one seed still get distinct mailboxes.

    Example:
        >>> make_persona(7, 0).email == make_persona(7, 0).email
        True
    """
    fake = Faker(locale)
    fake.seed_instance(f"{seed}:{index}:{locale}")
    first, last = fake.first_name(), fake.last_name()
    local = f"{_ascii_slug(first)}.{_ascii_slug(last)}.{_address_tag(index, f'{seed}:{locale}:{run_tag}')}"
    order_id = f"ORD-{fake.unique.random_number(digits=6, fix_len=True)}"
    return Persona(
        key=f"p{index}",
        first_name=first,
        last_name=last,
        email=_plus(mailbox, local) if mailbox else f"{local}@{domain}",
        phone=fake.phone_number(),
        order_id=order_id,
        locale=locale,
    )
