"""Settings of the `mysteryshop` command: `[tool.mysteryshop]` in pyproject.toml, then environment, then flags.

Each layer overrides the one before it, key by key. Example pyproject.toml:

    [tool.mysteryshop]
    targets = ["demo"]
    personas = 5
    baseline = "mysteryshop-baseline.json"
    fail_on_regression = true

    [tool.mysteryshop.tolerances]
    "email.answered.rate" = 0.05          # absolute: five percentage points
    "email.answered.median_s" = "25%"     # relative to the baseline's value

Environment variables are the keys in upper case with a MYSTERYSHOP_ prefix
(MYSTERYSHOP_PERSONAS=10, MYSTERYSHOP_TARGETS=demo,acme, MYSTERYSHOP_FAIL_ON_REGRESSION=1).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from mysteryshop.errors import ConfigError, suggest
from mysteryshop.storage import is_url

#: Default tolerances of the regression gate, by metric key; a key missing here uses the default for its kind.
DEFAULT_TOLERANCES: dict[str, float | str] = {"score": 5.0}
RATE_TOLERANCE = 0.10
TIME_TOLERANCE = "25%"


@dataclass(slots=True, kw_only=True)
class Settings:
    """What `mysteryshop run/report/compare/baseline` work with. Paths are relative to `root`."""

    root: Path = Path(".")
    probes: str = "probes"  #: folder of probe tests (pytest)
    journeys: str = "journeys"  #: journey folder; targets in <journeys>/targets
    reports: str = "reports"  #: scorecards and the run store
    store: str | None = None  #: run store: a SQLite file (default <reports>/mysteryshop.sqlite) or a postgresql:// URL
    targets: list[str] = field(default_factory=lambda: ["demo"])  #: target names
    personas: int = 3  #: personas per journey and target
    seed: int = 1  #: the same seed gives the same personas and demo behaviour
    profile: str | None = None  #: demo desk profile (excellent, typical, poor); default: the target's
    locales: list[str] = field(default_factory=lambda: ["en_US"])  #: Faker locales
    baseline: str = "mysteryshop-baseline.json"  #: accepted baseline file (commit it)
    fail_on_regression: bool = False  #: exit 1 when a headline metric regresses beyond its tolerance
    pdf: bool = False  #: also print the one-pager to PDF (needs Chromium)
    tolerances: dict[str, float | str] = field(default_factory=dict)  #: per-metric gate tolerances
    significance: float = 0.05  #: the gate's level: a difference counts as a regression only when its p-value is below it
    require: list[str] = field(default_factory=list)  #: absolute requirements, e.g. "grade>=C", "email.acknowledged.rate>=0.8"
    collect: dict[str, Any] = field(default_factory=dict)  #: how replies come back, for every target: via, host, port, advertise
    probe_domain: str | None = None  #: domain of the personas' addresses (default: each target's probe_domain)
    allowlist: str = "allowlist.yaml"  #: targets that may be probed
    rubric: str | None = None  #: rubric file grading each channel and the whole (default: mysteryshop/scorecard/rubric.yaml)
    personas_file: str | None = None  #: personas from a CSV or YAML file (test accounts) instead of Faker
    alerts: str | None = None  #: alerts file (YAML): webhooks and email for a failed gate, a grade drop, an undeliverable probe
    study: str | None = None  #: a benchmark study (YAML or CSV): the companies to probe and personas each, instead of targets

    def path(self, value: str | None) -> Path | None:
        if value is None:
            return None
        path = Path(value)
        return path if path.is_absolute() else self.root / path

    @property
    def store_file(self) -> Path | str:
        """The run store: a SQLite file, or a postgresql:// URL kept as given."""
        if self.store and is_url(self.store):
            return self.store
        return self.path(self.store) or self.path(self.reports) / "mysteryshop.sqlite"  # type: ignore[operator]

    @property
    def rubric_file(self) -> Path | None:
        return self.path(self.rubric)

    @property
    def baseline_file(self) -> Path:
        return self.path(self.baseline)  # type: ignore[return-value]

    def tolerance(self, key: str) -> float | str:
        """The gate's tolerance for a headline metric: configured, else the default for its kind."""
        if key in self.tolerances:
            return self.tolerances[key]
        if key in DEFAULT_TOLERANCES:
            return DEFAULT_TOLERANCES[key]
        if key.endswith(".score"):  # a channel's score, 0..100 like the overall one
            return DEFAULT_TOLERANCES["score"]
        return TIME_TOLERANCE if key.endswith("_s") else RATE_TOLERANCE


KEYS = [f.name for f in fields(Settings) if f.name != "root"]
COLLECT_KEYS = {"via", "host", "port", "advertise"}
_LISTS = {"targets", "locales", "require"}
_INTS = {"personas", "seed"}
_BOOLS = {"fail_on_regression", "pdf"}


def find_root(start: Path | None = None) -> Path:
    """The nearest folder upwards with a pyproject.toml (or the start folder)."""
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "pyproject.toml").is_file():
            return folder
    return here


