"""Worker processes for the long commands (``coverage``, ``rules lint``, ``rules diff``, and
``run`` / ``report`` on big batches), made so that no worker ever outlives its command.

- Ctrl-C: the terminal sends SIGINT to every process of the foreground group, workers included.
  Workers are started with SIGINT blocked and then ignore it, so only the parent reacts (one
  line, exit 130) and no worker prints a traceback.
- The parent, on any exception (Ctrl-C included), kills its workers at once rather than letting
  ``ProcessPoolExecutor`` finish every queued job first, which could take many seconds.
- If the parent dies without cleaning up (SIGKILL, SIGTERM, a crash), each worker notices that
  its parent process changed and exits by itself (see ``_exit_with_parent``).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any, TypeVar

__all__ = ["available_cpus", "ordered_map", "plan_workers"]

J = TypeVar("J")
R = TypeVar("R")

PARENT_POLL_SECONDS = 0.25


def available_cpus() -> int:
    """CPUs this process may run on (fewer than the machine's inside a restricted container)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def plan_workers(requested: int | None, jobs: int | None = None) -> int:
    """Processes to start: the request (default: every CPU), never more than the CPUs, nor more
    than there are jobs, and at least one."""
    cpus = available_cpus()
    count = min(requested or cpus, cpus)
    if jobs is not None:
        count = min(count, jobs)
    return max(1, count)


def _exit_with_parent(parent: int) -> None:
    """Exit this worker as soon as ``parent`` is no longer its parent process.

    When a process dies, the kernel gives its children a new parent (init or a subreaper), so
    ``os.getppid()`` changes. A daemon thread polls it four times a second: portable, needs no
    cooperation from the parent, and works whatever killed it. (Linux's PR_SET_PDEATHSIG would
    act at once, but it fires when the *thread* that started the worker ends, and it is
    Linux-only; a quarter of a second is prompt enough.) ``os._exit`` skips every clean-up: a
    worker holds nothing that needs one.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="endodecide-parent-watch", daemon=True).start()


def _start_worker(parent: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    # SIGINT was blocked when this process was started (see _sigint_blocked); ignoring it before
    # unblocking drops any Ctrl-C that arrived meanwhile. The parent handles Ctrl-C.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _exit_with_parent(parent)
    initializer(*initargs)


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT blocked in this thread while workers are started: a blocked signal stays blocked
    across fork and exec, so a worker cannot be interrupted before it has set SIGINT to ignored
    (Python's own start-up would otherwise print a KeyboardInterrupt traceback). A Ctrl-C in
    that moment is not lost: it is delivered to the parent when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no process groups, nothing to do
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    # ``_processes`` is private, but it is the pool's only handle on its workers; SIGKILL
    # cannot be ignored or delayed, and workers hold nothing that needs cleaning up.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.kill()
    # With its workers dead, the pool's manager thread marks the pool broken and ends promptly.
    pool.shutdown(wait=True, cancel_futures=True)


def ordered_map(
    function: Callable[[J], R],
    jobs: Sequence[J],
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...] = (),
    done: Callable[[R], None] | None = None,
) -> list[R]:
    """``function`` over ``jobs`` in ``workers`` spawned processes (each set up once by
    ``initializer(*initargs)``); the results in job order. ``done`` is called in this process
    with each result as it arrives (for a progress bar)."""
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )
    try:
        with _sigint_blocked():  # workers are started by submit
            futures = [pool.submit(function, job) for job in jobs]
        for future in as_completed(futures):
            result = future.result()  # a worker's exception stops everything at once
            if done is not None:
                done(result)
        results = [future.result() for future in futures]
    except BaseException:  # Ctrl-C, or a worker's exception: stop everything now
        _kill_workers(pool)
        raise
    pool.shutdown(wait=True)
    return results
