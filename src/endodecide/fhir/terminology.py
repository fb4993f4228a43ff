"""The standard terminology codes of the FHIR R4 (mCODE-shaped) import and export.

This module owns every LOINC, RxNorm and SNOMED CT code, and every mCODE canonical URL, that
endodecide writes into or reads from a FHIR resource. Nothing here is invented: each code was
seen, with its meaning, in the public source named for its group in ``SOURCES`` (repository and
path, or page address) before it was written down. Where no code could be verified, the value is
left out (``AGENT_CODES``) or set to ``None`` (``MENOPAUSAL_STATUS``), and the callers fall back
to endodecide's own local code systems, which say plainly that they are local.

Teaching tool, not for clinical use: these codes label hypothetical, made-up patients.

Notes a reader needs:
- RxNorm codes are ingredient-level concepts (term type IN), displayed with the RxNorm
  ingredient name. ``ovarian_suppression`` is a class, not one ingredient, so it has no entry in
  ``AGENT_CODES``; two of its members are in ``OVARIAN_SUPPRESSION_AGENTS``.
- ``TERMINATION_REASONS`` holds only codes of the mCODE TreatmentTerminationReasonVS. That value
  set has no "treatment completed" code (the IG's description mentions one, its code list does
  not), so a completed line carries no status reason. ``"progression"`` maps to SNOMED
  266721009 "No response to treatment" and ``"toxicity"`` to 407563006 "Treatment not
  tolerated", the IG's own choices for those situations.
- No LOINC code for menopausal status could be verified, so ``MENOPAUSAL_STATUS`` is ``None``.
  The HL7 ICHOM Breast Cancer IG models it with SNOMED CT instead; those codes are given, as an
  option, in ``ICHOM_MENOPAUSE_FUNCTION`` and ``ICHOM_MENOPAUSAL_STATUS_VALUES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "AGENT_CODES",
    "DISEASE_STATUS",
    "DISEASE_STATUS_VALUES",
    "ER_STATUS",
    "HER2_STATUS",
    "ICHOM_MENOPAUSAL_STATUS_VALUES",
    "ICHOM_MENOPAUSE_FUNCTION",
    "LOINC",
    "MCODE",
    "MCODE_CANCER_DISEASE_STATUS",
    "MCODE_CANCER_PATIENT",
    "MCODE_CONDITION_STATUS_TREND_VS",
    "MCODE_EVIDENCE_TYPE_EXTENSION",
    "MCODE_HISTORY_OF_METASTATIC_CANCER",
    "MCODE_MEDICATION_ADMINISTRATION",
    "MCODE_MEDICATION_REQUEST",
    "MCODE_PRIMARY_CANCER_CONDITION",
    "MCODE_PROCEDURE_INTENT_EXTENSION",
    "MCODE_PROCEDURE_INTENT_VS",
    "MCODE_RELATED_CONDITION_EXTENSION",
    "MCODE_SECONDARY_CANCER_CONDITION",
    "MCODE_TERMINATION_REASON_EXTENSION",
    "MCODE_TERMINATION_REASON_VS",
    "MCODE_TUMOR_MARKER_TEST",
    "MENOPAUSAL_STATUS",
    "NEGATIVE",
    "OVARIAN_SUPPRESSION_AGENTS",
    "POSITIVE",
    "PR_STATUS",
    "RXNORM",
    "SNOMED",
    "SOURCES",
    "TERMINATION_REASONS",
    "Code",
]


@dataclass(frozen=True, slots=True)
class Code:
    """One coding: the code system's URL, the code, and the display text written with it."""

    system: str
    code: str
    display: str


# Code system URLs, as the mCODE IG declares them (input/fsh/AL_CodeSystems.fsh) and as
# input/pagecontent/terminology.md lists them.
LOINC: Final = "http://loinc.org"
RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED: Final = "http://snomed.info/sct"

_MCODE_IG: Final = "HL7/fhir-mCODE-ig 4.0.0 (STU4), commit 543477b5585f2dcc717820a2bea141ea85f03012"
_PHARMGKB: Final = (
    "PharmGKB drug vocabulary (its rxnorm exactMatch mappings), as exported by PyOBO in "
    "biopragmatics/obo-db-ingest export/pharmgkb.drug/pharmgkb.drug.obo "
    "(commit 5613ff7e7e5d40905639a4092d0a4e104929710d)"
)
_TRIALJECTORY: Final = (
    "mcode/clinical-trial-matching-service-trialjectory data/profile-system-codes.json "
    "(the drug's RxNorm group, commit e599c553115fe2bf70434e821aead2e097fa8659)"
)

