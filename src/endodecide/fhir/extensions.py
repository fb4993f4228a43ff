"""The local FHIR extensions, code systems and conventions endodecide uses where mCODE has no
element or no verified code: one place for every URL under ``https://endodecide.example/fhir/``,
the test-data security label, the synthetic calendar, and the catalogue of gaps the report shows.

Standard codes (LOINC, RxNorm, SNOMED CT) live in ``endodecide.fhir.terminology``; nothing here
is a standard code except the HL7 test-data label, verified below.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

__all__ = [
    "ANCHOR",
    "BASE",
    "CS_AGENT",
    "CS_HER2_LOW",
    "CS_MARKER_STATUS",
    "CS_MENOPAUSAL_STATUS",
    "CS_OBSERVATION",
    "EXT_CHEMOTHERAPY_LINES",
    "EXT_LINE_OF_THERAPY",
    "EXT_MENOPAUSAL_STATUS",
    "EXT_METASTATIC_EXTENT",
    "EXT_PROFILE_LABEL",
    "EXT_TEACHING_NOTE",
    "EXT_TREATMENT_SETTING",
    "EXT_VISCERAL_CRISIS",
    "GAPS",
    "LINE_SYSTEM",
    "MARKERS",
    "OBS_HER2_LOW",
    "OBS_MENOPAUSAL_STATUS",
    "PRIMARY_LEAD_MONTHS",
    "RECURRENCE_LEAD_MONTHS",
    "TEST_DATA_CODE",
    "TEST_DATA_DISPLAY",
    "TEST_DATA_SYSTEM",
    "UCUM",
    "GapText",
    "add_months",
    "months_between",
]

BASE = "https://endodecide.example/fhir"
_SD = f"{BASE}/StructureDefinition"
_CS = f"{BASE}/CodeSystem"

# Extensions (each on the resource named beside it).
EXT_PROFILE_LABEL = f"{_SD}/profile-label"  # Patient: valueString, the profile's label
EXT_TEACHING_NOTE = f"{_SD}/teaching-note"  # Patient: valueString, the teaching note
EXT_MENOPAUSAL_STATUS = f"{_SD}/menopausal-status"  # Patient: valueCode pre | peri | post
EXT_CHEMOTHERAPY_LINES = f"{_SD}/chemotherapy-lines-for-metastatic"  # Patient: valueInteger
EXT_METASTATIC_EXTENT = f"{_SD}/metastatic-extent"  # SecondaryCancerCondition: valueCode
EXT_VISCERAL_CRISIS = f"{_SD}/visceral-crisis"  # SecondaryCancerCondition: valueBoolean
EXT_LINE_OF_THERAPY = f"{_SD}/line-of-therapy"  # MedicationRequest: valueInteger, 1-based
EXT_TREATMENT_SETTING = f"{_SD}/treatment-setting"  # MedicationRequest: adjuvant | metastatic
LINE_SYSTEM = f"{BASE}/line"  # MedicationRequest.groupIdentifier.system: one value per line

# Local code systems.
CS_AGENT = f"{_CS}/agent"  # the profile's agent names, for agents with no verified RxNorm code
CS_OBSERVATION = f"{_CS}/observation"  # what a local Observation measures
CS_MENOPAUSAL_STATUS = f"{_CS}/menopausal-status"  # pre | peri | post
CS_MARKER_STATUS = f"{_CS}/marker-status"  # mutated | wild_type
CS_HER2_LOW = f"{_CS}/her2-low"  # zero | ultralow | low
OBS_MENOPAUSAL_STATUS = "menopausal-status"  # a code of CS_OBSERVATION
OBS_HER2_LOW = "her2-low"  # a code of CS_OBSERVATION
MARKERS = ("pik3ca", "esr1", "akt1", "pten")  # codes of CS_OBSERVATION, as the profile names them

UCUM = "http://unitsofmeasure.org"

# The security label of test data: HL7 v3 ActReason HTEST "test health data". Verified in the
# HL7 Terminology (THO) code system http://terminology.hl7.org/CodeSystem/v3-ActReason, and as
# IHE publishes it on its examples' meta.security (IHE/publications, ITI/MHD/4.2.3/
# Device-ex-device.md: system http://terminology.hl7.org/CodeSystem/v3-ActReason, code HTEST,
# "test health data").
TEST_DATA_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
TEST_DATA_CODE = "HTEST"
TEST_DATA_DISPLAY = "test health data"

# The synthetic calendar of exported bundles: "today" of every hypothetical case is the review's
# evidence date; the last line ends there and the history is laid out backwards in whole months.
ANCHOR = date(2014, 12, 10)
PRIMARY_LEAD_MONTHS = 1  # primary diagnosis, then the first adjuvant line a month later
RECURRENCE_LEAD_MONTHS = 12  # primary diagnosis before a relapse with no adjuvant endocrine line


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months (same day of month, or the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def months_between(start: date, end: date) -> tuple[int, int]:
    """Completed calendar months from ``start`` to ``end`` and the days left over (``end`` not
    before ``start``)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months, (end - add_months(start, months)).days


@dataclass(frozen=True)
class GapText:
    """One thing the rules need that mCODE cannot carry: the profile field, what the standard
    offers, and the local extension or assumption endodecide uses instead."""

    field: str
    standard: str
    used: str


