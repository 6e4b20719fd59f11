"""The store's engines: SQLite (a file, the default) and PostgreSQL (a URL), behind one `Store` (mysteryshop/store.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(location: Path | str) -> bool:
    """Whether a store location names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def open_engine(location: Path | str) -> Any:
    """The engine for a store location: a postgresql:// URL, else a SQLite file path."""
    if is_url(location):
        from mysteryshop.storage.postgres import PostgresEngine

        return PostgresEngine(str(location))
    from mysteryshop.storage.sqlite import SQLiteEngine

    return SQLiteEngine(location)


def location_of(value: Path | str | None) -> Path | str | None:
    """A store location as given (a flag, a config key, MYSTERYSHOP_STORE): a URL kept as text, a file as a Path."""
    if value is None or value == "":
        return None
    return str(value) if is_url(value) else Path(value)


def exists(location: Path | str) -> bool:
    """Whether there is a store to open: a file that exists, or a URL (the server says, once connected)."""
    return is_url(location) or Path(location).exists()


def absolute(location: Path | str) -> Path | str:
    """The location as another process in another folder would need it."""
    return location if is_url(location) else Path(location).resolve()
