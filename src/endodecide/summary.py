"""A short profile summary in clinical language (descriptive only: no inference here)."""

from __future__ import annotations

from endodecide.facts import describe_value
from endodecide.profile import Profile, TherapyLine

__all__ = ["describe_line", "summarise"]

_ENDINGS = {
    "completed": "completed",
    "relapse": "relapse on therapy",
    "progression": "progression",
    "toxicity": "stopped for toxicity",
}


def describe_line(line: TherapyLine) -> str:
    """``letrozole for metastatic disease, 14 months, progression``."""
    agents = " + ".join(
        f"fulvestrant {line.fulvestrant_dose_mg} mg"
        if agent == "fulvestrant"
        else agent.replace("_", " ")
        for agent in line.agents
    )
    where = "adjuvant" if line.setting == "adjuvant" else "for metastatic disease"
    text = f"{agents} {where}, {line.months} months, {_ENDINGS[line.ended]}"
    if line.months_from_end_to_relapse is not None:
        text += f", relapse {line.months_from_end_to_relapse} months after stopping"
    return text


def summarise(profile: Profile) -> str:
    who = (
        "Man"
        if profile.sex == "male"
        else f"{describe_value(profile.menopausal_status).capitalize()} woman"
    )
    if profile.ovarian_suppression:
        who += " on ovarian function suppression"
    r = profile.receptors
    receptors = f"ER-{r.er}, PR-{r.pr}, HER2-{r.her2}"
    d = profile.disease
    disease = f"{describe_value(d.setting)}, {describe_value(d.extent)} disease"
    if d.visceral_crisis:
        disease += " with visceral crisis"
    if profile.endocrine_history:
        history = "; ".join(
            f"({n}) {describe_line(line)}" for n, line in enumerate(profile.endocrine_history, 1)
        )
    else:
        history = "none"
    parts = [f"{who}; {receptors}; {disease}.", f"Endocrine therapy: {history}."]
    if profile.chemotherapy_lines_for_metastatic:
        parts.append(
            f"Chemotherapy lines for metastatic disease: "
            f"{profile.chemotherapy_lines_for_metastatic}."
        )
    b = profile.biomarkers
    markers = [
        f"{name} {describe_value(value)}"
        for name, value in (
            ("AKT1", b.akt1),
            ("ESR1", b.esr1),
            ("PIK3CA", b.pik3ca),
            ("PTEN", b.pten),
        )
        if value != "unknown"
    ]
    if markers:
        parts.append("Biomarkers: " + ", ".join(markers) + ".")
    return " ".join(parts)
