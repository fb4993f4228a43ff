"""The one-paragraph disclaimer carried by every output (full text: DISCLAIMER.md)."""

__all__ = ["DISCLAIMER", "disclaimer_at"]

DISCLAIMER = (
    "EDUCATIONAL USE ONLY - NOT CLINICAL ADVICE. endodecide is a non-clinical teaching "
    "prototype. All profiles are hypothetical; do not enter real patient data. Its rules "
    "mirror a 2014 review (Milani et al., World J Clin Oncol 2014;5(5):990-1001) and the "
    "evidence is frozen at that date; check the primary publications and current guidelines."
)


def disclaimer_at(day: str | None) -> str:
    """The disclaimer for an output showing the evidence on ``day`` (None: the review's date,
    where the evidence is frozen)."""
    if day is None:
        return DISCLAIMER
    return DISCLAIMER.replace(
        "and the evidence is frozen at that date;",
        f"plus a selective, dated timeline of later trials, shown here as of {day} - not a "
        "current guideline;",
    )
