"""FHIR in and out: hand-written hypothetical mCODE bundles import to the expected profiles with
provenance and gaps, bad bundles give exact error lines, every teaching profile round-trips
through export and import, and the CLI's 'fhir import' and 'fhir export'."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from ruamel.yaml import YAML

from endodecide.disclaimer import DISCLAIMER
from endodecide.errors import InputError
from endodecide.fhir.export import bundle_json, export_bundle
from endodecide.fhir.extensions import GAPS, add_months, months_between
from endodecide.fhir.importer import import_bundle, is_test_data, profile_from_resources
from endodecide.fhir.report import render_profile_yaml, render_provenance
from endodecide.profile import Profile, load_profile
from tests.conftest import PROFILES, ROOT, cli
from tests.goldens import FHIR_GOLDEN_DIR, FHIR_GOLDENS, fhir_golden_path, render_fhir_golden

BUNDLES = ROOT / "tests" / "fhir"
COMPLETE = "postmenopausal-adjuvant-ai-then-progression"
VALID = (
    COMPLETE,
    "missing-menopausal-status",
    "premenopausal-ovarian-suppression",
    "not-test-data",
)
TEACHING = sorted(p for p in PROFILES.iterdir() if p.suffix in {".yaml", ".json"})
HTEST = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HTEST"}
UNKNOWN_RXNORM = (
    "tests/fhir/unknown-rxnorm.json:59: entry[4] MedicationRequest/line-2 "
    "medicationCodeableConcept: E203 RxNorm code 999999 is not an agent endodecide knows "
    "(known: 1946825 abemaciclib, 84857 anastrozole, 253337 bevacizumab, 2628469 elacestrant, "
    "4083 estradiol, 141704 everolimus, 258494 exemestane, 282357 fulvestrant, 328134 "
    "gefitinib, 50610 goserelin (ovarian suppression), 480167 lapatinib, 72965 letrozole, "
    "42375 leuprolide (ovarian suppression), 6703 megestrol, 1601374 palbociclib, 1873916 "
    "ribociclib, 10324 tamoxifen, 657797 temsirolimus, 38409 toremifene, 224905 trastuzumab, "
    "194337 vorinostat); an agent with no verified RxNorm code is coded in "
    "https://endodecide.example/fhir/CodeSystem/agent"
)
OVERLAP = (
    "tests/fhir/overlapping-periods.json:85: entry[6] MedicationRequest/mr-ana-5005 "
    "dosageInstruction[0].timing.repeat.boundsPeriod: E210 2013-12-01 to 2014-12-01 overlaps "
    "entry[5] MedicationRequest/mr-let-5005 (2013-01-10 to 2014-02-10): lines of therapy follow "
    "one another; agents given together belong to one line (the same period and "
    "groupIdentifier)"
)


def _bundle(stem: str) -> Path:
    return (BUNDLES / f"{stem}.json").relative_to(ROOT)


def _expected(stem: str) -> Profile:
    data = YAML(typ="safe", pure=True).load(BUNDLES / f"{stem}.expected.yaml")
    return Profile.model_validate(data)


def _errors(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        import_bundle(path)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize("stem", VALID)
def test_hand_written_bundle_imports_to_its_expected_profile(stem: str) -> None:
    """Each hand-written bundle gives the profile written next to it."""
    assert import_bundle(_bundle(stem)).profile == _expected(stem)


def test_complete_bundle_says_where_every_field_came_from() -> None:
    """Every field of the complete bundle's profile has a provenance row naming its resource,
    or the assumption made; the dates give whole months and the setting."""
    result = import_bundle(_bundle(COMPLETE))
    rows = {row.field: row for row in result.provenance}
    assert rows["receptors.er"].source == "entry[4] Observation/er-2013"
    assert rows["receptors.er"].note == "LOINC 85337-4; the latest of 2"
    assert rows["endocrine_history[1].fulvestrant_dose_mg"].element == (
        "dosageInstruction[0].doseAndRate[0].doseQuantity"
    )
    assert rows["endocrine_history[0].setting"].note.startswith("derived: starts 2008-03-20")
    assert rows["chemotherapy_lines_for_metastatic"].note == "no extension: 0 assumed"
    assert result.test_data
    assert result.not_read == [
        "entry[10] Observation/ds-2014-03: disease status improved; only 'worsened' ends a line"
    ]


def test_every_gap_is_reported_once() -> None:
    """The report lists every field mCODE cannot carry, with what this import found."""
    gaps = import_bundle(_bundle(COMPLETE)).gaps
    assert [gap.field for gap in gaps] == [gap.field for gap in GAPS]
    assert all(gap.here for gap in gaps)


def test_missing_menopausal_status_is_a_gap_not_an_error() -> None:
    """A woman's absent menopausal status leaves the field out and says so; the YAML points it
    out where the field would be."""
    result = import_bundle(_bundle("missing-menopausal-status"))
    assert result.profile.menopausal_status is None
    gap = next(g for g in result.gaps if g.field == "menopausal_status")
    assert gap.here == "absent: left out of the profile"
    assert "# menopausal_status: absent from the FHIR data" in render_profile_yaml(result.profile)


def test_unknown_rxnorm_code_is_an_error_naming_file_entry_and_element() -> None:
    """An RxNorm code endodecide does not know: the file, entry, resource, element and the
    codes it knows."""
    assert _errors(_bundle("unknown-rxnorm")) == [UNKNOWN_RXNORM]


def test_overlapping_lines_are_an_error_naming_both_resources() -> None:
    """Two lines whose periods overlap: one error naming both requests and both periods."""
    assert _errors(_bundle("overlapping-periods")) == [OVERLAP]


def test_test_data_label_is_read() -> None:
    """is_test_data reads Patient.meta.security HTEST, from a dict or a model, and never fails
    on a malformed Patient."""
    assert not import_bundle(_bundle("not-test-data")).test_data
    assert is_test_data({"resourceType": "Patient", "meta": {"security": [HTEST]}})
    assert not is_test_data({"resourceType": "Patient"})
    assert not is_test_data({"resourceType": "Patient", "meta": {"security": "HTEST"}})
    assert not is_test_data({"meta": {"security": [{"code": "HTEST"}, 3]}})
    patient = Bundle.model_validate(json.loads(bundle_json(_expected(COMPLETE)))).entry[0]
    assert is_test_data(patient.resource)


def test_flat_resources_give_the_same_profile() -> None:
    """profile_from_resources (a CDS Hooks prefetch) reads the same resources the same way."""
    data = json.loads((BUNDLES / f"{COMPLETE}.json").read_text(encoding="utf-8"))
    result = profile_from_resources([e["resource"] for e in data["entry"]], "the prefetch")
    expected = _expected(COMPLETE).model_copy(update={"label": "Imported from the prefetch"})
    assert result.profile == expected
    assert result.source == "the prefetch"


def _seeded(tmp_path: Path, edit: Any) -> list[tuple[str, str, str]]:
    """Errors of the complete bundle after ``edit``: (field, code, message), line checked."""
    data = json.loads((BUNDLES / f"{COMPLETE}.json").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_bundle(path)
    return [(p.field, p.code, p.message) for p in caught.value.problems]


def _set(*path: Any) -> Any:
    """An edit setting the element at ``path[:-1]`` to ``path[-1]`` (a deletion for ...)."""

    def edit(data: Any) -> None:
        *keys, last, value = path
        for key in keys:
            data = data[key]
        if value is ...:
            del data[last]
        else:
            data[last] = value

    return edit


MR = ("entry", 9, "resource")
SEEDED = [
    (
        "not a bundle",
        _set("resourceType", "Patient"),
        [("", "E200", "not a FHIR Bundle: resourceType is 'Patient'; expected 'Bundle'")],
    ),
    (
        "fhir.resources validation, one line per problem",
        lambda d: (
            _set("entry", 1, "resource", "foo", 1)(d),
            _set("entry", 4, "resource", "effectiveDateTime", "2013-13-12")(d),
        ),
        [
            ("entry[1] Condition/pc-1001 foo", "E201", "unknown element 'foo' in FHIR R4"),
            (
                "entry[4] Observation/er-2013 effectiveDateTime",
                "E204",
                "DateTime value string does not match spec regex, got '2013-13-12'",
            ),
        ],
    ),
    (
        "no ER observation",
        lambda d: (_set("entry", 4, ...)(d), _set("entry", 3, ...)(d)),
        [("", "E202", "no ER status Observation (LOINC 85337-4): required")],
    ),
    (
        "a resource type FHIR R4 does not have",
        _set("entry", 3, "resource", "resourceType", "Nonsense"),
        [("entry[3]", "E203", "resourceType 'Nonsense' is not a FHIR R4 resource")],
    ),
    (
        "toxicity and progression on one line",
        _set(*MR, "statusReason", "coding", 0, "code", "407563006"),
        [
            (
                "entry[9] MedicationRequest/mr-ful statusReason",
                "E210",
                "ended by toxicity (statusReason) and by progression (entry[11] "
                "Observation/ds-2014-09); a line ends one way",
            )
        ],
    ),
    (
        "a fulvestrant dose the rules do not know",
        _set(*MR, "dosageInstruction", 0, "doseAndRate", 0, "doseQuantity", "value", 300),
        [
            (
                "entry[9] MedicationRequest/mr-ful dosageInstruction[0].doseAndRate[0]."
                "doseQuantity",
                "E203",
                "a fulvestrant dose of 300 mg is not allowed; allowed: 250 mg or 500 mg",
            )
        ],
    ),
    (
        "a partial date",
        _set(*MR, "dosageInstruction", 0, "timing", "repeat", "boundsPeriod", "end", "2014-09"),
        [
            (
                "entry[9] MedicationRequest/mr-ful dosageInstruction[0].timing.repeat."
                "boundsPeriod.end",
                "E204",
                "a day is needed (YYYY-MM-DD), got '2014-09'",
            )
        ],
    ),
    (
        "no metastatic extent",
        _set("entry", 2, "resource", "extension", []),
        [
            (
                "entry[2] Condition/mc-1001 extension",
                "E202",
                "no https://endodecide.example/fhir/StructureDefinition/metastatic-extent "
                "extension: mCODE names the sites (bodySite), not the grouping the rules read; "
                "add it with valueCode visceral, non_visceral or bone_only",
            )
        ],
    ),
    (
        "another patient's request",
        _set(*MR, "subject", "reference", "Patient/other"),
        [
            (
                "entry[9] MedicationRequest/mr-ful subject",
                "E210",
                "'Patient/other' is not this bundle's patient (entry[0] Patient/pt-1001)",
            )
        ],
    ),
    (
        "a profile inconsistency, reported at the resource it came from",
        _set("entry", 0, "resource", "gender", "male"),
        [
            (
                "entry[7] Observation/meno-2013 valueCodeableConcept",
                "E210",
                "menopausal_status: applies to women only; leave it out for men",
            )
        ],
    ),
    (
        "a stopped line with no reason",
        lambda d: (_set(*MR, "statusReason", ...)(d), _set("entry", 11, ...)(d)),
        [
            (
                "entry[9] MedicationRequest/mr-ful statusReason",
                "E202",
                "stopped with no reason endodecide reads: give statusReason SNOMED CT 266721009 "
                "'No response to treatment (situation)' (progression), SNOMED CT 407563006 "
                "'Treatment not tolerated (situation)' (toxicity), or a CancerDiseaseStatus "
                "'worsened' at the line's end",
            )
        ],
    ),
]


@pytest.mark.parametrize(("edit", "expected"), [s[1:] for s in SEEDED], ids=[s[0] for s in SEEDED])
def test_seeded_defect_gives_its_exact_error(
    tmp_path: Path, edit: Any, expected: list[tuple[str, str, str]]
) -> None:
    """Each defect planted in the complete bundle is one exact error, without cascades."""
    assert _seeded(tmp_path, edit) == expected


@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.stem)
def test_teaching_profile_round_trips(tmp_path: Path, path: Path) -> None:
    """Export then import gives the same profile; the bundle validates with fhir.resources, is
    labelled as test data, and the YAML written on import reads back as the same profile."""
    profile = load_profile(path.relative_to(ROOT)).profile
    text = bundle_json(profile)
    bundle = Bundle.model_validate(json.loads(text))
    assert bundle.type == "collection"
    assert is_test_data(json.loads(text)["entry"][0]["resource"])
    file = tmp_path / "bundle.json"
    file.write_text(text, encoding="utf-8")
    imported = import_bundle(file)
    assert imported.profile == profile
    yaml_file = tmp_path / "profile.yaml"
    yaml_file.write_text(render_profile_yaml(imported.profile), encoding="utf-8")
    assert load_profile(yaml_file).profile == profile


@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.stem)
def test_teaching_profile_round_trips_as_a_prefetch(path: Path) -> None:
    """The exported resources, sent as a CDS Hooks prefetch (the Patient alone, the rest as a
    searchset Bundle, the bundle's own urn:uuid references unresolvable), give the profile."""
    profile = load_profile(path.relative_to(ROOT)).profile
    resources = [entry["resource"] for entry in export_bundle(profile)["entry"]]
    patient = [r for r in resources if r["resourceType"] == "Patient"]
    rest = [{"resource": r} for r in resources if r["resourceType"] != "Patient"]
    searchset = {"resourceType": "Bundle", "type": "searchset", "entry": rest}
    assert profile_from_resources(resources, "prefetch").profile == profile
    assert profile_from_resources([*patient, searchset], "prefetch").profile == profile


def test_export_is_deterministic() -> None:
    """Two exports of one profile are byte-identical; ids and full URLs are fixed."""
    profile = load_profile(Path("profiles/P012-third-line-esr1-mutated.yaml")).profile
    assert bundle_json(profile) == bundle_json(profile)
    entries = export_bundle(profile)["entry"]
    assert [e["resource"]["id"] for e in entries][:3] == [
        "patient",
        "primary-cancer",
        "metastatic-disease",
    ]
    assert "line-1-letrozole" in [e["resource"]["id"] for e in entries]
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in entries)


