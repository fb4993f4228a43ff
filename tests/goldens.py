"""Golden files: the full JSON result of every teaching profile, and the Markdown report of a
few, written by a command.

    python tests/goldens.py        (or: make goldens)

Never edit a golden by hand; review its diff like code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = ROOT / "tests" / "golden"
PROFILE_DIR = ROOT / "profiles"
REPORT_GOLDEN_DIR = GOLDEN_DIR / "reports"
FINGERPRINT_MASK = "<fingerprint>"
# Profiles whose Markdown report is kept as a golden: near misses, flags with the ESR1 note,
# and an option shown with its contrary trial.
REPORT_GOLDENS = (
    "P003-secondary-resistance-adjuvant-tamoxifen",
    "P012-third-line-esr1-mutated",
    "P016-late-relapse-after-adjuvant-tamoxifen",
)


def golden_path(profile: Path) -> Path:
    return GOLDEN_DIR / f"{profile.stem}.json"


def render_golden(profile: Path) -> str:
    """The JSON 'run' output for one profile, with the rule-pack fingerprint masked."""
    from endodecide.disclaimer import DISCLAIMER
    from endodecide.evaluate import Evaluator, pack_info
    from endodecide.profile import load_profile
    from endodecide.result import RunOutput
    from endodecide.rulepack import load_pack

    pack = load_pack(ROOT / "rules")
    loaded = load_profile(profile.relative_to(ROOT))
    result = Evaluator(pack).evaluate(loaded.profile, loaded.source, explain=True)
    info = pack_info(pack).model_copy(update={"fingerprint": FINGERPRINT_MASK})
    document = RunOutput(disclaimer=DISCLAIMER, rule_pack=info, results=[result], errors=[])
    return json.dumps(json.loads(document.model_dump_json()), indent=2, ensure_ascii=False) + "\n"


def report_golden_path(stem: str) -> Path:
    return REPORT_GOLDEN_DIR / f"{stem}.md"


def render_report_golden(stem: str) -> str:
    """The Markdown report for one profile, with the rule-pack fingerprint masked."""
    from endodecide.evaluate import Evaluator, pack_info
    from endodecide.profile import load_profile
    from endodecide.render.report import render_report
    from endodecide.rulepack import load_pack

    pack = load_pack(ROOT / "rules")
    path = next(p for p in profile_files() if p.stem == stem)
    loaded = load_profile(path.relative_to(ROOT))
    result = Evaluator(pack).evaluate(loaded.profile, loaded.source, explain=True)
    info = pack_info(pack).model_copy(update={"fingerprint": FINGERPRINT_MASK})
    return render_report(info, result, "md")


def profile_files() -> list[Path]:
    return sorted(p for p in PROFILE_DIR.iterdir() if p.suffix in {".yaml", ".yml", ".json"})


def main() -> int:
    import os

    os.chdir(ROOT)
    GOLDEN_DIR.mkdir(exist_ok=True)
    expected = {golden_path(p) for p in profile_files()}
    for stale in set(GOLDEN_DIR.glob("*.json")) - expected:
        stale.unlink()
        print(f"removed {stale.relative_to(ROOT)}")
    for profile in profile_files():
        golden_path(profile).write_text(render_golden(profile), encoding="utf-8")
        print(f"wrote {golden_path(profile).relative_to(ROOT)}")
    REPORT_GOLDEN_DIR.mkdir(exist_ok=True)
    for stem in REPORT_GOLDENS:
        report_golden_path(stem).write_text(render_report_golden(stem), encoding="utf-8")
        print(f"wrote {report_golden_path(stem).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
