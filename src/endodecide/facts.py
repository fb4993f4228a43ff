"""The fact vocabulary rules may name, and the translation of a profile into engine facts.

Three sources of facts:
- profile facts, one wide ``patient`` fact per profile;
- line facts, one ``line`` fact per line of endocrine therapy (named ``line.<field>`` in rules);
- derived facts, concluded by the rule pack's own derive rules (never computed in Python).
The vocabulary says which facts exist, their type, allowed values and plain-language labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from endodecide.profile import AGENT_NAMES, Profile

__all__ = [
    "DRUG_CLASSES",
    "OPTION_AGENTS",
    "VALUE_LABELS",
    "VOCABULARY",
    "FactSpec",
    "describe_value",
    "line_facts",
    "patient_fact",
]

Source = Literal["patient", "line", "derived"]
Kind = Literal["enum", "bool", "number", "list"]

DRUG_CLASSES = (
    "serm",
    "nsai",
    "sai",
    "fulvestrant",
    "mtor_combination",
    "her2_combination",
    "ovarian_suppression",
    "megestrol",
    "estradiol",
    "cdk4_6_inhibitor",
    "pi3k_akt_inhibitor",
    "oral_serd",
)

# What an option may name as its agents: every profile agent, plus the classes and trial-only
# agents some options are about. An option's agents are its identity when lint and coverage
# look for two rules proposing the same thing.
OPTION_AGENTS = (
    *AGENT_NAMES,
    "aromatase_inhibitor",
    "pi3k_or_akt_inhibitor",
    "src_inhibitor",
    "ganitumab",
    "cdk4_6_inhibitor",
    "trastuzumab_deruxtecan",
    "sacituzumab_govitecan",
)

VALUE_LABELS: dict[str, str] = {
    "serm": "a SERM (tamoxifen or toremifene)",
    "nsai": "a non-steroidal aromatase inhibitor (anastrozole or letrozole)",
    "sai": "a steroidal aromatase inhibitor (exemestane)",
    "fulvestrant": "fulvestrant",
    "mtor_combination": "an mTOR-inhibitor combination",
    "her2_combination": "an anti-HER2 combination",
    "ovarian_suppression": "ovarian function suppression",
    "megestrol": "megestrol",
    "estradiol": "estradiol",
    "cdk4_6_inhibitor": "a CDK4/6 inhibitor (palbociclib, ribociclib or abemaciclib)",
    "pi3k_akt_inhibitor": "a PI3K or AKT inhibitor (alpelisib, capivasertib or inavolisib)",
    "oral_serd": "an oral oestrogen-receptor degrader (elacestrant, camizestrant or imlunestrant)",
    "ultralow": "HER2-ultralow",
    "low": "HER2-low",
    "zero": "HER2 0 (no staining)",
    "pre": "premenopausal",
    "peri": "perimenopausal",
    "post": "postmenopausal",
    "de_novo": "de novo metastatic",
    "recurrence": "recurrence after early disease",
    "non_visceral": "non-visceral",
    "bone_only": "bone-only",
    "wild_type": "wild-type",
    "not_resistant": "not endocrine resistant",
    "not_applicable": "not applicable",
    "third_or_later": "third or later",
    "unclassified": "not classified by ABC2",
    "postmenopausal": "postmenopausal",
    "suppressed": "suppressed (before menopause, on ovarian function suppression)",
    "active": "active (before menopause, no ovarian function suppression)",
    "primary": "primary",
    "secondary": "secondary",
    "sensitive": "endocrine sensitive",
}


@dataclass(frozen=True)
class FactSpec:
    """One fact a rule may name."""

    name: str
    source: Source
    kind: Kind
    label: str
    values: tuple[str, ...] = ()
    unit: str = ""
    multi: bool = False
    optional: bool = False
    description: str = ""

    @property
    def field(self) -> str:
        """The field name inside the engine fact (``line.months`` → ``months``)."""
        return self.name.removeprefix("line.")


def _enum(name: str, source: Source, label: str, values: tuple[str, ...], **kw: Any) -> FactSpec:
    return FactSpec(name, source, "enum", label, values, **kw)


_MARKER = ("mutated", "wild_type", "unknown")
_RECEPTOR = ("positive", "negative")

_SPECS = (
    # -- the profile ----------------------------------------------------------------------
    _enum("sex", "patient", "sex", ("female", "male")),
    _enum(
        "menopausal_status",
        "patient",
        "menopausal status",
        ("pre", "peri", "post"),
        optional=True,
        description="Absent for men.",
    ),
    FactSpec("ovarian_suppression", "patient", "bool", "currently on ovarian function suppression"),
    _enum("er", "patient", "oestrogen-receptor status", _RECEPTOR),
    _enum("pr", "patient", "progesterone-receptor status", _RECEPTOR),
    _enum("her2", "patient", "HER2 status", ("positive", "negative", "unknown")),
    _enum("disease_setting", "patient", "disease setting", ("de_novo", "recurrence")),
    _enum(
        "disease_extent", "patient", "extent of disease", ("visceral", "non_visceral", "bone_only")
    ),
    FactSpec("visceral_crisis", "patient", "bool", "visceral crisis"),
    FactSpec(
        "chemotherapy_lines", "patient", "number", "lines of chemotherapy for metastatic disease"
    ),
    FactSpec(
        "adjuvant_endocrine_lines", "patient", "number", "lines of adjuvant endocrine therapy"
    ),
    FactSpec(
        "metastatic_endocrine_lines",
        "patient",
        "number",
        "lines of endocrine therapy for metastatic disease",
    ),
    _enum("pik3ca", "patient", "PIK3CA mutation status", _MARKER),
    _enum("esr1", "patient", "ESR1 mutation status", _MARKER),
    _enum("akt1", "patient", "AKT1 mutation status", _MARKER),
    _enum("pten", "patient", "PTEN mutation status", _MARKER),
    _enum(
        "her2_low",
        "patient",
        "HER2 expression of HER2-negative disease",
        ("unknown", "zero", "ultralow", "low"),
    ),
    # -- each line of endocrine therapy ----------------------------------------------------
    _enum("line.setting", "line", "setting of the line", ("adjuvant", "metastatic")),
    FactSpec("line.agents", "line", "list", "agents of the line", AGENT_NAMES),
    FactSpec("line.months", "line", "number", "months on the line", unit="months"),
    _enum(
        "line.ended",
        "line",
        "how the line ended",
        ("completed", "relapse", "progression", "toxicity"),
    ),
    FactSpec(
        "line.months_from_end_to_relapse",
        "line",
        "number",
        "months from the end of adjuvant therapy to relapse",
        unit="months",
        optional=True,
    ),
    FactSpec(
        "line.adjuvant_months_total",
        "line",
        "number",
        "months of adjuvant endocrine therapy up to the end of this line",
        unit="months",
        optional=True,
        description="Adjuvant lines only: this line plus earlier adjuvant lines.",
    ),
    FactSpec(
        "line.metastatic_line_number",
        "line",
        "number",
        "number of the metastatic line (1 = first line)",
        optional=True,
        description=(
            "Metastatic lines only. An agent switched for toxicity keeps the line's number: the "
            "line after one that ended by toxicity continues it."
        ),
    ),
    FactSpec(
        "line.months_in_metastatic_line",
        "line",
        "number",
        "months on this metastatic line so far, agents switched for toxicity included",
        unit="months",
        optional=True,
        description="Metastatic lines only: this entry plus earlier entries of the same line.",
    ),
    FactSpec(
        "line.last_adjuvant",
        "line",
        "bool",
        "the last line of adjuvant therapy",
        optional=True,
        description="Adjuvant lines only: true for the line after which the disease recurred.",
    ),
    FactSpec(
        "line.fulvestrant_dose_mg", "line", "number", "fulvestrant dose", unit="mg", optional=True
    ),
    # -- derived by the rule pack ----------------------------------------------------------
    _enum("hormone_receptor", "derived", "hormone-receptor status", _RECEPTOR),
    _enum(
        "resistance_signal",
        "derived",
        "endocrine-resistance findings (ABC2)",
        ("primary", "secondary", "sensitive", "unclassified"),
        multi=True,
        description="One finding per line of therapy that meets an ABC2 criterion.",
    ),
    _enum(
        "endocrine_resistance",
        "derived",
        "endocrine resistance (ESO-ESMO ABC2)",
        ("primary", "secondary", "not_resistant", "unclassified", "not_applicable"),
    ),
    _enum(
        "ovarian_function",
        "derived",
        "ovarian function, for endocrine choices",
        ("postmenopausal", "suppressed", "active"),
    ),
    _enum("progressed_on", "derived", "progressed on or relapsed after", DRUG_CLASSES, multi=True),
    _enum(
        "treatment_line",
        "derived",
        "line of endocrine therapy now to be chosen",
        ("first", "second", "third_or_later"),
    ),
)

VOCABULARY: dict[str, FactSpec] = {spec.name: spec for spec in _SPECS}


def describe_value(value: object) -> str:
    """A value in plain words: ``nsai`` → ``a non-steroidal aromatase inhibitor (...)``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " + ".join(describe_value(v) for v in value)
    text = str(value)
    return VALUE_LABELS.get(text, text.replace("_", " "))


