"""The web applications: the workshop server (and later the CDS Hooks service), one app factory."""

__all__: list[str] = []
