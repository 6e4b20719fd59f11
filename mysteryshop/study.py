"""A benchmark study: which companies to probe side by side, how many personas each, spread over how many days.

A study is a file (YAML or CSV) that `mysteryshop run --study FILE` and `mysteryshop run --campaign NAME --study
FILE` read instead of `--target` flags. YAML:

    name: outdoor-retail-q4      # optional
    personas: 5                  # per company and journey, unless a company says otherwise
    days: 5                      # campaigns: each company's first messages spread over 5 days
    start: 2026-12-07            # campaigns: the first of those days (default: when the campaign starts)
    journeys: [email_question]   # optional: only these journeys
    companies:
      - acme                     # a target name (journeys/targets/acme.yaml)
      - target: rival
        personas: 10
        days: 3

CSV: a header naming the columns (`target` required; `personas`, `days` optional), one company a line; blank
lines and lines starting with # are skipped.

Every problem (a company listed twice, an entry without a company, a target with no file, a number that is not
one) is reported as one line naming file:line, all of them at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from mysteryshop.errors import JourneyError, suggest
from mysteryshop.yamlparse import YamlList, YamlMap
from mysteryshop.yamlsource import read_yaml

#: The fields of a study file and of each of its companies.
STUDY_FIELDS = ("name", "personas", "days", "start", "journeys", "companies")
COMPANY_FIELDS = ("target", "personas", "days")
#: The largest sample a study may ask of one company (personas per journey) and the longest spread (days).
MAX_PERSONAS = 10_000
MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class CompanySample:
    """One company of a study: its target, personas per journey (None: the run's --personas), days its first
    messages are spread over in a campaign (None: sent at once), and the line it is on."""

    target: str
    personas: int | None
    days: int | None
    line: int


@dataclass(frozen=True, slots=True)
class Study:
    path: Path
    companies: tuple[CompanySample, ...]
    name: str | None = None
    journeys: tuple[str, ...] | None = None
    start: datetime | None = None

    @property
    def targets(self) -> list[str]:
        return [c.target for c in self.companies]

    def personas(self, default: int) -> dict[str, int]:
        """Personas per journey of each company, `default` where the study says nothing."""
        return {c.target: c.personas or default for c in self.companies}

    @property
    def spread(self) -> bool:
        """Whether any company's first messages are spread over more than one day (campaigns only)."""
        return any(c.days is not None for c in self.companies) or self.start is not None


def load_study(path: Path, targets_dir: Path) -> Study:
    """The study in `path` (.yaml/.yml or .csv), its companies checked against the target files in `targets_dir`.

    Raises JourneyError with one line per problem, each naming file:line.
    """
    known = sorted(p.stem for p in targets_dir.glob("*.yaml"))
    if path.suffix.lower() == ".csv":
        study, problems = _from_csv(path)
    elif path.suffix.lower() in (".yaml", ".yml"):
        study, problems = _from_yaml(path)
    else:
        raise JourneyError([f"{path}: a study is a .yaml or .csv file (see `mysteryshop run --help`)"])
    problems += _company_problems(study.path, study.companies, known, targets_dir)
    problems += _journey_problems(study, targets_dir.parent)
    if not study.companies and not problems:
        problems.append(f"{path}:1: the study names no company; list at least one target (a file in {targets_dir})")
    if problems:
        raise JourneyError(sorted(problems, key=lambda line: _line_of(line, path)))
    return study


def _line_of(problem: str, path: Path) -> int:
    """The line number a problem names (after 'file:'), for listing problems in file order."""
    head = problem.removeprefix(f"{path}:").split(":", 1)[0]
    return int(head) if head.isdigit() else 0


def _company_problems(path: Path, companies: Iterable[CompanySample], known: list[str], targets_dir: Path) -> list[str]:
    problems = []
    first: dict[str, int] = {}
    for company in companies:
        if company.target in first:
            problems.append(f"{path}:{company.line}: company '{company.target}' is listed twice (first on line {first[company.target]}); "
                            "list each company once")
            continue
        first[company.target] = company.line
        if company.target not in known:
            problems.append(f"{path}:{company.line}: unknown target '{company.target}': no {targets_dir / (company.target + '.yaml')}."
                            f"{suggest(company.target, known)} Known targets: {', '.join(known) or '(none)'}")
    return problems


def _journey_problems(study: Study, journeys_dir: Path) -> list[str]:
    """A journey the study names that has no file: a line each (YAML studies name journeys; CSV ones do not)."""
    if not study.journeys:
        return []
    doc = read_yaml(study.path)
    listed = doc.get("journeys") if isinstance(doc, YamlMap) else None
    known = sorted(p.stem for p in journeys_dir.glob("*.yaml"))
    problems = []
    for index, name in enumerate(study.journeys):
        if name not in known:
            line = listed.at[index][0] if isinstance(listed, YamlList) and index < len(listed) else 1
            problems.append(f"{study.path}:{line}: unknown journey '{name}': no {journeys_dir / (name + '.yaml')}.{suggest(name, known)} "
                            f"Known journeys: {', '.join(known) or '(none)'}")
    return problems


def _from_yaml(path: Path) -> tuple[Study, list[str]]:
    doc = read_yaml(path)
    if not isinstance(doc, YamlMap):
        return Study(path, ()), [f"{path}:1: a study is a mapping with a 'companies:' list (see the example in `mysteryshop run --help`)"]
    problems = [f"{path}:{doc.at[key][0]}: unknown field '{key}'.{suggest(str(key), STUDY_FIELDS)} Valid fields: {', '.join(STUDY_FIELDS)}"
                for key in doc if key not in STUDY_FIELDS]

    def line_of(key: str) -> int:
        return doc.at.get(key, doc.where)[0]

    personas = _count(doc.get("personas"), f"{path}:{line_of('personas')}: personas", MAX_PERSONAS, problems, default=None)
    days = _count(doc.get("days"), f"{path}:{line_of('days')}: days", MAX_DAYS, problems, default=None)
    start = _start(doc.get("start"), f"{path}:{line_of('start')}", problems)
    journeys = doc.get("journeys")
    if journeys is not None and not (isinstance(journeys, list) and journeys and all(isinstance(j, str) and j for j in journeys)):
        problems.append(f"{path}:{line_of('journeys')}: journeys must be a list of journey names, e.g. journeys: [email_question]")
        journeys = None
    name = doc.get("name")
    if name is not None and not (isinstance(name, str) and name.strip()):
        problems.append(f"{path}:{line_of('name')}: name must be text, e.g. name: outdoor-retail-q4")
        name = None
    entries = doc.get("companies")
    companies: list[CompanySample] = []
    if entries is None:
        problems.append(f"{path}:{doc.where[0]}: no 'companies:' list; add one, e.g. companies: [demo, rival]")
    elif not isinstance(entries, YamlList):
        problems.append(f"{path}:{line_of('companies')}: companies must be a list of target names or of mappings with 'target:'")
    else:
        for index, entry in enumerate(entries):
            line = entries.at[index][0]
            company = _yaml_company(path, entry, line, index, personas, days, problems)
            if company is not None:
                companies.append(company)
    return Study(path, tuple(companies), name.strip() if name else None, tuple(journeys) if journeys else None, start), problems


def _yaml_company(
    path: Path, entry: Any, line: int, index: int, personas: int | None, days: int | None, problems: list[str]
) -> CompanySample | None:
    where = f"{path}:{line}: companies[{index}]"
    if isinstance(entry, str) and entry.strip():
        return CompanySample(entry.strip(), personas, days, line)
    if not isinstance(entry, YamlMap):
        problems.append(f"{where}: no company: write a target name (- acme) or a mapping (- target: acme)")
        return None
    for key in entry:
        if key not in COMPANY_FIELDS:
            problems.append(f"{path}:{entry.at[key][0]}: companies[{index}]: unknown field '{key}'.{suggest(str(key), COMPANY_FIELDS)} "
                            f"Valid fields: {', '.join(COMPANY_FIELDS)}")
    target = entry.get("target")
    if not (isinstance(target, str) and target.strip()):
        problems.append(f"{where}: no company: add 'target: NAME' (a file in journeys/targets/)")
        return None
    return CompanySample(
        target.strip(),
        _count(entry.get("personas"), f"{path}:{entry.at.get('personas', (line,))[0]}: companies[{index}].personas", MAX_PERSONAS, problems,
               default=personas),
        _count(entry.get("days"), f"{path}:{entry.at.get('days', (line,))[0]}: companies[{index}].days", MAX_DAYS, problems, default=days),
        line,
    )


def _from_csv(path: Path) -> tuple[Study, list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise JourneyError([f"{path}: cannot read the study: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise JourneyError([f"{path}:1: not UTF-8 text; save the study as UTF-8 CSV"]) from None
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text))
    rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#")]
    if not rows:
        return Study(path, ()), problems
    header_line, header = rows[0]
    columns = [cell.strip().lower() for cell in header]
    for column in columns:
        if column not in COMPANY_FIELDS:
            problems.append(f"{path}:{header_line}: unknown column '{column}'.{suggest(column, COMPANY_FIELDS)} "
                            f"The header names the columns: target (required), personas, days")
    if "target" not in columns:
        problems.append(f"{path}:{header_line}: the first line must name the columns, with 'target' among them (e.g. target,personas,days)")
        return Study(path, ()), problems
    companies = []
    for line, row in rows[1:]:
        cells = dict(zip(columns, (cell.strip() for cell in row), strict=False))
        if len(row) > len(columns):
            problems.append(f"{path}:{line}: {len(row)} cells, but the header names {len(columns)} columns")
        target = cells.get("target", "")
        if not target:
            problems.append(f"{path}:{line}: no company: the 'target' cell is empty")
            continue
        companies.append(CompanySample(
            target,
            _count(cells.get("personas") or None, f"{path}:{line}: personas", MAX_PERSONAS, problems, default=None),
            _count(cells.get("days") or None, f"{path}:{line}: days", MAX_DAYS, problems, default=None),
            line,
        ))
    return Study(path, tuple(companies)), problems


def _count(value: Any, where: str, most: int, problems: list[str], *, default: int | None) -> int | None:
    """A whole number from 1 to `most` (a CSV cell's text too), else a problem noted and `default`."""
    if value is None:
        return default
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        problems.append(f"{where} must be a whole number from 1 to {most}, not {value!r}")
        return default
    return value


def _start(value: Any, where: str, problems: list[str]) -> datetime | None:
    """`start:` as a UTC datetime: a date (its midnight, UTC) or an ISO date and time (UTC when it names no zone)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value)) if "T" in str(value) or " " in str(value).strip() else None
        if parsed is None:
            day = date.fromisoformat(str(value).strip())
            parsed = datetime(day.year, day.month, day.day)
    except ValueError:
        problems.append(f"{where}: start must be a date (2026-12-07) or a date and time (2026-12-07T09:00+01:00), not {value!r}")
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def first_sends(study: Study, probes: Mapping[str, list[str]], started_ns: int) -> dict[str, int]:
    """When each probe's first message may go (wall-clock ns), for a campaign: each company's probes (`probes`: target →
    probe ids, in plan order) spread evenly over its days, from the study's start (or `started_ns`).

    Probe i of n goes at start + i × days / n: every day gets its share, at times of day that move along, so a desk's
    quiet hours and busy ones are both sampled. A company with no `days` sends at the start; a time already past
    means at once.
    """
    start_ns = int(study.start.timestamp() * 1e9) if study.start is not None else started_ns
    plan: dict[str, int] = {}
    for company in study.companies:
        ids = probes.get(company.target) or []
        span_ns = int(timedelta(days=company.days or 0).total_seconds() * 1e9)
        for index, probe_id in enumerate(ids):
            plan[probe_id] = start_ns + span_ns * index // max(1, len(ids))
    return plan
