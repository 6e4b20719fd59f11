"""Deliverability of probe mail: DKIM signatures that verify, headers as a mail client writes them, sent for real."""

from __future__ import annotations

import base64
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path

import dkim
import pytest

from mysteryshop.errors import ConfigError
from mysteryshop.runner import EngineThread
from mysteryshop.signing import load_signer
from mysteryshop.store import Store
from mysteryshop.target import DkimSettings, EmailChannel, Target, TargetSpec

from .conftest import ACK_JOURNEY, PROBE_DOMAIN, specs_for, write_journey
from .relay import Relay, make_dkim_key

SIGNING_DOMAIN = PROBE_DOMAIN


def _target(tmp_path: Path, port: int, dkim_settings: dict[str, str] | None) -> Target:
    email = EmailChannel(support_address="support@northwind.demo", smtp_host="127.0.0.1", smtp_port=port, timeout=5,
                         dkim=DkimSettings(**dkim_settings) if dkim_settings else None)
    return Target(spec=TargetSpec(name="relayed", probe_domain=PROBE_DOMAIN, email=email), path=tmp_path / "targets" / "relayed.yaml")


def _dns(record: str, name: str):
    """The TXT record we would publish, answered for its name only (dkimpy asks `<selector>._domainkey.<domain>.`)."""
    def lookup(query: bytes, timeout: float = 5) -> bytes | None:
        return record.encode() if query.decode().rstrip(".") == name else None

    return lookup


def _send(engine: EngineThread, tmp_path: Path, target: Target, count: int = 1, seed: int = 3) -> list[str]:
    journey = write_journey(tmp_path, ACK_JOURNEY.replace("{within}", "50ms"), name=f"ask{seed}")
    results = [engine.submit(spec).result(timeout=30) for spec in specs_for(journey, target, count, seed=seed)]
    assert [r.error for r in results] == [None] * count
    return [r.spec.persona.email for r in results]


def test_probe_mail_is_dkim_signed_and_verifies_against_the_published_key(tmp_path: Path, engine: EngineThread, store: Store) -> None:
    # Given a target whose mail is signed with a key and selector of its own, and a real relay on loopback
    key = make_dkim_key(tmp_path / "targets" / "keys" / "dkim.pem")
    with Relay() as relay:
        target = _target(tmp_path, relay.port, {"domain": SIGNING_DOMAIN, "selector": "ms1", "key_file": "keys/dkim.pem"})
        signer = load_signer(target.spec.email.dkim, target.path)

        # When a probe sends its email through the probe path
        [address] = _send(engine, tmp_path, target)

    # Then the relay got one signed message that dkimpy verifies against the TXT record we would publish
    [(sender, recipients, raw)] = relay.handler.messages
    assert (sender, recipients) == (address, ["support@northwind.demo"])
    assert raw.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;")
    dns = _dns(signer.record, "ms1._domainkey." + SIGNING_DOMAIN)
    assert dkim.verify(raw, dnsfunc=dns)
    # and a signature that can fail: another key, or a changed body, does not verify
    other = load_signer(DkimSettings(domain=SIGNING_DOMAIN, selector="ms1", key_file=str(make_dkim_key(tmp_path / "other.pem"))), target.path)
    assert not dkim.verify(raw, dnsfunc=_dns(other.record, "ms1._domainkey." + SIGNING_DOMAIN))
    assert not dkim.verify(raw.replace(b"Hello, where is my delivery?", b"Hello, where is my refund?  "), dnsfunc=dns)
    tags = dict(tag.strip().split("=", 1) for tag in "".join(str(message_from_bytes(raw)["DKIM-Signature"]).split()).split(";") if tag)
    assert (tags["d"], tags["s"]) == (SIGNING_DOMAIN, "ms1")
    assert {"from", "to", "subject", "date", "message-id", "content-type", "content-transfer-encoding"} <= set(tags["h"].split(":"))
    # And what the store keeps is what was sent, with no trace of the private key
    [stored] = [bytes(m["raw"]) for m in store.messages("run-1") if m["direction"] == "out"]
    assert stored == raw
    pem_lines = key.read_bytes().splitlines()[1:-1]
    secrets = [line for line in pem_lines if len(line) >= 40] + [base64.b64decode(b"".join(pem_lines))[-64:], b"PRIVATE KEY"]
    everything = _everything_stored(store)
    assert tags["b"].encode()[:60] in everything  # the dump holds the stored messages: it can find what is there
    assert [secret for secret in secrets if secret in everything] == []
    assert "PRIVATE" not in repr(signer) and pem_lines[0].decode() not in repr(signer)


