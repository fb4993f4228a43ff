"""Time the profile space derived from the rule pack: building it, one walk through the engine
(what ``coverage`` and ``rules lint`` do), and two walks (what ``rules diff`` does).

    .venv/bin/python benchmarks/space.py [-j N]

Not part of the tests; the README quotes its latest figures with their date.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from endodecide.parallel import plan_workers
from endodecide.rulepack import load_pack
from endodecide.workshop.coverage import evaluate_space
from endodecide.workshop.space import derive_space

RULES = Path(__file__).resolve().parents[1] / "rules"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-j", "--workers", type=int, default=None)
    workers = plan_workers(parser.parse_args().workers)
    pack = load_pack(RULES)
    started = time.perf_counter()
    space = derive_space(pack)
    built = time.perf_counter() - started
    evaluate_space(pack, workers, space)
    walked = time.perf_counter() - started
    both = derive_space(pack, pack)
    evaluate_space(pack, workers, both)
    evaluate_space(pack, workers, both)
    diffed = time.perf_counter() - started - walked
    print(
        f"{len(space):,} profile classes ({space.histories:,} history classes, "
        f"{space.patients:,} patient classes) on {workers} process(es)"
    )
    print(f"  derive the space: {built:.1f} s")
    print(f"  derive and walk once (coverage, lint): {walked:.1f} s")
    print(f"  derive and walk twice (diff): {diffed:.1f} s")


if __name__ == "__main__":
    main()