SOURCES: Final[dict[str, str]] = {
    "code_systems": f"{_MCODE_IG}: input/fsh/AL_CodeSystems.fsh",
    "loinc_tumor_markers": (
        f"{_MCODE_IG}: input/fsh/VS_Genomics.fsh (TumorMarkerTestVS: 85337-4, 85339-0, "
        "48676-1) and input/fsh/EX_ExtendedExample.fsh (ER/PR/HER2 observations answered with "
        "LA6576-8 Positive and LA6577-6 Negative)"
    ),
    "loinc_disease_status": (
        f"{_MCODE_IG}: input/fsh/SD_DiseaseStatus.fsh (code = LNC#97509-4); LOINC long name "
        "'Cancer disease progression' per https://www.healthassure.in/codes/"
        "loinc-97509-4-cancer-disease-progression"
    ),
    "snomed_disease_status": f"{_MCODE_IG}: input/fsh/VS_Other.fsh (ConditionStatusTrendVS)",
    "snomed_termination_reasons": (
        f"{_MCODE_IG}: input/fsh/VS_Other.fsh (TreatmentTerminationReasonVS)"
    ),
    "mcode_urls": (
        f"{_MCODE_IG}: sushi-config.yaml (canonical http://hl7.org/fhir/us/mcode) and the Id "
        "of each profile, extension and value set in input/fsh/SD_*.fsh and VS_Other.fsh"
    ),
    "menopausal_status_snomed": (
        "HL7/fhir-ichom-breast-cancer-ig (commit ab9da993fbee95047e0adf7417bd756d82d33ea1): "
        "input/fsh/Terminology.fsh (MenopausalStatusVS) and 'input/fsh/Profiles clinical "
        "datapoints/BodyMeasures.fsh' (MenopausalStatus profile code); published at "
        "https://hl7.org/fhir/uv/ichom-breast-cancer/STU1/ValueSet-MenopausalStatusVS.html"
    ),
    "rxnorm_tamoxifen": (
        "cpicpgx/cpic-schema drug.sql (RxNorm:10324 tamoxifen); cpicpgx/cpic-data "
        f"src/main/resources/db/migration/V2__initial_data.sql; {_PHARMGKB}; "
        f"CanDIG/katsu chord_metadata_service/mohpackets/data/synth_data_values.py; {_TRIALJECTORY}"
    ),
    "rxnorm_anastrozole": (
        f"{_MCODE_IG}: input/fsh/EX_ExtendedExample.fsh (RXN#84857 'anastrozole'); "
        f"{_PHARMGKB}; {_TRIALJECTORY}"
    ),
    "rxnorm_lapatinib": (
        f"cpicpgx/cpic-schema drug.sql (RxNorm:480167 lapatinib); {_PHARMGKB}; {_TRIALJECTORY}"
    ),
    "rxnorm_temsirolimus": (
        "nmdp-ig/cibmtr-reporting-ig build/input/fsh/terminology/medications/"
        f"med-form2400-gvhd-prophylaxis-valueset.fsh ($RXN#657797 'temsirolimus'); {_PHARMGKB}; "
        f"{_TRIALJECTORY}"
    ),
    "rxnorm_other": (
        f"{_PHARMGKB} (all but abemaciclib and alpelisib); {_TRIALJECTORY} (all but megestrol, "
        "estradiol, vorinostat, elacestrant and leuprolide). Single-source (PharmGKB only): "
        "megestrol, estradiol, vorinostat, elacestrant, leuprolide. abemaciclib and alpelisib: "
        "trialjectory group plus an RxNav-derived ingredient table found in the public code "
        "index without its repository name, which also lists ribociclib, everolimus, gefitinib, "
        "temsirolimus and lapatinib with the codes used here"
    ),
}

