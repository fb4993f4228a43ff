"""Evaluating many profile files: in this process, or spread over all cores for big batches.

Workers are separate processes (spawned, see ``endodecide.parallel``), each with one engine;
files are split into chunks in order and the results put back in that order, so the output is
the same as a one-process run. A progress bar counts the files when stderr is a terminal.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from endodecide.errors import Problem, ProfileError
from endodecide.parallel import ordered_map, plan_workers
from endodecide.profile import collect_profile_files, load_profile
from endodecide.progress import progress
from endodecide.result import ProfileResult
from endodecide.rulepack import RulePack, load_pack

__all__ = ["PARALLEL_FROM", "evaluate_paths"]

PARALLEL_FROM = 200  # below this many files, starting workers costs more than it saves

_WORKER: dict[str, Any] = {}


def _evaluate_files(
    evaluator: Any, files: list[Path], explain: bool
) -> list[ProfileResult | list[Problem]]:
    found: list[ProfileResult | list[Problem]] = []
    for file in files:
        try:
            loaded = load_profile(file)
        except ProfileError as exc:
            found.append(exc.problems)
            continue
        found.append(evaluator.evaluate(loaded.profile, loaded.source, explain))
    return found


def _init_worker(root: str, cwd: str, as_of: str) -> None:
    from endodecide.evaluate import Evaluator

    os.chdir(cwd)  # file names in results and messages are relative to the caller's folder
    day = date.fromisoformat(as_of) if as_of else None
    _WORKER["evaluator"] = Evaluator(load_pack(Path(root), day))


def _work(job: tuple[list[Path], bool]) -> list[ProfileResult | list[Problem]]:
    files, explain = job
    return _evaluate_files(_WORKER["evaluator"], files, explain)


def evaluate_paths(
    pack: RulePack,
    root: Path,
    paths: list[Path],
    explain: bool = False,
    workers: int | None = None,
) -> tuple[list[ProfileResult], list[Problem]]:
    """Results for every good profile under ``paths``, in file order, and every problem found."""
    from endodecide.evaluate import Evaluator

    files, problems = collect_profile_files(paths)
    workers = plan_workers(workers, max(1, len(files) // 50))
    if workers == 1 or len(files) < PARALLEL_FROM:
        outcomes = _evaluate_files(Evaluator(pack), files, explain)
    else:
        size = -(-len(files) // (workers * 4))
        jobs = [(files[i : i + size], explain) for i in range(0, len(files), size)]
        with progress(f"Evaluating {len(files):,} profiles", len(files)) as advance:
            parts = ordered_map(
                _work,
                jobs,
                workers,
                _init_worker,
                (str(root.resolve()), str(Path.cwd()), pack.as_of),
                done=lambda part: advance(len(part)),
            )
        outcomes = [item for part in parts for item in part]
    results = []
    for outcome in outcomes:
        if isinstance(outcome, list):
            problems.extend(outcome)
        else:
            results.append(outcome)
    return results, problems
