"""Code-quality gates that CI enforces: ruff clean, formatted, explicit public surfaces."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SRC = ROOT / "src" / "endodecide"


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_ruff_check_is_clean() -> None:
    """ruff finds nothing in src/ and tests/."""
    done = _ruff("check", "src", "tests")
    assert done.returncode == 0, done.stdout


def test_ruff_format_is_clean() -> None:
    """The code is formatted as ruff formats it."""
    done = _ruff("format", "--check", "src", "tests")
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize(
    "module",
    sorted(
        "endodecide." + p.relative_to(SRC).with_suffix("").as_posix().replace("/", ".")
        for p in SRC.rglob("*.py")
        # Alembic's migration scripts are run by Alembic, not imported as modules
        if p.name not in {"__init__.py", "__main__.py"} and "migrations" not in p.parts
    ),
)
def test_module_declares_its_public_names(module: str) -> None:
    """Every module says what it exports, and exports only what exists."""
    loaded = importlib.import_module(module)
    exported = getattr(loaded, "__all__", None)
    assert exported is not None, f"{module} has no __all__"
    assert all(hasattr(loaded, name) for name in exported), module
    assert Path(loaded.__file__).read_text().startswith('"""'), f"{module} has no docstring"
