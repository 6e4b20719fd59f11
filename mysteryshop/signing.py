"""DKIM signing of outgoing probe mail (dkimpy), with the key and selector a target file gives.

A target's `email.dkim` names the signing domain (d=), the selector (s=) and the RSA private key,
in a PEM file (`key_file:`, relative to the target file) or in an environment variable
(`key_env:`). The key is read once per run (by a run's `Signers`), kept in memory only, and never
written to the store, a report or an error message. Mail to targets without `dkim:` is not
touched: signing costs a few milliseconds of CPU a message, a benchmark's unsigned probes nothing.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dkim
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

from mysteryshop.errors import ChannelError, ConfigError

#: relaxed/relaxed, as large senders sign: a relay that re-folds a header or trims trailing spaces does not break it
CANONICALIZE = (b"relaxed", b"relaxed")
#: receivers ignore shorter keys (RFC 8301)
MIN_BITS = 1024
_RSA_OID = bytes.fromhex("06092a864886f70d010101")


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content


def _der_int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def public_key_der(modulus: int, exponent: int) -> bytes:
    """The RSA public key as X.509 SubjectPublicKeyInfo (DER), what a DKIM record's p= holds (RFC 6376 3.6.1)."""
    rsa_public_key = _der(0x30, _der_int(modulus) + _der_int(exponent))
    algorithm = _der(0x30, _RSA_OID + b"\x05\x00")
    return _der(0x30, algorithm + _der(0x03, b"\x00" + rsa_public_key))


@dataclass(frozen=True, slots=True)
class DkimSigner:
    """Signs messages for d=`domain`, s=`selector`; `source` says where the key came from (never the key)."""

    domain: str
    selector: str
    source: str
    key: bytes = field(repr=False)
    bits: int
    public_der: bytes = field(repr=False)

    @property
    def record_name(self) -> str:
        """The DNS name of the TXT record that holds the public key."""
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def record(self) -> str:
        """The TXT record to publish at `record_name`."""
        return "v=DKIM1; k=rsa; p=" + base64.b64encode(self.public_der).decode("ascii")

    def sign(self, raw: bytes) -> bytes:
        """`raw` with a DKIM-Signature header in front (raw in CRLF lines, as mail.WIRE writes it)."""
        try:
            header = dkim.sign(raw, self.selector.encode("ascii"), self.domain.encode("ascii"), self.key, canonicalize=CANONICALIZE)
        except dkim.DKIMException as exc:
            raise ChannelError(f"DKIM signing (d={self.domain}, s={self.selector}) failed: {exc}") from None
        return header + raw


def load_signer(settings: Any, target_path: Path, environ: Mapping[str, str] | None = None) -> DkimSigner:
    """Read and check the key of a target's `email.dkim` settings; ConfigError says what is wrong and how to fix it."""
    environ = os.environ if environ is None else environ
    where = f"{target_path}: email.dkim"
    if settings.key_env:
        source = f"${settings.key_env}"
        text = environ.get(settings.key_env)
        if not text:
            raise ConfigError(f"{where}.key_env: environment variable {settings.key_env} is not set; export the PEM private key in it before the run")
        pem = text.encode("utf-8")
    else:
        path = Path(settings.key_file)
        path = path if path.is_absolute() else target_path.parent / path
        source = str(path)
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"{where}.key_file: cannot read {path} ({exc.strerror}); the path is relative to the target file. "
                f"Make a key with `openssl genrsa -out {path} 2048`"
            ) from None
    try:
        private = parse_pem_private_key(pem.replace(b"\r\n", b"\n"))
    except (UnparsableKeyError, ValueError, IndexError) as exc:
        raise ConfigError(
            f"{where}: {source} is not an RSA private key in PEM (PKCS#1 or PKCS#8): {str(exc).splitlines()[0]}. "
            f"Make one with `openssl genrsa -out dkim.pem 2048`"
        ) from None
    bits = private["modulus"].bit_length()
    if bits < MIN_BITS:
        raise ConfigError(f"{where}: the key in {source} has {bits} bits; receivers ignore DKIM keys under {MIN_BITS} bits. Use a 2048-bit key")
    signer = DkimSigner(
        settings.domain, settings.selector, source, pem, bits, public_key_der(private["modulus"], private["publicExponent"]),
    )
    try:
        signer.sign(b"From: check@" + settings.domain.encode("ascii", "replace") + b"\r\nSubject: check\r\n\r\ncheck\r\n")
    except ChannelError as exc:
        raise ConfigError(f"{where}: the key in {source} cannot sign: {exc}") from None
    return signer


class Signers:
    """The DKIM signers of one run, by target file: each key is read once, on the first message to its target."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = environ
        self._loaded: dict[Path, DkimSigner | ConfigError] = {}

    def for_target(self, target: Any) -> DkimSigner | None:
        """The target's signer, or None when its email is not signed; raises ConfigError (every time) for a bad key."""
        email = target.spec.email
        if email is None or email.dkim is None:
            return None
        signer = self._loaded.get(target.path)
        if signer is None:
            try:
                signer = load_signer(email.dkim, target.path, self.environ)
            except ConfigError as exc:
                signer = exc
            self._loaded[target.path] = signer
        if isinstance(signer, ConfigError):
            raise ConfigError(str(signer))
        return signer

    def sign(self, target: Any, raw: bytes) -> bytes:
        """`raw`, signed when the target's email is signed."""
        signer = self.for_target(target)
        return raw if signer is None else signer.sign(raw)
