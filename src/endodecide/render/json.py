"""The JSON layout of ``endodecide run --format json``: the versioned RunOutput document."""

from __future__ import annotations

from endodecide.errors import Problem
from endodecide.result import PackInfo, ProblemOut, ProfileResult, RunOutput

__all__ = ["render_run_json"]


def render_run_json(pack: PackInfo, results: list[ProfileResult], problems: list[Problem]) -> str:
    """The run as one JSON document (see ``endodecide schema result``), indented, with a final
    newline: the disclaimer, the rule pack, every result, and every problem found."""
    document = RunOutput(
        disclaimer=pack.disclaimer,
        rule_pack=pack,
        results=results,
        errors=[ProblemOut(**p.to_dict()) for p in problems],
    )
    return document.model_dump_json(indent=2) + "\n"
