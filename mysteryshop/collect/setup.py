"""How one run collects its replies: decided from the targets' `collect:` sections and the user's overrides.

Every mode that sends (pytest, `mysteryshop run`) asks `plan_collection` before it sends anything,
so that a run that could not receive the company's replies stops at once with one line saying why
and how to fix it, instead of waiting in silence until its deadlines pass.

    mode       the desk's replies go to ...                          use it when
    smtp       mysteryshop's own mailbox, bound to host:port         the probe domain's MX (or the desk's outbound
                                                                     mail for it) can point at this machine
    imap       a real mailbox (personas are its plus-addresses)      you have a mailbox, not a domain
    listener   a `mysteryshop listen` already running on the store   several runs, campaigns and CI jobs share one
                                                                     collector that runs all the time
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mysteryshop.collect.imap import ImapAccount
from mysteryshop.collect.inbox import live_listeners
from mysteryshop.errors import ConfigError
from mysteryshop.store import Store
from mysteryshop.target import CollectSettings, Target, is_loopback

MODES = ("smtp", "imap", "listener")


def effective_settings(target: Target, overrides: Mapping[str, Any] | None) -> CollectSettings:
    """The target's `collect:` section with the user's overrides (config file, command line) applied."""
    if not overrides:
        return target.spec.collect
    data = target.spec.collect.model_dump()
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return CollectSettings.model_validate(data)
    except ValueError as exc:
        raise ConfigError(f"collect settings for target '{target.name}': {exc}") from None


@dataclass(slots=True)
class CollectPlan:
    """What a run starts to receive replies, and where it tells people replies are expected."""

    domains: set[str] = field(default_factory=set)
    smtp: tuple[str, int] | None = None  # bind host, port (0: any free port)
    advertise: str | None = None
    imap: list[ImapAccount] = field(default_factory=list)
    listener: bool = False
    notes: list[str] = field(default_factory=list)  # warnings to show before the run starts
    from_start: bool = False  # a resumed run: claim from the shared inbox everything unclaimed, not only what comes from now on
    by_target: dict[str, str] = field(default_factory=dict)  # target -> mode

    def describe(self, bound_port: int | None = None) -> str:
        """Where replies are expected: 'SMTP 0.0.0.0:2525 for @probe.example.com; IMAP ...'."""
        parts = []
        if self.smtp is not None:
            host, port = self.smtp
            where = self.advertise or f"{host}:{bound_port if bound_port else port}"
            parts.append(f"SMTP {where} for @{', @'.join(sorted(self.domains))}")
        parts.extend(f"IMAP {a.key}" for a in self.imap)
        if self.listener:
            parts.append("a running `mysteryshop listen` on the same store")
        return "; ".join(parts) or "nowhere"


def imap_account(settings: CollectSettings, environ: Mapping[str, str], where: str) -> ImapAccount:
    source = settings.imap
    assert source is not None
    user, password = environ.get(source.user_env), environ.get(source.password_env)
    if not user or password is None:
        raise ConfigError(
            f"{where}: collect.imap needs the mailbox's user name and password in the environment variables "
            f"{source.user_env} and {source.password_env}; set them (they are never stored)"
        )
    return ImapAccount(source.host, source.port, user, password, source.mailbox, source.ssl)


def plan_collection(
    targets: Iterable[Target], overrides: Mapping[str, Any] | None = None, *, store: Store | None = None,
    environ: Mapping[str, str] | None = None,
) -> CollectPlan:
    """Decide how a run receives the replies of `targets`; ConfigError when it could not receive them."""
    env = os.environ if environ is None else environ
    plan = CollectPlan()
    binds: dict[tuple[str, int], str] = {}
    for target in targets:
        where = f"target '{target.name}' ({target.path})"
        if target.spec.embedded == "demo":
            # the embedded desk is told the mailbox's address when it starts: any port will do
            plan.domains.add(target.spec.probe_domain.lower())
            plan.by_target[target.name] = "smtp"
            host = (overrides or {}).get("host") or "127.0.0.1"
            port = int((overrides or {}).get("port") or 0)
            if port:
                binds.setdefault((host, port), target.name)
            elif plan.smtp is None:
                plan.smtp = (host, 0)
            continue
        settings = effective_settings(target, overrides)
        plan.by_target[target.name] = settings.via
        if settings.via == "smtp":
            if settings.port == 0:
                raise ConfigError(
                    f"{where}: the company's replies would go to a mailbox on a random port that nobody can know. "
                    f"Give the port its replies are delivered to: 'collect: {{port: 2525}}' in the target file (or "
                    f"--mailbox-port), and point the desk's outbound mail for @{target.spec.probe_domain} at this "
                    f"machine; or collect via imap or a running `mysteryshop listen` (collect.via)"
                )
            binds.setdefault((settings.host, settings.port), target.name)
            plan.domains.add(target.spec.probe_domain.lower())
            plan.advertise = plan.advertise or settings.advertise
            desk_host = target.spec.email.smtp_host if target.spec.email else None
            if is_loopback(settings.host) and desk_host and not is_loopback(desk_host) and not settings.advertise:
                plan.notes.append(
                    f"{where}: the mailbox listens on {settings.host}:{settings.port}, which a desk at {desk_host} cannot reach; "
                    f"bind collect.host 0.0.0.0 (and give collect.advertise) if its replies come over the network"
                )
        elif settings.via == "imap":
            if not target.spec.probe_mailbox:
                raise ConfigError(
                    f"{where}: collect via imap needs 'probe_mailbox:' (the address of that mailbox; personas write as its "
                    f"plus-addresses, e.g. qa+jane.doe.3fa2c1@example.com)"
                )
            account = imap_account(settings, env, where)
            if all(a.key != account.key for a in plan.imap):
                plan.imap.append(account)
        else:
            plan.listener = True
            if store is not None:
                plan.notes.extend(_listener_notes(store, target, where))
    if len(binds) > 1:
        listed = ", ".join(f"{h}:{p} ({t})" for (h, p), t in binds.items())
        raise ConfigError(f"one run has one reply mailbox, but the targets ask for several: {listed}; run them separately or give --mailbox-port")
    if binds:
        plan.smtp = next(iter(binds))
    return plan


def _listener_notes(store: Store, target: Target, where: str) -> list[str]:
    listeners = live_listeners(store)
    if not listeners:
        raise ConfigError(
            f"{where}: replies are to come from a running `mysteryshop listen`, but none is running on the store {store.path} "
            f"(no heartbeat in the last 90 s). Start one first, e.g. `mysteryshop listen --domain {target.spec.probe_domain} "
            f"--port 2525 --store {store.path}`, or collect via smtp or imap (collect.via)"
        )
    domain = (target.spec.probe_mailbox or "").rpartition("@")[2].lower() or target.spec.probe_domain.lower()
    covered = any(domain in {d.lower() for d in info.get("domains", [])} or info.get("imap") for info in listeners)
    if covered:
        return []
    return [f"{where}: the running listeners receive mail for @{', @'.join(sorted({d for i in listeners for d in i.get('domains', [])}))}, "
            f"not for @{domain}: its replies may not reach this run"]
