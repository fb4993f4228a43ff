"""Publication dates known to the day, the month or only the year, and how they compare.

A catalogue entry's publication date, and the date of a timeline change, is written as
``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``. A date known only to the month or year is read
conservatively: evidence counts as published from the *last* day of its period (it certainly
existed by then), and as published *after* a date only when its whole period is after it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

__all__ = ["PARTIAL_DATE_PATTERN", "PartialDate", "parse_day"]

PARTIAL_DATE_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
_FULL = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(text: str) -> date:
    """A full ``YYYY-MM-DD`` date; ValueError naming what is allowed otherwise."""
    if not _FULL.match(text):
        raise ValueError(f"'{text}' is not a date: write YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a calendar date") from None


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date with day, month or year precision."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        if not re.match(PARTIAL_DATE_PATTERN, text):
            raise ValueError(f"'{text}' is not a date: write YYYY-MM-DD, YYYY-MM or YYYY")
        parts = [int(part) for part in text.split("-")]
        found = cls(*parts)
        found.end  # noqa: B018 - raises for a day the month does not have
        return found

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    @property
    def start(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def end(self) -> date:
        """The last day of the period: from this day the evidence certainly existed."""
        if self.day is not None and self.month is not None:
            try:
                return date(self.year, self.month, self.day)
            except ValueError:
                raise ValueError(f"'{self}' is not a calendar date") from None
        month = self.month or 12
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def known_by(self, day: date) -> bool:
        """Published on or before ``day`` (the whole period is over by then)."""
        return self.end <= day

    def after(self, day: date) -> bool:
        """Published after ``day`` (the whole period is after it)."""
        return self.start > day

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month:
            text += f"-{self.month:02d}"
        if self.day:
            text += f"-{self.day:02d}"
        return text
