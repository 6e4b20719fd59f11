"""Files written whole or not at all: a temporary file beside the target, renamed over it once complete.

A run stopped part-way (Ctrl-C, SIGTERM, a crash) leaves the previous version of a scorecard file or
the new one, never half of one. Temporary files are named `.<name>.<pid>.partial`; a run stopped at once
(a second Ctrl-C: see mysteryshop.interrupt) removes those of the folders it was writing to.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUFFIX = ".partial"
_writing: dict[Path, int] = {}  # folders being written to → how many files are under way there


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temporary path to write `path`'s new content to; renamed to `path` when the block ends without error,
    removed when it raises."""
    path = Path(path)
    folder = path.parent
    tmp = folder / f".{path.name}.{os.getpid()}{SUFFIX}"
    _writing[folder] = _writing.get(folder, 0) + 1
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        left = _writing[folder] - 1
        if left:
            _writing[folder] = left
        else:
            del _writing[folder]


def write_text(path: Path | str, text: str, encoding: str = "utf-8") -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_bytes(path: Path | str, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def remove_partial() -> list[Path]:
    """Remove the temporary files of writes under way (this process's and its forked writers'): for a process that
    is about to end at once, without unwinding. The files removed."""
    removed = []
    for folder in list(_writing):
        for tmp in folder.glob(f".*{SUFFIX}"):
            try:
                tmp.unlink()
                removed.append(tmp)
            except OSError:
                pass
    return removed
