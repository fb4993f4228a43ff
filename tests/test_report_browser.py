"""HTML reports in a real headless browser (Debian's chromium, driven by Playwright).

Every teaching profile's report must load with no console error, request nothing beyond its own
file, lay out on A4 when printed, and paint a screenshot that is not blank. Skipped where
chromium is missing, unless ENDODECIDE_REQUIRE_BROWSER=1 (as in CI), where that is a failure.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from endodecide.rulepack import RulePack
from tests.browser import CHROMIUM_ARGS, require_chromium
from tests.conftest import PROFILES, cli

CHROMIUM = require_chromium()

# A real browser: starting it and painting every report takes seconds.
pytestmark = pytest.mark.slow

from playwright.sync_api import Browser, sync_playwright  # noqa: E402

# The report whose first screen the README shows (its history picture against the thresholds)
SCREENSHOT = "P014-secondary-resistance-after-adjuvant-anastrozole"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser-reports")
    done = cli("report", "profiles/", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def _pages() -> list[str]:
    return sorted([p.stem for p in PROFILES.iterdir()] + ["index"])


@pytest.mark.parametrize("stem", _pages())
def test_report_loads_cleanly_offline_and_paints(
    browser: Browser, report_dir: Path, stem: str
) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda request: requests.append(request.url))
    url = (report_dir / f"{stem}.html").as_uri()
    page.goto(url, wait_until="load")
    assert errors == []
    assert requests == [url], "a report must not fetch anything"
    assert page.locator("h1").count() == 1
    assert page.locator(".disclaimer").count() == 2
    shot = page.screenshot(full_page=False)
    if stem == SCREENSHOT and os.environ.get("ENDODECIDE_SCREENSHOTS"):
        target = Path(os.environ["ENDODECIDE_SCREENSHOTS"])  # make screenshots: docs/
        target.mkdir(parents=True, exist_ok=True)
        (target / "report-history.png").write_bytes(shot)
    if stem != "index":
        assert page.locator("svg[role=img] title").count() == 1, "the history picture is missing"
    image = Image.open(io.BytesIO(shot)).convert("L")
    low, high = image.getextrema()
    assert high - low > 100, "the screenshot is blank"
    histogram = image.histogram()
    assert max(histogram) < 0.97 * sum(histogram), "the screenshot is almost one colour"
    page.close()


def test_report_prints_on_a4(browser: Browser, report_dir: Path) -> None:
    page = browser.new_page()
    page.goto((report_dir / "P004-progression-first-line-letrozole.html").as_uri())
    pdf = page.pdf(prefer_css_page_size=True)
    page.close()
    assert pdf.startswith(b"%PDF")
    # A4 is 595 x 842 points; every page of the PDF must have that MediaBox.
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(boxes) > 1
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}


@pytest.mark.parametrize("command", ["catalog", "handout"])
def test_catalogue_and_handout_load_cleanly(
    browser: Browser, tmp_path: Path, command: str, pack: RulePack
) -> None:
    if command == "catalog":
        done = cli("rules", "catalog", "--out", str(tmp_path), "--format", "html")
        page_file = tmp_path / "catalog.html"
    else:
        page_file = tmp_path / "handout.html"
        done = cli("handout", "--out", str(page_file))
    assert done.returncode == 0, done.stderr
    page = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda request: requests.append(request.url))
    page.goto(page_file.as_uri(), wait_until="load")
    assert errors == [] and requests == [page_file.as_uri()]
    # one article per rule and per clinical safety invariant
    assert page.locator("article").count() == len(pack.rules) + len(pack.invariants.invariants)
    page.close()
