"""The exception tree, caught once at the CLI edge.

EndodecideError
├── InputError          bad profile or rule-pack files; carries one Problem per defect
│   ├── ProfileError    a profile file is unreadable or invalid
│   └── RulePackError   the rule pack or evidence catalogue is invalid
└── EvaluationError     the engine failed while evaluating a valid profile (a bug, not bad input)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from endodecide.textsafe import printable

__all__ = [
    "EndodecideError",
    "EvaluationError",
    "InputError",
    "Problem",
    "ProblemDict",
    "ProfileError",
    "RulePackError",
    "display_path",
]


class ProblemDict(TypedDict):
    """A ``Problem`` as the JSON output shows it (without ``detail``)."""

    file: str
    line: int | None
    field: str
    code: str
    message: str


@dataclass(frozen=True, order=True)
class Problem:
    """One defect in one file, reported like a compiler: ``file:line field: message``."""

    file: str
    line: int | None
    field: str
    message: str
    code: str = "E000"
    detail: str = ""  # a block printed below the one-line message (a counter-example, say)

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        line = f"{where}:{field} {self.code} {self.message}"
        return f"{line}\n{self.detail.rstrip()}" if self.detail else line

    def to_dict(self) -> ProblemDict:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


class EndodecideError(Exception):
    """Base class of every error endodecide raises on purpose."""


class InputError(EndodecideError):
    """One or more problems in input files; each problem is reported on its own line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.field, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class ProfileError(InputError):
    """A profile file could not be read or is invalid."""


class RulePackError(InputError):
    """The rule pack, a rule file or the evidence catalogue is invalid."""


class EvaluationError(EndodecideError):
    """The engine failed on a valid profile; raised after the engine state was cleaned."""

    def __init__(self, profile: str, details: list[str]) -> None:
        self.profile = profile
        self.details = details
        super().__init__(f"evaluation of {profile} failed: " + "; ".join(details))


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when possible, with
    control characters in file names shown as escapes, never sent raw to a terminal."""
    try:
        shown = str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # elsewhere, or a link loop
        shown = str(path)
    return printable(shown)
