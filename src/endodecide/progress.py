"""A progress bar for long work, on stderr, shown only when stderr is a terminal.

Piped or redirected, nothing at all is printed, so logs and captured output stay clean. The bar
is transient: it disappears when the work is done, leaving the terminal as the output made it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["on_terminal", "progress"]


def on_terminal(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (default: stderr) is an interactive terminal able to draw a bar."""
    stream = sys.stderr if stream is None else stream
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
    return bool(interactive) and os.environ.get("TERM") != "dumb"


@contextmanager
def progress(
    description: str, total: int, stream: TextIO | None = None
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``: while the block runs, a bar counting to ``total`` on ``stream``
    (default: stderr) when it is a terminal; otherwise ``advance`` does nothing."""
    stream = sys.stderr if stream is None else stream
    if not on_terminal(stream):
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=stream),
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