def patient_fact(profile: Profile) -> dict[str, Any]:
    """The one wide patient fact: flat, typed, with every field present except optional ones."""
    history = profile.endocrine_history
    fact: dict[str, Any] = {
        "kind": "patient",
        "sex": profile.sex,
        "ovarian_suppression": profile.ovarian_suppression,
        "er": profile.receptors.er,
        "pr": profile.receptors.pr,
        "her2": profile.receptors.her2,
        "disease_setting": profile.disease.setting,
        "disease_extent": profile.disease.extent,
        "visceral_crisis": profile.disease.visceral_crisis,
        "chemotherapy_lines": profile.chemotherapy_lines_for_metastatic,
        "adjuvant_endocrine_lines": sum(line.setting == "adjuvant" for line in history),
        "metastatic_endocrine_lines": _metastatic_lines_before_now(profile),
        "pik3ca": profile.biomarkers.pik3ca,
        "esr1": profile.biomarkers.esr1,
        "akt1": profile.biomarkers.akt1,
        "pten": profile.biomarkers.pten,
        "her2_low": profile.biomarkers.her2_low,
    }
    if profile.menopausal_status is not None:
        fact["menopausal_status"] = profile.menopausal_status
    return fact


def _metastatic_lines_before_now(profile: Profile) -> int:
    """Metastatic lines already given before the one now to be chosen. An entry that ended by
    toxicity does not end its line: the next agent continues the same line, and when the last
    entry ended by toxicity the line now to be chosen is that same line."""
    history = profile.endocrine_history
    return sum(line.setting == "metastatic" and line.ended != "toxicity" for line in history)


