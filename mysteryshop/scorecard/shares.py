"""CPU-bound work split in shares over forked processes: share 0 here, the others in children.

A child inherits everything the parent has read (fork: nothing is sent to it), computes its
share and sends the result back pickled. Children must not touch the run store, sockets or
anything else shared with the parent: the work is pure computation on what was read before.
Where fork is not available the work runs here, in one share.
"""

from __future__ import annotations

import marshal
import multiprocessing
import os
import pickle
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def run_shares(work: Callable[[tuple[int, int]], T], count: int) -> list[T]:
    """`[work((0, count)), work((1, count)), ...]`: share 0 in this process, each other share in a forked child."""
    if count <= 1 or not can_fork():
        return [work((0, 1))]
    context = multiprocessing.get_context("fork")
    children: list[tuple[Any, Connection]] = []
    try:
        for index in range(1, count):
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_child, args=(work, (index, count), send), daemon=True)
            child.start()
            send.close()
            children.append((child, receive))
        results = [work((0, count))]
        for child, receive in children:
            results.append(_result_of(child, receive, "a share of the work failed"))
        return results
    finally:
        for child, receive in children:
            receive.close()
            if child.is_alive():
                child.terminate()
            child.join()


def _result_of(child: Any, receive: Connection, failed: str) -> Any:
    """What `child` sent back; raises with its traceback when its work failed."""
    try:
        status, payload = _decode(receive.recv_bytes())
    except EOFError:
        status, payload = "error", None
    child.join()
    if status != "ok":
        raise RuntimeError(f"{failed} in a child process:\n{payload or f'it ended without a result (exit code {child.exitcode})'}")
    return payload


def _child(work: Callable[[tuple[int, int]], Any], share: tuple[int, int], send: Connection) -> None:
    try:
        message = _encode(("ok", work(share)))
    except BaseException:  # noqa: BLE001 - whatever failed is reported to the parent, which raises it
        message = _encode(("error", traceback.format_exc()))
    send.send_bytes(message)
    send.close()


def _encode(result: Any) -> bytes:
    """marshal where the result is plain data (dicts, lists, strings, numbers: a scorecard's entries), else pickle.

    The parent waits for a child's result and decodes it alone: for the entries of 5,000 probes
    marshal takes 0.09 s + 0.19 s against pickle's 0.29 s + 0.26 s (parent and child run the
    same interpreter, so marshal's version-bound format is no concern).
    """
    try:
        return b"M" + marshal.dumps(result)
    except ValueError:  # an object marshal does not know
        return b"P" + pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)


def _decode(message: bytes) -> Any:
    body = memoryview(message)[1:]
    return marshal.loads(body) if message[:1] == b"M" else pickle.loads(body)


@contextmanager
def beside(task: Callable[[], Any], *, fork: bool = True) -> Iterator[None]:
    """Run `task` in a forked child while the block runs here; at the end of the block wait for it, raising if it failed.

    Without `fork` (or where fork is not available) `task` runs here, before the block.
    """
    if not (fork and can_fork()):
        task()
        yield
        return
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(_Discarding(task), (0, 1), send), daemon=True)
    child.start()
    send.close()
    try:
        yield
    except BaseException:
        child.terminate()
        raise
    else:
        _result_of(child, receive, "work done beside failed")
    finally:
        receive.close()
        child.join()


class _Discarding:
    """`task` as a share of work whose result is not sent back."""

    def __init__(self, task: Callable[[], Any]) -> None:
        self.task = task

    def __call__(self, share: tuple[int, int]) -> None:
        self.task()
