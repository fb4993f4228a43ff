"""Documentation that must not rot: the vocabulary table, the disclaimer, the README commands."""

from __future__ import annotations

from endodecide.facts import VOCABULARY
from tests.conftest import ROOT


def test_rules_readme_lists_the_whole_vocabulary() -> None:
    """Every fact a rule may name is documented for rule authors."""
    text = (ROOT / "rules" / "README.md").read_text()
    missing = [name for name in VOCABULARY if f"| `{name}` |" not in text]
    assert missing == []


def test_disclaimer_file_and_readme() -> None:
    """DISCLAIMER.md exists and the README points to it and to both commands."""
    assert "educational, non-clinical" in (ROOT / "DISCLAIMER.md").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme and "DISCLAIMER.md" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
