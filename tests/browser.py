"""Headless Chromium for the browser tests (Debian's chromium, driven by Playwright).

Skipped where chromium is missing, unless ENDODECIDE_REQUIRE_BROWSER=1 (as in CI), where that
is a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "require_chromium"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("ENDODECIDE_REQUIRE_BROWSER") == "1"
# Without the background-networking flags chromium tries to reach Google at start-up.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> str:
    """The chromium executable; skip (or fail, in CI) the calling test module without one."""
    if CHROMIUM is None:
        if REQUIRED:
            pytest.fail("chromium is required (ENDODECIDE_REQUIRE_BROWSER=1) but was not found")
        pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)
    return CHROMIUM
