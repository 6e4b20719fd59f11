"""Personas from a file: real test accounts a company set up for the programme, used instead of Faker.

CSV (a header row) or YAML (a list of mappings), one persona each: first_name, last_name, email, phone,
order_id, locale (required), and optionally mailbox_user and mailbox_password_env (the name of an
environment variable holding the password: a password itself is never read from the file, printed, stored or
reported). Every problem is reported at once as file:line.

Real accounts are real people's data only when the address is a real person's: an address on a domain that is
not a test domain is a warning (`warnings`), not an error: the company may have given you accounts on its own
domain, which is what the allow list is for.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mysteryshop.errors import JourneyError
from mysteryshop.persona import Persona
from mysteryshop.personal_data import personal_data

REQUIRED = ("first_name", "last_name", "email", "phone", "order_id", "locale")
OPTIONAL = ("mailbox_user", "mailbox_password_env")
#: domains reserved for tests (RFC 2606, RFC 6761) and the probe domain: addresses there are not real people's
TEST_DOMAINS = ("example.com", "example.org", "example.net", ".example", ".test", ".invalid", ".localhost", "mysteryshop.test")
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_LOCALE = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2})?")


@dataclass(frozen=True, slots=True)
class Mailbox:
    """A persona's own mailbox login: the user, and the environment variable that holds the password."""

    user: str
    password_env: str = field(repr=False)


@dataclass(slots=True)
class PersonasFile:
    path: Path
    personas: list[Persona]
    mailboxes: dict[str, Mailbox]  #: by persona address; never in a report
    warnings: list[str]


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        from mysteryshop.yamlparse import YamlList, YamlMap
        from mysteryshop.yamlsource import read_yaml

        doc = read_yaml(path)
        if not isinstance(doc, YamlList):
            raise JourneyError([f"{path}:1:1: a personas file in YAML is a list of personas (- first_name: ..., email: ...)"])
        return [(doc.at[i][0], dict(item) if isinstance(item, YamlMap) else {"\x00": item}) for i, item in enumerate(doc)]
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise JourneyError([f"{path}:1: missing column(s) {', '.join(missing)}; the header must name {', '.join(REQUIRED)} "
                            f"(and may add {', '.join(OPTIONAL)})"])
    return [(reader.line_num, row) for row in reader]


def load_personas(path: Path | str, *, probe_domains: tuple[str, ...] = ()) -> PersonasFile:
    """The personas of `path`; raises JourneyError listing every problem at file:line."""
    path = Path(path)
    try:
        rows = _rows(path)
    except OSError as exc:
        raise JourneyError([f"{path}: cannot read the personas file: {exc.strerror}"]) from exc
    problems: list[str] = []
    warnings: list[str] = []
    personas: list[Persona] = []
    mailboxes: dict[str, Mailbox] = {}
    seen: dict[str, int] = {}
    for index, (line, row) in enumerate(rows):
        where = f"{path}:{line}"
        if "\x00" in row:
            problems.append(f"{where}: a persona is a mapping of fields ({', '.join(REQUIRED)})")
            continue
        values = {k: str(v).strip() if v is not None else "" for k, v in row.items()}
        unknown = sorted(set(values) - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(unknown)}; a persona has {', '.join(REQUIRED + OPTIONAL)}"
                            + ("; give a password as mailbox_password_env: the NAME of an environment variable" if "mailbox_password" in unknown else ""))
        empty = [c for c in REQUIRED if not values.get(c)]
        if empty:
            problems.append(f"{where}: missing {', '.join(empty)}; every persona needs {', '.join(REQUIRED)}")
            continue
        email = values["email"]
        if not email.isascii():
            problems.append(f"{where}: email '{email}' is not ASCII; use the account's ASCII address (transliterate the name)")
        elif not _ADDRESS.fullmatch(email):
            problems.append(f"{where}: email '{email}' is not a valid address (user@domain.tld)")
        elif email.lower() in seen:
            problems.append(f"{where}: email '{email}' is used by the persona on line {seen[email.lower()]} too; every persona needs its own address")
        else:
            seen[email.lower()] = line
            domain = email.rpartition("@")[2].lower()
            if not any(domain == d.lstrip(".") or domain.endswith(d if d.startswith(".") else "." + d) for d in (*TEST_DOMAINS, *probe_domains)):
                warnings.append(f"{where}: {email} is not on a test domain ({', '.join(TEST_DOMAINS)}) or a probe domain: make sure it is a test "
                                "account the company set up, not a real customer's address")
        if not _LOCALE.fullmatch(values["locale"]):
            problems.append(f"{where}: locale '{values['locale']}' is not a locale like en_US, de_DE or fr_FR")
        for name in ("first_name", "last_name", "order_id", "phone"):
            for found in personal_data(values[name]):
                problems.append(f"{where}: {name} looks like real personal data ({found}); use the test account's own values")
        if bool(values.get("mailbox_user")) != bool(values.get("mailbox_password_env")):
            problems.append(f"{where}: give mailbox_user and mailbox_password_env together (the password's environment variable, never the password)")
        elif values.get("mailbox_user"):
            mailboxes[email.lower()] = Mailbox(values["mailbox_user"], values["mailbox_password_env"])
        personas.append(Persona(key=f"p{index}", first_name=values["first_name"], last_name=values["last_name"], email=email,
                                phone=values["phone"], order_id=values["order_id"], locale=values["locale"]))
    if not rows:
        problems.append(f"{path}:1: no personas in the file")
    if problems:
        raise JourneyError(problems)
    return PersonasFile(path, personas, mailboxes, warnings)


def persona_for(loaded: PersonasFile, index: int) -> Persona:
    """The `index`-th persona of a run, cycling through the file: with more probes than personas a persona walks
    several journeys (its replies are told apart by thread and ticket)."""
    persona = loaded.personas[index % len(loaded.personas)]
    return replace(persona, key=f"p{index}")
