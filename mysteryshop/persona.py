"""Synthetic customers: one Faker persona per probe, seeded so a run can be repeated."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

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

    def as_dict(self) -> dict[str, str]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["full_name"] = self.full_name
        return data


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", folded.lower()) or "shopper"


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
    digest = hashlib.blake2s(f"{seed}:{index}:{locale}:{run_tag}".encode(), digest_size=3).hexdigest()
    local = f"{_ascii_slug(first)}.{_ascii_slug(last)}.{digest}"
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