def test_months_are_calendar_months() -> None:
    """Whole calendar months, same day of month, clamped at a month's end."""
    assert add_months(date(2014, 12, 10), -14) == date(2013, 10, 10)
    assert add_months(date(2014, 1, 31), 1) == date(2014, 2, 28)
    assert months_between(date(2013, 11, 20), date(2014, 9, 22)) == (10, 2)
    assert months_between(date(2013, 11, 20), date(2014, 9, 19)) == (9, 30)
    assert months_between(date(2014, 1, 31), date(2014, 2, 28)) == (1, 0)


@pytest.mark.parametrize("stem", FHIR_GOLDENS)
def test_provenance_report_golden(stem: str) -> None:
    """The provenance and gap report equals its reviewed golden (regenerate: 'make goldens')."""
    path = fhir_golden_path(stem)
    assert path.is_file(), "run 'make goldens' and review the diff"
    assert render_fhir_golden(stem) == path.read_text(encoding="utf-8")


def test_no_stale_fhir_goldens() -> None:
    """Every file under golden/fhir is the golden of an entry of FHIR_GOLDENS."""
    expected = {fhir_golden_path(stem).name for stem in FHIR_GOLDENS}
    assert {p.name for p in FHIR_GOLDEN_DIR.iterdir()} == expected


