"""Random but valid hypothetical profiles, for property tests, isolation tests and benchmarks."""

from __future__ import annotations

import random
from typing import Any

from endodecide.profile import Profile, consistency_problems

__all__ = ["random_profile", "random_profile_data"]

_AI_OR_SERM = ["tamoxifen", "anastrozole", "letrozole", "exemestane"]
_METASTATIC = [
    ["letrozole"],
    ["anastrozole"],
    ["exemestane"],
    ["tamoxifen"],
    ["fulvestrant"],
    ["exemestane", "everolimus"],
    ["anastrozole", "trastuzumab"],
    ["megestrol"],
    ["estradiol"],
]
_THRESHOLD_MONTHS = [0, 1, 5, 6, 7, 11, 12, 13, 23, 24, 25, 36, 60]


def _months(rng: random.Random) -> int:
    return rng.choice(_THRESHOLD_MONTHS) if rng.random() < 0.6 else rng.randint(0, 120)


def random_profile_data(rng: random.Random) -> dict[str, Any]:
    """A profile as plain data; every combination it makes passes validation."""
    sex = "female" if rng.random() < 0.95 else "male"
    setting = rng.choice(["de_novo", "recurrence"])
    data: dict[str, Any] = {
        "label": f"Generated profile {rng.randint(0, 10**9)}",
        "sex": sex,
        "receptors": {
            "er": rng.choice(["positive", "positive", "negative"]),
            "pr": rng.choice(["positive", "negative"]),
            "her2": rng.choice(["positive", "negative", "negative", "unknown"]),
        },
        "disease": {
            "setting": setting,
            "extent": rng.choice(["visceral", "non_visceral", "bone_only"]),
            "visceral_crisis": rng.random() < 0.1,
        },
        "chemotherapy_lines_for_metastatic": rng.choice([0, 0, 0, 1, 2]),
        "biomarkers": {
            "pik3ca": rng.choice(["mutated", "wild_type", "unknown"]),
            "esr1": rng.choice(["mutated", "wild_type", "unknown"]),
        },
    }
    if sex == "female":
        data["menopausal_status"] = rng.choice(["pre", "peri", "post", "post", "post"])
        if data["menopausal_status"] != "post" and rng.random() < 0.3:
            data["ovarian_suppression"] = True
    history: list[dict[str, Any]] = []
    if setting == "recurrence":
        for _ in range(rng.choice([0, 1, 1, 2])):
            history.append(
                {
                    "agents": [rng.choice(_AI_OR_SERM)],
                    "setting": "adjuvant",
                    "months": _months(rng),
                    "ended": "completed",
                }
            )
        if history:
            last = history[-1]
            last["ended"] = rng.choice(["completed", "relapse", "toxicity"])
            if last["ended"] == "completed" or (last["ended"] == "toxicity" and rng.random() < 0.5):
                last["months_from_end_to_relapse"] = _months(rng)
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        agents = list(rng.choice(_METASTATIC))
        line: dict[str, Any] = {
            "agents": agents,
            "setting": "metastatic",
            "months": _months(rng),
            "ended": rng.choice(["progression", "progression", "toxicity"]),
        }
        if "fulvestrant" in agents:
            line["fulvestrant_dose_mg"] = rng.choice([250, 500])
        history.append(line)
    if history:
        data["endocrine_history"] = history
    return data


def random_profile(rng: random.Random) -> Profile:
    profile = Profile.model_validate(random_profile_data(rng))
    problems = consistency_problems(profile)
    if problems:  # a bug in this generator, not in the profile model
        raise AssertionError(f"generated an inconsistent profile: {problems}")
    return profile
