"""Rendering results for people (terminal text) and machines (JSON)."""
