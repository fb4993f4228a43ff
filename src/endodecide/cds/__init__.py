"""CDS Hooks: advice as cards for a hypothetical patient, and what users did with them."""

__all__: list[str] = []
