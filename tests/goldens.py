"""Golden files: the full JSON result of every teaching profile, written by a command.

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
FINGERPRINT_MASK = "<fingerprint>"


def golden_path(profile: Path) -> Path:
    return GOLDEN_DIR / f"{profile.stem}.json"


def render_golden(profile: Path) -> str:
    """The JSON 'run' output for one profile, with the rule-pack fingerprint masked."""
    from endodecide.disclaimer import DISCLAIMER
    from endodecide.evaluate import Evaluator, pack_info
    from endodecide.profile import load_profile
    from endodecide.result import RunOutput
    from endodecide.rulebook import load_rulebook

    pack = load_rulebook(ROOT / "rules")
    loaded = load_profile(profile.relative_to(ROOT))
    result = Evaluator(pack).evaluate(loaded.profile, loaded.source)
    info = pack_info(pack).model_copy(update={"fingerprint": FINGERPRINT_MASK})
    document = RunOutput(disclaimer=DISCLAIMER, rule_pack=info, results=[result], errors=[])
    return json.dumps(json.loads(document.model_dump_json()), indent=2, ensure_ascii=False) + "\n"


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
