"""Text from files made safe to print: control characters shown, never obeyed by a terminal."""

from __future__ import annotations

import unicodedata

__all__ = ["has_control", "printable"]

# Bidirectional overrides and isolates reorder what a reader sees (the "Trojan Source" trick).
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _is_control(char: str) -> bool:
    return char in _BIDI or (unicodedata.category(char) in {"Cc", "Cf"} and char not in "\t\n")


def has_control(text: str) -> bool:
    """Whether ``text`` holds a character a terminal would act on or that reorders text
    (C0/C1 controls such as ESC and BEL, bidi overrides, other format characters)."""
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
