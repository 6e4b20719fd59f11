"""Relay credentials: from environment variables or the system keyring, never from files we write.

Nothing here is stored: the values live in memory for the SMTP login and are not part of any
config dict that reaches the store or a report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from mysteryshop.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str = ""

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password='***')"


def relay_credentials(channel: object) -> Credentials | None:
    """The login for a target's email channel, or None when it needs none."""
    user_env = getattr(channel, "username_env", None)
    pass_env = getattr(channel, "password_env", None)
    service = getattr(channel, "keyring_service", None)
    if not user_env:
        if pass_env or service:
            raise ConfigError("email: password_env / keyring_service need username_env too (the variable holding the user name)")
        return None
    username = os.environ.get(user_env)
    if not username:
        raise ConfigError(f"email: environment variable {user_env} (username_env) is not set; export it before the run")
    if pass_env:
        password = os.environ.get(pass_env)
        if password is None:
            raise ConfigError(f"email: environment variable {pass_env} (password_env) is not set; export it before the run")
        return Credentials(username, password)
    if service:
        try:
            import keyring
        except ImportError as exc:
            raise ConfigError("email: keyring_service needs the keyring package: pip install keyring") from exc
        password = keyring.get_password(service, username)
        if password is None:
            raise ConfigError(f"email: no password for user '{username}' in keyring service '{service}'; add it with `keyring set {service} {username}`")
        return Credentials(username, password)
    return Credentials(username)
