"""The store's SQL is written once, in SQLite's dialect with `?` parameters; this turns a statement into PostgreSQL's.

Pure and cached: a statement is translated once per process. What it knows are the few SQLite forms the project
uses (`INSERT OR IGNORE`, `INSERT OR REPLACE`, `rowid`, `datetime('now')`); anything else is written portably.
"""

from __future__ import annotations

import functools
import re

#: the key `INSERT OR REPLACE` replaces on, by table
PRIMARY_KEYS = {
    "meta": ("key",),
    "entries": ("run_id", "probe_id"),
    "walks": ("run_id", "probe_id"),
    "probes": ("run_id", "id"),
    "runs": ("id",),
}
#: tables whose rows have a generated `id` that a write returns (SQLite's lastrowid)
ID_TABLES = {"events", "messages"}

_INSERT = re.compile(r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+(\w+)\s*(\(([^)]*)\))?", re.IGNORECASE)
_PLAIN_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)


def _outside_quotes(sql: str) -> list[tuple[bool, str]]:
    """`sql` cut into (quoted, text) parts, so that replacements leave string literals alone."""
    parts, quoted, start = [], False, 0
    for index, char in enumerate(sql):
        if char == "'":
            if not quoted:
                parts.append((False, sql[start:index]))
                start, quoted = index, True
            else:
                parts.append((True, sql[start:index + 1]))
                start, quoted = index + 1, False
    parts.append((quoted, sql[start:]))
    return parts


def _words(text: str) -> str:
    text = text.replace("%", "%%").replace("?", "%s")
    text = re.sub(r"\browid\b", "seq", text, flags=re.IGNORECASE)
    return re.sub(r"datetime\('now'\)", "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')", text, flags=re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def to_postgres(sql: str, *, returning_id: bool = False) -> str:
    """`sql` (SQLite dialect, `?` parameters) as PostgreSQL (`%s` parameters). With `returning_id`, an INSERT into
    a table with generated ids returns the new row's id (SQLite's lastrowid)."""
    text = "".join(part.replace("%", "%%") if quoted else _words(part) for quoted, part in _outside_quotes(sql)).rstrip().rstrip(";")
    conflict = ""
    match = _INSERT.match(text)
    if match:
        verb, table, columns = match.group(1).upper(), match.group(2).lower(), match.group(4)
        text = f"INSERT INTO {match.group(2)}" + (f" ({columns})" if columns else "") + text[match.end():]
        if verb == "IGNORE":
            conflict = " ON CONFLICT DO NOTHING"
        else:
            key = PRIMARY_KEYS.get(table)
            if key is None or columns is None:
                raise ValueError(f"INSERT OR REPLACE INTO {table}: name the columns, and the table's key in storage/dialect.py PRIMARY_KEYS")
            names = [c.strip() for c in columns.split(",")]
            updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in names if c not in key)
            conflict = f" ON CONFLICT ({', '.join(key)}) " + (f"DO UPDATE SET {updates}" if updates else "DO NOTHING")
    text += conflict
    if returning_id:
        plain = _PLAIN_INSERT.match(text)
        if plain and plain.group(1).lower() in ID_TABLES and "RETURNING" not in text.upper():
            text += " RETURNING id"
    return text
