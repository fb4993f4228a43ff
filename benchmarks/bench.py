"""endodecide benchmark (not part of the test suite): throughput, overhead, cold start, memory.

    .venv/bin/python benchmarks/bench.py [--profiles 10000] [--runs 7]

Throughputs are the best of three runs.
(a) profiles/s through the full pipeline (validation of the raw profile, facts, engine, derived
    facts with reasons, options with citations, flags), in one process and across all cores;
(b) the same compiled rules driven by bare durable_rules calls (assert facts and phases,
    sentinel, delete; derive actions assert their fact, other actions do nothing): the ratio
    (a)/(b) is the wrapper's own cost;
(c) the same conditions evaluated directly in Python, stratum by stratum: the floor;
(d) wall time of ``endodecide run`` on one profile from a cold process, median of several runs,
    next to ``python -c pass``;
(e) peak memory (max RSS) of this process, and RSS after 20,000 and 30,000 evaluations.

Prints a small table. This file may use durable_rules directly: it measures the engine itself.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
SEED = 20141210
_BARE_IDS = itertools.count(1)


def _raw_profiles(count: int) -> list[dict[str, Any]]:
    from endodecide.rulepack import load_pack
    from endodecide.workshop.space import derive_space

    space = derive_space(load_pack(RULES))
    rng = random.Random(SEED)
    return [space.sample(rng).model_dump(mode="json") for _ in range(count)]


def _full_pipeline(raw: list[dict[str, Any]]) -> int:
    from endodecide.evaluate import Evaluator
    from endodecide.profile import Profile
    from endodecide.rulepack import load_pack

    evaluator = Evaluator(load_pack(RULES))
    options = 0
    for data in raw:
        result = evaluator.evaluate(Profile.model_validate(data))
        options += len(result.options)
    return options


REPEATS = 3


def _timed(fn: Any, *args: Any) -> tuple[float, Any]:
    """The best of REPEATS runs (the least disturbed by the rest of the machine)."""
    best, value = float("inf"), None
    for _ in range(REPEATS):
        started = time.perf_counter()
        value = fn(*args)
        best = min(best, time.perf_counter() - started)
    return best, value


def bench_full(raw: list[dict[str, Any]]) -> float:
    """Each repetition starts from a fresh evaluator, so no result cache is warm from an
    earlier pass over the same profiles."""
    from endodecide.evaluate import Evaluator
    from endodecide.profile import Profile
    from endodecide.rulepack import load_pack

    pack = load_pack(RULES)
    best = float("inf")
    for _ in range(REPEATS):
        evaluator = Evaluator(pack)
        started = time.perf_counter()
        for data in raw:  # results are used and dropped, as the bare run drops its sessions
            evaluator.evaluate(Profile.model_validate(data))
        best = min(best, time.perf_counter() - started)
    return len(raw) / best


def bench_full_parallel(raw: list[dict[str, Any]], workers: int) -> tuple[float, float]:
    """Profiles/s across processes: including pool start-up, and the evaluation phase alone."""
    size = -(-len(raw) // workers)
    chunks = [raw[i : i + size] for i in range(0, len(raw), size)]
    started = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(_noop, range(workers)))  # start the workers
        ready = time.perf_counter()
        list(pool.map(_full_pipeline, chunks))
    done = time.perf_counter()
    return len(raw) / (done - started), len(raw) / (done - ready)


def _noop(_: int) -> None:
    import endodecide.evaluate  # noqa: F401  (import cost paid at start-up, as in real use)


def _facts(raw: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    from endodecide.facts import line_facts, patient_fact
    from endodecide.profile import Profile

    found = []
    for data in raw:
        profile = Profile.model_validate(data)
        found.append([patient_fact(profile), *line_facts(profile)])
    return found


def bench_bare_durable(raw: list[dict[str, Any]]) -> float:
    """The compiled program on a bare durable_rules Host: no wrapper, no results."""
    import copy

    from durable import engine as durable_engine

    from endodecide.rulepack import load_pack

    program = load_pack(RULES).program
    name = f"{program.ruleset}-bare-{next(_BARE_IDS)}"

    def action(spec: Any) -> Any:
        derive = spec.derive

        def act(c: Any) -> None:
            if derive is not None:
                fact = dict(derive)
                fact["line"] = getattr(c, spec.line_alias)["index"] if spec.line_alias else -1
                try:  # noqa: SIM105 - try/except is cheaper than suppress; same as the engine
                    c.assert_fact(fact)
                except (
                    durable_engine.MessageObservedException,
                    durable_engine.MessageNotHandledException,
                ):
                    pass

        return act

    actions = {rule_id: action(spec) for rule_id, spec in program.actions.items()}
    actions["__done__"] = lambda c: None

    class Host(durable_engine.Host):
        def __init__(self) -> None:
            super().__init__()

        def _run(self) -> None:
            return None

        def get_action(self, action_name: str) -> Any:
            return actions[action_name]

    rules = {rule_id: {**rule, "run": rule_id} for rule_id, rule in program.rules.items()}
    rules["__done__"] = {"all": [{"m": {"kind": "__done__"}}], "pri": 65535, "run": "__done__"}
    host = Host()
    host.set_rulesets({name: copy.deepcopy(rules)})
    inputs = _facts(raw)

    def run() -> None:
        for sid, facts in enumerate(inputs):
            key = str(sid)
            for fact in facts:
                try:  # noqa: SIM105 - try/except is cheaper than suppress; same as the engine
                    host.assert_fact(name, {**fact, "sid": key})
                except durable_engine.MessageNotHandledException:
                    pass
            for stratum in range(program.strata + 1):
                try:  # noqa: SIM105 - try/except is cheaper than suppress; same as the engine
                    host.assert_fact(name, {"kind": "phase", "stratum": stratum, "sid": key})
                except durable_engine.MessageNotHandledException:
                    pass
            host.assert_fact(name, {"kind": "__done__", "sid": key})
            host.delete_state(name, key)

    seconds, _ = _timed(run)
    return len(raw) / seconds


def bench_direct(raw: list[dict[str, Any]]) -> float:
    from endodecide.facts import line_facts, patient_fact
    from endodecide.profile import Profile
    from endodecide.rulepack import load_pack
    from endodecide.rulepack.interpret import direct_fire, direct_table

    pack = load_pack(RULES)
    table = direct_table(pack.rules.values())
    profiles = [Profile.model_validate(d) for d in raw]
    inputs = [(patient_fact(p), line_facts(p)) for p in profiles]
    seconds, _ = _timed(lambda: [direct_fire(table, p, lines) for p, lines in inputs])
    return len(raw) / seconds


def bench_cold(runs: int) -> tuple[float, float]:
    exe = Path(sys.executable).with_name("endodecide")
    profile = ROOT / "profiles" / "P001-de-novo-endocrine-naive.yaml"

    def median(command: list[str]) -> float:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    median([str(exe), "run", str(profile)])  # the first run may fill the compiled-pack cache
    return median([str(exe), "run", str(profile)]), median([sys.executable, "-c", "pass"])


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:  # noqa: PTH123
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def bench_memory(total: int = 30_000) -> tuple[float, float, float]:
    """RSS after 20,000 evaluations and after ``total``; peak RSS of the process."""
    from endodecide.evaluate import Evaluator
    from endodecide.rulepack import load_pack
    from endodecide.workshop.space import derive_space

    pack = load_pack(RULES)
    evaluator, space = Evaluator(pack), derive_space(pack)
    rng = random.Random(SEED + 1)
    early = 0.0
    for index in range(total):
        evaluator.evaluate(space.sample(rng))
        if index == 19_999:
            early = _rss_mb()
    assert evaluator.engine.live_sessions == 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    return early, _rss_mb(), peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    workers = os.cpu_count() or 1
    raw = _raw_profiles(args.profiles)

    full = bench_full(raw)
    parallel_total, parallel_eval = bench_full_parallel(raw, workers)
    bare = bench_bare_durable(raw)
    direct = bench_direct(raw)
    cold, python = bench_cold(args.runs)
    early, late, peak = bench_memory()

    rows = [
        ("(a) full pipeline, 1 process", f"{full:,.0f} profiles/s", "target >= 2,000/s"),
        (
            f"(a) full pipeline, {workers} processes",
            f"{parallel_eval:,.0f} profiles/s ({parallel_total:,.0f} with start-up)",
            "",
        ),
        ("(b) bare durable_rules, same rules", f"{bare:,.0f} profiles/s", ""),
        ("    ratio bare / full", f"{bare / full:.2f}x", "target <= 1.5x"),
        ("(c) direct Python, same conditions", f"{direct:,.0f} profiles/s", ""),
        ("    ratio direct / full", f"{direct / full:.2f}x", "the floor"),
        (
            "(d) endodecide run, 1 profile, cold",
            f"{cold:.3f} s (median of {args.runs})",
            "target < 0.35 s",
        ),
        ("    python -c pass", f"{python:.3f} s", ""),
        ("(e) RSS after 20,000 / 30,000 evaluations", f"{early:.1f} / {late:.1f} MB", "no growth"),
        ("    peak RSS of this process", f"{peak:.1f} MB", ""),
    ]
    print(
        f"endodecide benchmark, {date.today()}, {platform.python_version()}, {workers} cores, "
        f"{args.profiles:,} generated profiles"
    )
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    for label, value, target in rows:
        print(f"{label:<{width}}  {value:<{value_width}}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