def test_report_opens_with_the_disclaimer() -> None:
    """The report starts with the disclaimer and says whether the patient is test data."""
    report = render_provenance(import_bundle(_bundle("not-test-data")))
    assert report.splitlines()[2] == f"> {DISCLAIMER}"
    assert "**no**: the Patient has no HTEST security label" in report


@pytest.mark.slow
def test_cli_import_prints_profile_then_report() -> None:
    """'fhir import' without --out prints the YAML (disclaimer first) and then the report."""
    done = cli("fhir", "import", str(_bundle(COMPLETE)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# EDUCATIONAL USE ONLY")
    profile_text, report = done.stdout.split("\n# FHIR import: provenance and gaps\n")
    assert Profile.model_validate(YAML(typ="safe").load(profile_text)) == _expected(COMPLETE)
    assert "## What mCODE cannot carry" in report
    assert done.stderr == ""


@pytest.mark.slow
def test_cli_import_out_writes_profile_and_report(tmp_path: Path) -> None:
    """--out writes the profile and FILE.provenance.md beside it; an unlabelled patient is
    warned about on stderr."""
    out = tmp_path / "case" / "profile.yaml"
    done = cli("fhir", "import", str(_bundle("not-test-data")), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert load_profile(out).profile == _expected("not-test-data")
    assert (tmp_path / "case" / "profile.provenance.md").read_text().startswith("# FHIR import")
    assert "warning:" in done.stderr and "not labelled as test data" in done.stderr
    assert DISCLAIMER.split(".")[0] in done.stdout


@pytest.mark.slow
def test_cli_import_error_writes_nothing(tmp_path: Path) -> None:
    """A bad bundle: 'error:' lines, exit 1, no traceback, no file written."""
    out = tmp_path / "profile.yaml"
    done = cli("fhir", "import", str(_bundle("unknown-rxnorm")), "--out", str(out))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"error: {UNKNOWN_RXNORM}"]
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_cli_export_is_byte_identical_and_round_trips(tmp_path: Path) -> None:
    """'fhir export' prints the same bytes as the exporter in another process, and --out writes
    a file that imports back to the same profile."""
    path = Path("profiles/P022-premenopausal-on-suppression-after-tamoxifen.yaml")
    profile = load_profile(path).profile
    done = cli("fhir", "export", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == bundle_json(profile)
    out = tmp_path / "bundle.json"
    done = cli("fhir", "export", str(path), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8") == bundle_json(profile)
    assert import_bundle(out).profile == profile


@pytest.mark.slow
def test_cli_export_of_a_bad_profile_is_an_error(tmp_path: Path) -> None:
    """A profile that does not load: its problems as 'error:' lines, exit 1, nothing written."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("label: x\nsex: female\n", encoding="utf-8")
    out = tmp_path / "bundle.json"
    done = cli("fhir", "export", str(bad), "--out", str(out))
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert not out.exists()
