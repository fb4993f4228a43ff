"""What the two server benchmarks (workshop_load.py, cds_latency.py) measure and print alike:
latency percentiles, a process's CPU time, the machine, and the table of results."""

from __future__ import annotations

import os
import platform
import statistics
from pathlib import Path
from typing import Any

from endodecide.disclaimer import DISCLAIMER

__all__ = ["cpu_seconds", "machine", "ms", "percentiles", "print_table"]


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) used so far by process ``pid``; None where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def percentiles(latencies: list[float]) -> dict[str, float]:
    """p50 / p95 / p99 / max / mean in milliseconds of latencies in seconds (zeros if none)."""
    ordered = sorted(latencies)
    if not ordered:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0, "mean": 0.0}
    cuts = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else []
    p50, p95, p99 = (cuts[49], cuts[94], cuts[98]) if cuts else (ordered[0],) * 3
    return {
        "p50": ms(p50),
        "p95": ms(p95),
        "p99": ms(p99),
        "max": ms(ordered[-1]),
        "mean": ms(statistics.fmean(ordered)),
    }


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }


def print_table(heading: str, rows: list[tuple[str, str, str]]) -> None:
    """The heading, then label / value / note in aligned columns, then the disclaimer."""
    print(heading)
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    for label, value, note in rows:
        print(f"{label:<{width}}  {value:<{value_width}}  {note}".rstrip())
    print(DISCLAIMER)
