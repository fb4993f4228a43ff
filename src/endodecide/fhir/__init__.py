"""Hypothetical mCODE-shaped FHIR R4 bundles in and out of endodecide profiles (non-clinical)."""

__all__: list[str] = []
