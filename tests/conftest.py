"""Shared fixtures: the shipped rule pack, compiled once per session, and helpers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from endodecide.evaluate import Evaluator
from endodecide.profile import Profile
from endodecide.rulepack import RulePack, load_pack

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
PROFILES = ROOT / "profiles"


@pytest.fixture(scope="session", autouse=True)
def _private_pack_cache(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Compiled-pack cache in a temporary folder, never the user's home (inherited by CLI runs)."""
    os.environ["ENDODECIDE_CACHE_DIR"] = str(tmp_path_factory.mktemp("pack-cache"))
    yield
    os.environ.pop("ENDODECIDE_CACHE_DIR", None)


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths in messages and goldens are relative to the repository root."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("ENDODECIDE_RULES", raising=False)


@pytest.fixture(scope="session")
def pack() -> RulePack:
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        return load_pack(RULES)
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="session")
def evaluator(pack: RulePack) -> Evaluator:
    return Evaluator(pack)


def make_profile(**overrides: Any) -> Profile:
    """A postmenopausal, ER+/PR+/HER2- de novo profile, with fields replaced as given."""
    data: dict[str, Any] = {
        "label": "test profile",
        "sex": "female",
        "menopausal_status": "post",
        "receptors": {"er": "positive", "pr": "positive", "her2": "negative"},
        "disease": {"setting": "de_novo", "extent": "visceral"},
    }
    data.update(overrides)
    return Profile.model_validate(data)