# --- LOINC -----------------------------------------------------------------------------------
ER_STATUS: Final = Code(
    LOINC, "85337-4", "Estrogen receptor Ag [Presence] in Breast cancer specimen by Immune stain"
)
PR_STATUS: Final = Code(
    LOINC,
    "85339-0",
    "Progesterone receptor Ag [Presence] in Breast cancer specimen by Immune stain",
)
HER2_STATUS: Final = Code(LOINC, "48676-1", "HER2 [Interpretation] in Tissue")
POSITIVE: Final = Code(LOINC, "LA6576-8", "Positive")
NEGATIVE: Final = Code(LOINC, "LA6577-6", "Negative")
DISEASE_STATUS: Final = Code(LOINC, "97509-4", "Cancer disease progression")

# No LOINC code for menopausal status could be verified (searched LOINC pages and FHIR IGs):
# callers use endodecide's local observation code for it.
MENOPAUSAL_STATUS: Final[Code | None] = None

# --- SNOMED CT: mCODE ConditionStatusTrendVS (the CancerDiseaseStatus value) --------------------
DISEASE_STATUS_VALUES: Final[dict[str, Code]] = {
    "improved": Code(SNOMED, "268910001", "Patient's condition improved (finding)"),
    "stable": Code(SNOMED, "359746009", "Patient's condition stable (finding)"),
    "worsened": Code(SNOMED, "271299001", "Patient's condition worsened (finding)"),
    "undetermined": Code(SNOMED, "709137006", "Patient condition undetermined (finding)"),
}

# --- SNOMED CT: mCODE TreatmentTerminationReasonVS (MedicationRequest.statusReason) -------------
# Every code of the value set, no more; it has no "treatment completed" code.
TERMINATION_REASONS: Final[dict[str, Code]] = {
    "progression": Code(SNOMED, "266721009", "No response to treatment (situation)"),
    "toxicity": Code(SNOMED, "407563006", "Treatment not tolerated (situation)"),
    "financial": Code(SNOMED, "160932005", "Financial problem (finding)"),
    "refused": Code(SNOMED, "105480006", "Refusal of treatment by patient (situation)"),
    "moved_away": Code(SNOMED, "184081006", "Patient has moved away (finding)"),
    "not_available": Code(SNOMED, "309846006", "Treatment not available (situation)"),
    "lost_to_follow_up": Code(SNOMED, "399307001", "Lost to follow-up (finding)"),
    "death": Code(SNOMED, "419620001", "Death (event)"),
    "noncompliance": Code(SNOMED, "7058009", "Noncompliance with treatment (finding)"),
    "trial_completed": Code(SNOMED, "443729008", "Completion of clinical trial (finding)"),
    "pregnancy": Code(SNOMED, "77386006", "Pregnancy (finding)"),
}

# --- SNOMED CT: menopausal status as the HL7 ICHOM Breast Cancer IG models it (an option) -------
# The value set has no perimenopausal code: "peri" stays local whichever way this is used.
ICHOM_MENOPAUSE_FUNCTION: Final = Code(
    SNOMED, "161712005", "Menopause, function (observable entity)"
)
ICHOM_MENOPAUSAL_STATUS_VALUES: Final[dict[str, Code]] = {
    "pre": Code(SNOMED, "309606002", "Before menopause"),
    "post": Code(SNOMED, "307429007", "After menopause"),
}

# --- RxNorm ingredients, keyed by endodecide's agent names (profile.Agent) ----------------------
# Left out, not verifiable (local agent codes are used): ovarian_suppression (a class, see
# OVARIAN_SUPPRESSION_AGENTS), entinostat, capivasertib, inavolisib, camizestrant, imlunestrant.
AGENT_CODES: Final[dict[str, Code]] = {
    "tamoxifen": Code(RXNORM, "10324", "tamoxifen"),
    "toremifene": Code(RXNORM, "38409", "toremifene"),
    "anastrozole": Code(RXNORM, "84857", "anastrozole"),
    "letrozole": Code(RXNORM, "72965", "letrozole"),
    "exemestane": Code(RXNORM, "258494", "exemestane"),
    "fulvestrant": Code(RXNORM, "282357", "fulvestrant"),
    "megestrol": Code(RXNORM, "6703", "megestrol"),
    "estradiol": Code(RXNORM, "4083", "estradiol"),
    "everolimus": Code(RXNORM, "141704", "everolimus"),
    "temsirolimus": Code(RXNORM, "657797", "temsirolimus"),
    "trastuzumab": Code(RXNORM, "224905", "trastuzumab"),
    "lapatinib": Code(RXNORM, "480167", "lapatinib"),
    "palbociclib": Code(RXNORM, "1601374", "palbociclib"),
    "gefitinib": Code(RXNORM, "328134", "gefitinib"),
    "bevacizumab": Code(RXNORM, "253337", "bevacizumab"),
    "vorinostat": Code(RXNORM, "194337", "vorinostat"),
    "ribociclib": Code(RXNORM, "1873916", "ribociclib"),
    "abemaciclib": Code(RXNORM, "1946825", "abemaciclib"),
    "elacestrant": Code(RXNORM, "2628469", "elacestrant"),
    # alpelisib is left out on purpose: its candidate code rests on one citable source, and
    # other files give the same number for other drugs; it is exported with the local code.
}

