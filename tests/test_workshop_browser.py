"""A whole workshop in headless Chromium against a real server: the facilitator creates a session,
two participants join on their own devices and vote in two rounds, the results show the right
shares and alpha, sign-off writes the review record, and ``rules show`` then reads it as reviewed.

Every page must load with no console error and fetch nothing from another host. The results
page and a rule page are saved as screenshots; with ENDODECIDE_SCREENSHOTS=DIR (``make
screenshots``) they are also copied into DIR, which is how ``docs/`` gets them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import CHROMIUM_ARGS, require_chromium
from tests.conftest import cli, rule_path
from tests.serving import LiveServer, live_server

CHROMIUM = require_chromium()
pytestmark = pytest.mark.slow

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Device:
    """One person's browser (its own cookies), recording console errors and foreign requests."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.context = browser.new_context(viewport={"width": 1100, "height": 900})
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "request",
            lambda r: None if r.url.startswith(server.url) else self.foreign.append(r.url),
        )
        self.url = server.url

    def go(self, path: str) -> Page:
        self.page.goto(self.url + path, wait_until="load")
        return self.page


def _vote(
    device: Device, session_id: str, rule: str, vote: str, reason: str = "", comment: str = ""
) -> None:
    page = device.go(f"/s/{session_id}/rules/{rule}")
    page.check(f'input[name="vote"][value="{vote}"]')
    if reason:
        page.select_option("#reason", reason)
    if comment:
        page.fill("#comment", comment)
        page.check('input[name="proposed_edit"]')
    page.get_by_role("button", name=re.compile("^Cast my round")).click()
    assert "ballot is recorded" in page.inner_text("main")


def _rounds(facilitator: Device, session_id: str, label: str) -> None:
    page = facilitator.go(f"/s/{session_id}/facilitator")
    page.get_by_role("button", name=label).click()
    assert page.url.endswith(f"/s/{session_id}/facilitator")


def _save(page: Page, tmp_path: Path, name: str, full_page: bool = False) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=full_page)
    assert shot.stat().st_size > 10_000, "a blank screenshot"
    target = os.environ.get("ENDODECIDE_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(target) / name)
    return shot


def test_a_workshop_from_creation_to_sign_off(
    browser: Browser, tmp_path: Path, rules_copy: Path
) -> None:
    """Create, join, two rounds, results with shares and alpha, sign-off, rules show."""
    with live_server(tmp_path / "w.sqlite3", rules_copy) as server:
        facilitator = Device(browser, server)
        page = facilitator.go("/")
        page.fill("#title", "Tuesday rule review")
        page.check('input[name="rules"][value="ED101"]')
        page.check('input[name="rules"][value="ED210"]')
        page.check('input[name="profiles"][value="P001-de-novo-endocrine-naive"]')
        page.check('input[name="profiles"][value="P004-progression-first-line-letrozole"]')
        page.get_by_role("button", name="Create the session").click()
        session_id = page.url.split("/s/")[1].split("/")[0]
        code = page.inner_text("p.code")

        people = []
        for name, role in (("Onc A", "oncologist"), ("Pharm B", "pharmacist")):
            device = Device(browser, server)
            join = device.go(f"/join?code={code}")
            join.fill("#name", name)
            join.select_option("#role", role)
            join.get_by_role("button", name="Join").click()
            assert f"You joined as {name} ({role})" in join.inner_text("main")
            people.append(device)
        onc, pharm = people

        _rounds(facilitator, session_id, "Open round 1 on every rule")
        _vote(onc, session_id, "ED101", "agree")
        _vote(pharm, session_id, "ED101", "disagree", "population-mismatch")
        _vote(onc, session_id, "ED210", "agree")
        _vote(pharm, session_id, "ED210", "agree")
        _rounds(facilitator, session_id, "Close round 1 on every rule")
        _rounds(facilitator, session_id, "Open round 2 on every rule")
        _vote(onc, session_id, "ED101", "agree")
        _vote(pharm, session_id, "ED101", "agree")
        _vote(onc, session_id, "ED210", "agree")
        _vote(
            pharm,
            session_id,
            "ED210",
            "agree_with_changes",
            "caution-missing",
            "Name the liver tests in the caution",
        )
        _save(pharm.go(f"/s/{session_id}/rules/ED210"), tmp_path, "workshop-rule.png")
        _rounds(facilitator, session_id, "Close round 2 on every rule")

        results = facilitator.go(f"/s/{session_id}/results")
        text = results.inner_text("main")
        assert "1 of 2 (50%)" in text and "2 of 2 (100%)" in text
        assert "Change from round 1 to 2: +50 points agree" in text
        alpha_rows = results.locator("section[aria-labelledby=agreement-h] tbody tr")
        assert alpha_rows.count() == 2
        # Both rounds: one rule split 1-1, the other unanimous; nominal alpha by hand:
        # n = 4 values, observed disagreement 2/4, expected (3*1 + 1*3) / (4*3) = 1/2: alpha = 0
        for row in range(2):
            assert "0.000" in alpha_rows.nth(row).inner_text()
            assert "no better than chance" in alpha_rows.nth(row).inner_text()
        assert "Krippendorff" in text
        _save(results, tmp_path, "workshop-results.png", full_page=True)

        console = facilitator.go(f"/s/{session_id}/facilitator")
        console.get_by_role("button", name="Sign off ED101 into its file").click()
        assert "signed off" in console.inner_text("main")

        for device in (facilitator, onc, pharm):
            assert device.errors == [] and device.foreign == []

    record = rule_path(rules_copy, "ED101").read_text()
    assert f"session: {session_id}" in record
    shown = cli("rules", "show", "ED101", "--rules", str(rules_copy))
    assert shown.returncode == 0, shown.stderr
    assert "Review: reviewed by workshop panel" in shown.stdout
    assert "2 of 2 agreed" in shown.stdout
