"""Golden files: the JSON results of the teaching profiles, the Markdown reports of a few and the
compiled program of one rule of each kind; any change of behaviour shows up in review."""

from __future__ import annotations

import pytest

from tests.goldens import (
    COMPILED_GOLDEN_DIR,
    COMPILED_GOLDENS,
    GOLDEN_DIR,
    REPORT_GOLDEN_DIR,
    REPORT_GOLDENS,
    compiled_golden_path,
    golden_path,
    profile_files,
    render_compiled_golden,
    render_golden,
    render_report_golden,
    report_golden_path,
)


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


@pytest.mark.parametrize("stem", REPORT_GOLDENS)
def test_markdown_report_golden(stem: str) -> None:
    """The Markdown report equals its reviewed golden (regenerate with 'make goldens')."""
    path = report_golden_path(stem)
    assert path.is_file(), "run 'make goldens' and review the diff"
    assert render_report_golden(stem) == path.read_text(encoding="utf-8")


def test_no_stale_report_goldens() -> None:
    """Every file under golden/reports is the golden of an entry of REPORT_GOLDENS."""
    expected = {report_golden_path(stem).name for stem in REPORT_GOLDENS}
    found = {p.name for p in REPORT_GOLDEN_DIR.iterdir()}
    assert found == expected, "run 'make goldens' (or add the profile to REPORT_GOLDENS)"


@pytest.mark.parametrize("rule_id", COMPILED_GOLDENS)
def test_compiled_golden(rule_id: str) -> None:
    """The rule's compiled program equals its reviewed golden (regenerate with 'make goldens')."""
    path = compiled_golden_path(rule_id)
    assert path.is_file(), f"no compiled golden for {rule_id}: run 'make goldens' and review it"
    assert render_compiled_golden(rule_id) == path.read_text(encoding="utf-8")


def test_no_stale_compiled_goldens() -> None:
    """Every file under golden/compiled is the golden of an entry of COMPILED_GOLDENS."""
    expected = {compiled_golden_path(rule_id).name for rule_id in COMPILED_GOLDENS}
    found = (
        {p.name for p in COMPILED_GOLDEN_DIR.iterdir()} if COMPILED_GOLDEN_DIR.is_dir() else set()
    )
    assert found == expected, "run 'make goldens' (or add the rule to COMPILED_GOLDENS)"
