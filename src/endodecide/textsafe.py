"""Text from files made safe to print: control characters shown, never obeyed by a terminal."""

from __future__ import annotations

import unicodedata

__all__ = [
    "ECHO_CHARS",
    "clip",
    "describe_control",
    "first_control",
    "has_control",
    "printable",
    "quote",
]

ECHO_CHARS = 60  # a value echoed in a message is cut to about this many characters

# Bidirectional overrides and isolates reorder what a reader sees (the "Trojan Source" trick).
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _is_control(char: str) -> bool:
    return char in _BIDI or (
        unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} and char not in "\t\n"
    )


def has_control(text: str) -> bool:
    """Whether ``text`` holds a character a terminal would act on or that reorders text
    (C0/C1 controls such as ESC and BEL, bidi overrides, other format characters, the Unicode
    line and paragraph separators); tabs and newlines are not counted."""
    return any(_is_control(char) for char in text)


def printable(text: str) -> str:
    """``text`` with every such character (newlines and tabs too) shown as an escape, like
    ``repr`` does (``\\x1b``, ``\\u202e``), so it is visible and inert on any terminal or page."""
    if not any(_is_control(char) or char in "\t\n" for char in text):
        return text
    return "".join(
        (
            char.encode("unicode_escape").decode("ascii")
            if _is_control(char) or char in "\t\n"
            else char
        )
        for char in text
    )


def first_control(text: str) -> str | None:
    """The first character of ``text`` that :func:`has_control` objects to, or None."""
    return next((char for char in text if _is_control(char)), None)


def describe_control(char: str) -> str:
    """A control character in words, itself inert: ``\\x1b (U+001B)``, ``\\u202e (U+202E
    RIGHT-TO-LEFT OVERRIDE)``."""
    name = unicodedata.name(char, "")
    return f"{printable(char)} (U+{ord(char):04X}{' ' + name if name else ''})"


def clip(text: str, limit: int = ECHO_CHARS) -> str:
    """``text`` made printable and cut after ``limit`` characters with ``...``: what a message
    may echo of a value from a file, on one line."""
    if len(text) <= limit:
        return printable(text)
    return printable(text[:limit]) + "..."


def quote(value: object, limit: int = ECHO_CHARS) -> str:
    """A value from a file as a message shows it: text in quotes (``'neg'``), anything else as
    Python writes it, always printable and at most about ``limit`` characters."""
    if isinstance(value, str):
        return f"'{clip(value, limit)}'"
    try:
        text = repr(value)
    except ValueError:  # an integer with more digits than Python will print
        return "a number too large to show"
    return clip(text, limit)
