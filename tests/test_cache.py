"""The compiled-pack cache: a hit gives the same pack, any change is a miss, bad caches are
ignored, and only packs that loaded cleanly are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from endodecide.errors import RulePackError
from endodecide.rulepack import load_pack
from tests.conftest import edit_rule

# Every test compiles a copied pack from scratch (over a second each).
pytestmark = pytest.mark.slow


@pytest.fixture
def setup(tmp_path: Path, rules_copy: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    cache = tmp_path / "cache"
    monkeypatch.setenv("ENDODECIDE_CACHE_DIR", str(cache))
    return rules_copy, cache


def test_a_hit_returns_the_same_pack(setup: tuple[Path, Path]) -> None:
    rules, cache = setup
    first = load_pack(rules)
    assert len(list(cache.glob("*.pickle"))) == 1
    second = load_pack(rules)
    assert second is not first
    assert second.fingerprint == first.fingerprint
    assert second.rules.keys() == first.rules.keys()
    assert second.rules["ED113"].card == first.rules["ED113"].card
    assert second.program == first.program


def test_an_edited_rule_is_a_miss(setup: tuple[Path, Path]) -> None:
    rules, cache = setup
    load_pack(rules)
    edit_rule(rules, "ED113", "title: Exemestane", "title: Exemestane alone")
    assert load_pack(rules).rules["ED113"].card.title.startswith("Exemestane alone")
    assert len(list(cache.glob("*.pickle"))) == 2


def test_a_broken_pack_is_never_cached(setup: tuple[Path, Path]) -> None:
    rules, cache = setup
    edit_rule(rules, "ED113", "title:", "titel:")
    for _ in range(2):
        with pytest.raises(RulePackError):
            load_pack(rules)
    assert not list(cache.glob("*.pickle"))


def test_a_corrupt_cache_file_is_ignored(setup: tuple[Path, Path]) -> None:
    rules, cache = setup
    expected = load_pack(rules)
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert load_pack(rules).fingerprint == expected.fingerprint


def test_the_cache_can_be_turned_off(
    setup: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    rules, cache = setup
    monkeypatch.setenv("ENDODECIDE_NO_CACHE", "1")
    load_pack(rules)
    assert not cache.exists()