def _everything_stored(store: Store) -> bytes:
    """Every value of every table of the store, as bytes, whichever the engine; on SQLite also its files as they lie on
    disk (the WAL, pages of deleted rows), which a query does not show."""
    if store.engine == "postgresql":
        tables = store.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                            "AND table_type = 'BASE TABLE'")
    else:
        tables = store.rows("SELECT name FROM sqlite_master WHERE type = 'table'")
    assert {"messages", "events", "probes"} <= {name for (name,) in tables}, tables
    values = [value for (name,) in tables for row in store.rows(f'SELECT * FROM "{name}"') for value in row if value is not None]
    dump = b"\0".join(bytes(v) if isinstance(v, (bytes, bytearray, memoryview)) else str(v).encode() for v in values)
    if store.engine == "sqlite":
        dump += b"".join(file.read_bytes() for file in store.path.parent.glob(store.path.name + "*"))
    return dump


def test_the_key_is_read_once_per_run_and_unsigned_targets_are_not_signed(tmp_path: Path, engine: EngineThread) -> None:
    key = make_dkim_key(tmp_path / "targets" / "dkim.pem")
    with Relay() as relay:
        signed_target = _target(tmp_path, relay.port, {"domain": SIGNING_DOMAIN, "selector": "ms1", "key_file": "dkim.pem"})
        _send(engine, tmp_path, signed_target, seed=1)
        record = load_signer(signed_target.spec.email.dkim, signed_target.path).record
        key.unlink()  # read once per run: later probes of the run still sign
        _send(engine, tmp_path, signed_target, count=2, seed=2)
        _send(engine, tmp_path, _target(tmp_path, relay.port, None), seed=4)
    raws = [raw for _, _, raw in relay.handler.messages]
    assert len(raws) == 4
    dns = _dns(record, "ms1._domainkey." + SIGNING_DOMAIN)
    assert [dkim.verify(raw, dnsfunc=dns) for raw in raws[:3]] == [True, True, True]
    assert b"DKIM-Signature" not in raws[3]


def test_sent_mail_is_headed_as_a_mail_client_heads_it(tmp_path: Path, engine: EngineThread) -> None:
    with Relay() as relay:
        [address] = _send(engine, tmp_path, _target(tmp_path, relay.port, None))
    [(_, _, raw)] = relay.handler.messages
    message = message_from_bytes(raw, policy=policy.default)
    assert [name for name, _ in message.items()][:3] == ["Message-ID", "Date", "MIME-Version"]
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["Message-ID"].endswith(f"@{address.rpartition('@')[2]}>")
    assert (message["Content-Transfer-Encoding"], message.get_content_charset()) == ("7bit", "utf-8")
    assert "Hello, where is my delivery?" in message.get_content()


def test_a_bad_key_is_a_configuration_error_that_says_where_and_how_to_fix_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target_file = tmp_path / "targets" / "acme.yaml"
    with pytest.raises(ConfigError, match=r"acme.yaml: email.dkim.key_file: cannot read .*keys/missing.pem .*openssl genrsa"):
        load_signer(DkimSettings(domain="probe.example.com", selector="s", key_file="keys/missing.pem"), target_file)
    monkeypatch.delenv("ACME_DKIM_KEY", raising=False)
    with pytest.raises(ConfigError, match="environment variable ACME_DKIM_KEY is not set"):
        load_signer(DkimSettings(domain="probe.example.com", selector="s", key_env="ACME_DKIM_KEY"), target_file)
    monkeypatch.setenv("ACME_DKIM_KEY", "not a key")
    with pytest.raises(ConfigError, match=r"\$ACME_DKIM_KEY is not an RSA private key in PEM"):
        load_signer(DkimSettings(domain="probe.example.com", selector="s", key_env="ACME_DKIM_KEY"), target_file)
    small = make_dkim_key(tmp_path / "small.pem", bits=512)
    with pytest.raises(ConfigError, match="512 bits; receivers ignore DKIM keys under 1024 bits"):
        load_signer(DkimSettings(domain="probe.example.com", selector="s", key_file=str(small)), target_file)
    monkeypatch.setenv("ACME_DKIM_KEY", make_dkim_key(tmp_path / "env.pem").read_text())
    assert load_signer(DkimSettings(domain="probe.example.com", selector="s", key_env="ACME_DKIM_KEY"), target_file).bits == 2048
    with pytest.raises(ValueError, match="exactly one of 'key_file:'"):
        DkimSettings(domain="probe.example.com", selector="s")


def test_a_probe_whose_key_cannot_be_read_sends_nothing_and_says_why(tmp_path: Path, engine: EngineThread) -> None:
    journey = write_journey(tmp_path, ACK_JOURNEY.replace("{within}", "50ms"))
    with Relay() as relay:
        target = _target(tmp_path, relay.port, {"domain": SIGNING_DOMAIN, "selector": "ms1", "key_file": "keys/missing.pem"})
        results = [engine.submit(spec).result(timeout=30) for spec in specs_for(journey, target, 2)]
    assert [r.status for r in results] == ["error", "error"]
    assert all(f"email.dkim.key_file: cannot read {tmp_path / 'targets/keys/missing.pem'}" in r.error for r in results)
    assert relay.handler.messages == []
