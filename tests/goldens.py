"""Golden files: the full JSON result of every teaching profile, the Markdown report of a few,
the compiled program of one rule of each kind, the provenance and gap report of a hand-written
FHIR bundle, and the endocrine history picture of one profile per resistance class, written by
a command.

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
COMPILED_GOLDEN_DIR = GOLDEN_DIR / "compiled"
# Rules whose compiled form (their entry in every per-rule table of pack.program) is kept as a
# golden: a derive rule with a line alias, an option rule in a later stratum with a negation, and
# a flag rule. Regenerate them ('make goldens') whenever what the Program holds changes.
COMPILED_GOLDENS = ("ED003", "ED110", "ED902")
FHIR_DIR = ROOT / "tests" / "fhir"
FHIR_GOLDEN_DIR = GOLDEN_DIR / "fhir"
# Hand-written FHIR bundles whose provenance and gap report ('endodecide fhir import') is kept as
# a golden: the complete one, every profile field read from a resource or assumed.
FHIR_GOLDENS = ("postmenopausal-adjuvant-ai-then-progression",)
HISTORY_GOLDEN_DIR = GOLDEN_DIR / "history"
# Profiles whose endocrine history picture (the SVG file beside a Markdown report) is kept as a
# golden, one per resistance class: relapse early on adjuvant therapy (primary, ED003's 24
# months from its start), relapse within 12 months of completing it (secondary, ED005 from its
# end), relapse long after completing it (not resistant, ED006).
HISTORY_GOLDENS = (
    "P002-primary-resistance-adjuvant-ai",
    "P014-secondary-resistance-after-adjuvant-anastrozole",
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


def compiled_golden_path(rule_id: str) -> Path:
    return COMPILED_GOLDEN_DIR / f"{rule_id}.json"


def render_compiled_golden(rule_id: str) -> str:
    """The compiled program of one rule as pretty JSON with sorted keys: for every per-rule table
    of the Program (``rules``, ``actions``, ``stratum_of``, ...), the rule's entry in it."""
    from dataclasses import fields

    from endodecide.rulepack import load_pack

    program = load_pack(ROOT / "rules").program
    document = {
        f.name: _plain(table[rule_id])
        for f in fields(program)
        if isinstance(table := getattr(program, f.name), dict) and rule_id in table
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def fhir_golden_path(stem: str) -> Path:
    return FHIR_GOLDEN_DIR / f"{stem}.provenance.md"


def render_fhir_golden(stem: str) -> str:
    """The provenance and gap report of one hand-written bundle under tests/fhir/."""
    from endodecide.fhir.importer import import_bundle
    from endodecide.fhir.report import render_provenance

    return render_provenance(import_bundle((FHIR_DIR / f"{stem}.json").relative_to(ROOT)))


def history_golden_path(stem: str) -> Path:
    return HISTORY_GOLDEN_DIR / f"{stem}.history.svg"


def render_history_golden(stem: str, rules: Path = ROOT / "rules") -> str:
    """The standalone history SVG of one teaching profile, against the rules in ``rules``."""
    from endodecide.evaluate import Evaluator, pack_info
    from endodecide.profile import load_profile
    from endodecide.render.history_svg import history_figure
    from endodecide.rulepack import load_pack

    pack = load_pack(rules)
    path = next(p for p in profile_files() if p.stem == stem)
    loaded = load_profile(path.relative_to(ROOT))
    result = Evaluator(pack).evaluate(loaded.profile, loaded.source, explain=True)
    return history_figure(loaded.profile, result, pack, pack_info(pack)).standalone


def _plain(value: object) -> object:
    """``value`` as JSON data: dataclasses and named tuples as objects, sets as sorted lists."""
    from dataclasses import fields, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {key: _plain(item) for key, item in value._asdict().items()}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(_plain(item) for item in value)  # type: ignore[type-var]
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot write {type(value).__name__} in a compiled golden")


def profile_files() -> list[Path]:
    return sorted(p for p in PROFILE_DIR.iterdir() if p.suffix in {".yaml", ".yml", ".json"})


def main() -> int:
    import os

    os.chdir(ROOT)
    GOLDEN_DIR.mkdir(exist_ok=True)
    expected = {golden_path(p) for p in profile_files()}
    _remove_stale(GOLDEN_DIR, "*.json", expected)
    for profile in profile_files():
        golden_path(profile).write_text(render_golden(profile), encoding="utf-8")
        print(f"wrote {golden_path(profile).relative_to(ROOT)}")
    REPORT_GOLDEN_DIR.mkdir(exist_ok=True)
    _remove_stale(REPORT_GOLDEN_DIR, "*.md", {report_golden_path(s) for s in REPORT_GOLDENS})
    for stem in REPORT_GOLDENS:
        report_golden_path(stem).write_text(render_report_golden(stem), encoding="utf-8")
        print(f"wrote {report_golden_path(stem).relative_to(ROOT)}")
    COMPILED_GOLDEN_DIR.mkdir(exist_ok=True)
    _remove_stale(
        COMPILED_GOLDEN_DIR, "*.json", {compiled_golden_path(r) for r in COMPILED_GOLDENS}
    )
    for rule_id in COMPILED_GOLDENS:
        path = compiled_golden_path(rule_id)
        path.write_text(render_compiled_golden(rule_id), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    FHIR_GOLDEN_DIR.mkdir(exist_ok=True)
    _remove_stale(FHIR_GOLDEN_DIR, "*.md", {fhir_golden_path(s) for s in FHIR_GOLDENS})
    for stem in FHIR_GOLDENS:
        path = fhir_golden_path(stem)
        path.write_text(render_fhir_golden(stem), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    HISTORY_GOLDEN_DIR.mkdir(exist_ok=True)
    _remove_stale(HISTORY_GOLDEN_DIR, "*.svg", {history_golden_path(s) for s in HISTORY_GOLDENS})
    for stem in HISTORY_GOLDENS:
        path = history_golden_path(stem)
        path.write_text(render_history_golden(stem), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


def _remove_stale(folder: Path, pattern: str, expected: set[Path]) -> None:
    for stale in set(folder.glob(pattern)) - expected:
        stale.unlink()
        print(f"removed {stale.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
