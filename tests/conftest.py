"""Shared fixtures: the shipped rule pack, compiled once per session, and helpers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from endodecide.evaluate import Evaluator
from endodecide.profile import Profile
from endodecide.rulepack import RulePack, load_pack
from endodecide.workshop.space import ProfileSpace, derive_space

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
PROFILES = ROOT / "profiles"
EXE = Path(sys.executable).with_name("endodecide")


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


@pytest.fixture(scope="session")
def space(pack: RulePack) -> ProfileSpace:
    """The profile space derived from the shipped pack, built once per session."""
    return derive_space(pack)


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


def cli(
    *args: str,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    timeout: float = 1800,
) -> subprocess.CompletedProcess[str]:
    """Run the installed console script as a user would (the generous timeout leaves room for
    whole-space runs on a slow machine, yet a hang fails instead of stalling CI)."""
    return subprocess.run(
        [str(EXE), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=timeout,
        env=env,
    )


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A temporary copy of the shipped rules folder, free to edit."""
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def rule_path(rules: Path, rule_id: str) -> Path:
    """The file of rule ``rule_id`` in the rules folder ``rules`` (named after its id)."""
    (path,) = rules.rglob(f"{rule_id}-*.yaml")
    return path


def edit_text(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` in ``path`` by ``new``; return the 1-based line it began on."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text.split(old, 1)[0].count("\n") + 1


def edit_rule(rules: Path, rule_id: str, old: str, new: str) -> tuple[Path, int]:
    """Edit rule ``rule_id`` in the copied rules folder as ``edit_text`` does; return the rule
    file and the 1-based line of the edit."""
    path = rule_path(rules, rule_id)
    return path, edit_text(path, old, new)