def _coerce(key: str, value: Any, where: str) -> Any:
    if key in _LISTS:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        example = '["grade>=C", "email.acknowledged.rate>=0.8"]' if key == "require" else '["demo"]'
        raise ConfigError(f"{where}: '{key}' must be a list, e.g. {example}, got {value!r}")
    if key in _INTS:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: '{key}' must be a whole number, got {value!r}") from None
        if key == "personas" and number < 1:
            raise ConfigError(f"{where}: 'personas' must be at least 1, got {number}")
        return number
    if key in _BOOLS:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{where}: '{key}' must be true or false, got {value!r}")
    if key == "significance":
        try:
            level = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: 'significance' must be a number between 0 and 1 (the gate's level, e.g. 0.05), got {value!r}") from None
        if isinstance(value, bool) or not 0 < level < 1:
            raise ConfigError(f"{where}: 'significance' must be between 0 and 1 (the gate's level, e.g. 0.05), got {value!r}")
        return level
    if key == "collect":
        if isinstance(value, str):  # MYSTERYSHOP_COLLECT=listener
            value = {"via": value}
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: 'collect' must be a table with via, host, port and/or advertise")
        unknown_keys = set(value) - COLLECT_KEYS
        if unknown_keys:
            key0 = sorted(unknown_keys)[0]
            raise ConfigError(f"{where}: unknown collect setting '{key0}'.{suggest(key0, COLLECT_KEYS)} Valid: {', '.join(sorted(COLLECT_KEYS))}")
        if "via" in value and value["via"] not in ("smtp", "imap", "listener"):
            raise ConfigError(f"{where}: collect.via must be smtp, imap or listener, got {value['via']!r}")
        if "port" in value:
            try:
                port = int(value["port"])
            except (TypeError, ValueError):
                raise ConfigError(f"{where}: collect.port must be a port number, got {value['port']!r}") from None
            if not 0 <= port <= 65535:
                raise ConfigError(f"{where}: collect.port must be between 0 and 65535, got {port}")
            value = {**value, "port": port}
        return dict(value)
    if key == "tolerances":
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: 'tolerances' must be a table of metric = tolerance")
        for k, v in value.items():
            parse_tolerance(v, f"{where}: tolerances.{k}")
        return {str(k): v for k, v in value.items()}
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}: '{key}' must be text, got {value!r}")
    return value


def parse_tolerance(value: Any, where: str = "tolerance") -> tuple[str, float]:
    """('abs', 0.05) for 0.05, ('rel', 0.25) for "25%"; ConfigError otherwise."""
    if isinstance(value, bool):
        raise ConfigError(f"{where}: a tolerance is a number (absolute) or a percentage like \"25%\", got {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ConfigError(f"{where}: a tolerance cannot be negative, got {value}")
        return ("abs", float(value))
    text = str(value).strip()
    try:
        if text.endswith("%"):
            return ("rel", float(text[:-1]) / 100)
        return ("abs", float(text))
    except ValueError:
        raise ConfigError(f"{where}: a tolerance is a number (absolute) or a percentage like \"25%\", got {value!r}") from None


def _apply(settings: Settings, values: Mapping[str, Any], where: str) -> None:
    for key, value in values.items():
        name = key.replace("-", "_")
        if name not in KEYS:
            raise ConfigError(f"{where}: unknown setting '{key}'.{suggest(name, KEYS)} Valid settings: {', '.join(KEYS)}")
        if value is None:
            continue
        if name == "collect":
            settings.collect = {**settings.collect, **_coerce(name, value, where)}
        elif name == "tolerances":
            merged = dict(settings.tolerances)
            merged.update(_coerce(name, value, where))
            settings.tolerances = merged
        else:
            setattr(settings, name, _coerce(name, value, where))


def _config_table(root: Path) -> tuple[dict[str, Any], str]:
    """`[tool.mysteryshop]` of root/pyproject.toml ({} when there is none) and where it is, for messages."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}, str(pyproject)
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: not valid TOML ({exc})") from None
    return data.get("tool", {}).get("mysteryshop", {}), f"{pyproject} [tool.mysteryshop]"


def load_settings(root: Path | None = None, *, environ: Mapping[str, str] | None = None, flags: Mapping[str, Any] | None = None) -> Settings:
    """Settings from pyproject.toml's [tool.mysteryshop], then MYSTERYSHOP_* variables, then `flags` (None = not given)."""
    root = find_root(root)
    settings = Settings(root=root)
    table, where = _config_table(root)
    _apply(settings, table, where)
    env = os.environ if environ is None else environ
    from_env = {key: env[f"MYSTERYSHOP_{key.upper()}"] for key in KEYS if key != "tolerances" and f"MYSTERYSHOP_{key.upper()}" in env}
    _apply(settings, from_env, "environment")
    if flags:
        _apply(settings, {k: v for k, v in flags.items() if v is not None}, "command line")
    return settings


def pytest_store(root: Path, option: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The store a pytest run of the project at `root` uses, in the command's order: --store, then MYSTERYSHOP_STORE, then
    `store` under [tool.mysteryshop] (a file relative to the project, as `mysteryshop run` reads it), else None (the run's
    default, <reports>/mysteryshop.sqlite). Only the store key is read: a pytest run takes its other settings as options."""
    env = os.environ if environ is None else environ
    if option:
        return option
    if env.get("MYSTERYSHOP_STORE"):
        return env["MYSTERYSHOP_STORE"]
    root = find_root(root)
    table, where = _config_table(root)
    value = table.get("store")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: 'store' must be text (a SQLite file or a postgresql:// URL), got {value!r}")
    return value if is_url(value) else str(root / value)