def line_facts(profile: Profile) -> list[dict[str, Any]]:
    """One fact per line, with the running totals rules need (no clinical judgement here)."""
    facts = []
    adjuvant_total = 0
    metastatic_number = 0
    months_in_line = 0
    continues_line = False  # the previous metastatic entry ended by toxicity
    history = profile.endocrine_history
    last_adjuvant = max(
        (i for i, line in enumerate(history) if line.setting == "adjuvant"), default=-1
    )
    for index, line in enumerate(history):
        fact: dict[str, Any] = {
            "kind": "line",
            "index": index,
            "setting": line.setting,
            "agents": list(line.agents),
            "months": line.months,
            "ended": line.ended,
        }
        if line.setting == "adjuvant":
            adjuvant_total += line.months
            fact["adjuvant_months_total"] = adjuvant_total
            fact["last_adjuvant"] = index == last_adjuvant
        else:
            if not continues_line:
                metastatic_number += 1
                months_in_line = 0
            months_in_line += line.months
            continues_line = line.ended == "toxicity"
            fact["metastatic_line_number"] = metastatic_number
            fact["months_in_metastatic_line"] = months_in_line
        if line.months_from_end_to_relapse is not None:
            fact["months_from_end_to_relapse"] = line.months_from_end_to_relapse
        if line.fulvestrant_dose_mg is not None:
            fact["fulvestrant_dose_mg"] = line.fulvestrant_dose_mg
        facts.append(fact)
    return facts