# Two GnRH agonists used for ovarian suppression (goserelin: PharmGKB and the trialjectory
# group; leuprolide: PharmGKB only). Triptorelin could not be verified.
OVARIAN_SUPPRESSION_AGENTS: Final[dict[str, Code]] = {
    "goserelin": Code(RXNORM, "50610", "goserelin"),
    "leuprolide": Code(RXNORM, "42375", "leuprolide"),
}

# --- mCODE STU4 canonical URLs (canonical base http://hl7.org/fhir/us/mcode) -------------------
_SD: Final = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
_VS: Final = "http://hl7.org/fhir/us/mcode/ValueSet/"

MCODE_CANCER_PATIENT: Final = _SD + "mcode-cancer-patient"
MCODE_PRIMARY_CANCER_CONDITION: Final = _SD + "mcode-primary-cancer-condition"
MCODE_SECONDARY_CANCER_CONDITION: Final = _SD + "mcode-secondary-cancer-condition"
MCODE_HISTORY_OF_METASTATIC_CANCER: Final = _SD + "mcode-history-of-metastatic-cancer"
MCODE_TUMOR_MARKER_TEST: Final = _SD + "mcode-tumor-marker-test"
MCODE_MEDICATION_REQUEST: Final = _SD + "mcode-cancer-related-medication-request"
MCODE_MEDICATION_ADMINISTRATION: Final = _SD + "mcode-cancer-related-medication-administration"
MCODE_CANCER_DISEASE_STATUS: Final = _SD + "mcode-cancer-disease-status"

# Extensions. The medication profiles carry treatment intent as the slice ``treatmentIntent`` of
# the ProcedureIntent extension; the termination-reason extension is retired in STU4 (use
# statusReason) and applies to Procedure, not MedicationRequest.
MCODE_PROCEDURE_INTENT_EXTENSION: Final = _SD + "mcode-procedure-intent"
MCODE_TERMINATION_REASON_EXTENSION: Final = _SD + "mcode-treatment-termination-reason"
MCODE_EVIDENCE_TYPE_EXTENSION: Final = _SD + "mcode-cancer-disease-status-evidence-type"
MCODE_RELATED_CONDITION_EXTENSION: Final = _SD + "mcode-related-condition"

MCODE_CONDITION_STATUS_TREND_VS: Final = _VS + "mcode-condition-status-trend-vs"
MCODE_TERMINATION_REASON_VS: Final = _VS + "mcode-treatment-termination-reason-vs"
MCODE_PROCEDURE_INTENT_VS: Final = _VS + "mcode-procedure-intent-vs"

MCODE: Final[dict[str, str]] = {
    "patient": MCODE_CANCER_PATIENT,
    "primary_cancer_condition": MCODE_PRIMARY_CANCER_CONDITION,
    "secondary_cancer_condition": MCODE_SECONDARY_CANCER_CONDITION,
    "history_of_metastatic_cancer": MCODE_HISTORY_OF_METASTATIC_CANCER,
    "tumor_marker_test": MCODE_TUMOR_MARKER_TEST,
    "medication_request": MCODE_MEDICATION_REQUEST,
    "medication_administration": MCODE_MEDICATION_ADMINISTRATION,
    "cancer_disease_status": MCODE_CANCER_DISEASE_STATUS,
}
