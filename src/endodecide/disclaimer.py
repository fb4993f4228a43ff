"""The one-paragraph disclaimer carried by every output (full text: DISCLAIMER.md)."""

__all__ = ["DISCLAIMER"]

DISCLAIMER = (
    "EDUCATIONAL USE ONLY - NOT CLINICAL ADVICE. endodecide is a non-clinical teaching "
    "prototype. All profiles are hypothetical; do not enter real patient data. Its rules "
    "mirror a 2014 review (Milani et al., World J Clin Oncol 2014;5(5):990-1001) and the "
    "evidence is frozen at that date; check the primary publications and current guidelines."
)