GAPS: tuple[GapText, ...] = (
    GapText(
        "label, teaching_note",
        "A teaching case's title and note are not patient data; FHIR has no element for them.",
        f"Patient extensions `{EXT_PROFILE_LABEL}` and `{EXT_TEACHING_NOTE}` (valueString); "
        "without a label the profile is named after the file.",
    ),
    GapText(
        "sex",
        "Patient.gender is administrative gender; mCODE does not record the sex trials "
        "enrolled by.",
        "Patient.gender `female` or `male` is read as the profile's sex; other values are refused.",
    ),
    GapText(
        "menopausal_status",
        "Not in mCODE; no LOINC code could be verified.",
        f"An Observation coded `{CS_OBSERVATION}#{OBS_MENOPAUSAL_STATUS}` valued in "
        f"`{CS_MENOPAUSAL_STATUS}` (pre, peri, post), or the Patient extension "
        f"`{EXT_MENOPAUSAL_STATUS}`. Import also reads the SNOMED CT coding of the HL7 ICHOM "
        "Breast Cancer IG (161712005 'Menopause, function', before or after menopause; it has "
        "no perimenopausal code). When absent the field is left out.",
    ),
    GapText(
        "ovarian_suppression",
        "mCODE records medications drug by drug; ovarian function suppression is a class of "
        "treatment (goserelin, leuprorelin, oophorectomy), and being on it now is a status.",
        "An active MedicationRequest (or in-progress MedicationAdministration) coded "
        f"`{CS_AGENT}#ovarian_suppression`; import also reads the GnRH agonists goserelin and "
        "leuprolide (RxNorm) as ovarian suppression.",
    ),
    GapText(
        "receptors",
        "TumorMarkerTest Observations (LOINC, Positive / Negative) carry ER, PR and HER2; "
        "percentages, Allred scores and ER-low need further codes.",
        "The latest Observation of each; no HER2 Observation, or one with a dataAbsentReason, "
        "reads as HER2 unknown.",
    ),
    GapText(
        "biomarkers.her2_low",
        "HER2-low needs the IHC score (0, 1+, 2+ with a negative ISH); mCODE's HER2 test is "
        "positive or negative.",
        f"An Observation coded `{CS_OBSERVATION}#{OBS_HER2_LOW}` valued in `{CS_HER2_LOW}` "
        "(zero, ultralow, low); absent = unknown.",
    ),
    GapText(
        "biomarkers.pik3ca, esr1, akt1, pten",
        "mCODE's GenomicVariant (Genomics Reporting IG) reports variants (HGVS); the rules read "
        "a summary status, a judgement on those variants.",
        f"Observations coded `{CS_OBSERVATION}#pik3ca` (esr1, akt1, pten) valued in "
        f"`{CS_MARKER_STATUS}` (mutated, wild_type); absent = unknown.",
    ),
    GapText(
        "disease.setting",
        "mCODE dates the primary and the secondary cancer conditions; 'de novo' is not an element.",
        "Derived: a metastatic diagnosis less than one whole month after the primary "
        "diagnosis is de novo, a later one a recurrence.",
    ),
    GapText(
        "disease.extent",
        "SecondaryCancerCondition.bodySite names sites; the grouping visceral / non-visceral / "
        "bone only is a clinical reading mCODE does not make.",
        f"Extension `{EXT_METASTATIC_EXTENT}` (valueCode) on the SecondaryCancerCondition; "
        "required.",
    ),
    GapText(
        "disease.visceral_crisis",
        "Not modelled in mCODE (a judgement of organ dysfunction, not a site).",
        f"Extension `{EXT_VISCERAL_CRISIS}` (valueBoolean) on the SecondaryCancerCondition; "
        "absent = false.",
    ),
    GapText(
        "endocrine_history (lines)",
        "mCODE has no line of therapy: each drug is its own request.",
        f"groupIdentifier (system `{LINE_SYSTEM}`) gathers the agents of one line and the "
        f"extension `{EXT_LINE_OF_THERAPY}` (valueInteger) gives its place in the history (a "
        "switch for side effects is its own entry); without them, requests with the same "
        "period form one line, in date order.",
    ),
    GapText(
        "endocrine_history[].setting",
        "mCODE's treatment intent is curative or palliative; it leaves 'adjuvant' out on "
        "purpose ('relates to timing, not intent', ProcedureIntentVS).",
        f"Extension `{EXT_TREATMENT_SETTING}` (valueCode adjuvant or metastatic); without it, "
        "derived from the dates: a line starting before the metastatic diagnosis is adjuvant. "
        "mCODE's treatment-intent extension is not read.",
    ),
    GapText(
        "endocrine_history[].months",
        "Periods are dates; profiles count whole months, never dates.",
        "Completed calendar months of the period (MedicationRequest "
        "dosageInstruction[0].timing.repeat.boundsPeriod, MedicationAdministration "
        "effectivePeriod); days left over are not counted. Dates written by `endodecide fhir "
        f"export` are synthetic: {ANCHOR.isoformat()} (the review's evidence date) is 'today', "
        "the last line ends then and the history is laid out backwards in whole months.",
    ),
    GapText(
        "endocrine_history[].ended",
        "statusReason from mCODE's treatment-termination reasons (no response, not "
        "tolerated); a CancerDiseaseStatus has no element naming the therapy it judges.",
        "progression (relapse on an adjuvant line): the 'no response' reason, or a 'worsened' "
        "disease status dated at the line's end or pointing to it by basedOn; toxicity: 'not "
        "tolerated'; completed: status completed with no reason.",
    ),
    GapText(
        "endocrine_history[].months_from_end_to_relapse",
        "Not an element: time to relapse is a difference of dates.",
        "Completed months from the end of the last adjuvant line to the metastatic diagnosis.",
    ),
    GapText(
        "chemotherapy_lines_for_metastatic",
        "mCODE records each chemotherapy drug, not how many lines were given for metastatic "
        "disease.",
        f"Patient extension `{EXT_CHEMOTHERAPY_LINES}` (valueInteger); absent = 0, an assumption.",
    ),
)
