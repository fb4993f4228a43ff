"""Golden JSON results of the teaching profiles: any change of behaviour shows up in review."""

from __future__ import annotations

import pytest

from tests.goldens import GOLDEN_DIR, golden_path, profile_files, render_golden


@pytest.mark.parametrize("profile", profile_files(), ids=lambda p: p.stem)
def test_golden(profile) -> None:
    """The result equals its reviewed golden (regenerate with 'make goldens')."""
    path = golden_path(profile)
    assert path.is_file(), f"no golden for {profile.name}: run 'make goldens' and review it"
    assert render_golden(profile) == path.read_text(encoding="utf-8")


def test_no_stale_goldens() -> None:
    """Every golden belongs to a profile."""
    expected = {golden_path(p).name for p in profile_files()}
    assert {p.name for p in GOLDEN_DIR.glob("*.json")} == expected
