"""Ctrl-C ends the command with one line and exit code 130, never a traceback.

``install()`` (called by ``cli.main()``) makes Ctrl-C raise ``Interrupted``, which main() turns
into that line after the workers were stopped. Before that, while the command is still importing
its modules, there is nothing to stop: when this module is imported by the ``endodecide``
command itself (the console script or ``python -m endodecide``), which the CLI does first, a
Ctrl-C simply prints the line and exits. Imported anywhere else (a test, another program), it
changes nothing until ``install()`` is called.
"""

from __future__ import annotations

import os
import signal
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path

__all__ = ["EXIT_INTERRUPTED", "MESSAGE", "Interrupted", "install"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT: what shells report for a command ended by Ctrl-C
MESSAGE = "endodecide: interrupted"


class Interrupted(BaseException):
    """Ctrl-C. Not a KeyboardInterrupt, which typer turns into a silent exit before the CLI's
    edge can say anything, and not an Exception, which an ``except Exception`` in a library
    could swallow; it travels up to ``cli.main()``."""


def _interrupt(signum: int, frame: object) -> None:
    # A second Ctrl-C while the first is handled (workers being stopped) ends at once.
    signal.signal(signal.SIGINT, _exit_now)
    raise Interrupted


def _exit_now(signum: int, frame: object) -> None:
    print(MESSAGE, file=sys.stderr, flush=True)
    os._exit(EXIT_INTERRUPTED)


def install() -> None:
    """Make Ctrl-C raise ``Interrupted``, unless SIGINT was set to be ignored (``nohup``, a
    background job of a shell without job control)."""
    if signal.getsignal(signal.SIGINT) in (signal.default_int_handler, _exit_now):
        signal.signal(signal.SIGINT, _interrupt)


def _started_as_the_command() -> bool:
    main = sys.modules.get("__main__")
    spec: ModuleSpec | None = getattr(main, "__spec__", None)
    if spec is not None:  # python -m endodecide
        return spec.name == "endodecide.__main__"
    return Path(getattr(main, "__file__", None) or "").name == "endodecide"  # console script


if _started_as_the_command() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _exit_now)
