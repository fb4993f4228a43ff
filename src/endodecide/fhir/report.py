"""What a FHIR import shows a reader: the profile as YAML (the disclaimer as a leading comment)
and the provenance and gap report (Markdown, the disclaimer at its top), a teaching artefact that
shows where each field came from and where the standard lacks what the rules need.
"""

from __future__ import annotations

import io

from ruamel.yaml import YAML

from endodecide.disclaimer import DISCLAIMER
from endodecide.fhir.extensions import ANCHOR, TEST_DATA_CODE, TEST_DATA_DISPLAY
from endodecide.fhir.importer import ImportResult
from endodecide.profile import Profile
from endodecide.textsafe import printable

__all__ = ["provenance_name", "render_profile_yaml", "render_provenance"]

_WIDTH = 96


def provenance_name(stem: str) -> str:
    """The report's file name beside a profile file: ``profile`` → ``profile.provenance.md``."""
    return f"{stem}.provenance.md"


def _comment(text: str) -> list[str]:
    """``text`` wrapped into ``#`` comment lines."""
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > _WIDTH - 2:
            lines.append(f"# {current}")
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, f"# {current}"] if current else lines


def render_profile_yaml(profile: Profile) -> str:
    """The profile as a YAML file, the disclaimer first; a woman's absent menopausal status is
    pointed out where the field would be."""
    data = profile.model_dump(mode="json", exclude_defaults=True)
    buffer = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = _WIDTH
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.dump(data, buffer)
    # a folded plain or quoted scalar ends its lines with a space YAML drops anyway
    body = "".join(f"{line.rstrip()}\n" for line in buffer.getvalue().splitlines())
    if profile.sex == "female" and profile.menopausal_status is None:
        note = (
            "# menopausal_status: absent from the FHIR data; required for women before\n"
            "# 'endodecide run' (pre | peri | post)\n"
        )
        body = body.replace("\nsex: female\n", f"\nsex: female\n{note}", 1)
    return "\n".join(_comment(DISCLAIMER)) + "\n" + body


def _cell(text: str) -> str:
    """Text made safe for one Markdown table cell."""
    return printable(" ".join(text.split())).replace("|", "\\|") or "-"


def _header(result: ImportResult) -> list[str]:
    if result.test_data:
        test = (
            f"yes: the Patient carries the security label {TEST_DATA_CODE} "
            f'"{TEST_DATA_DISPLAY}" (HL7 v3 ActReason) in meta.security'
        )
    else:
        test = (
            f"**no**: the Patient has no {TEST_DATA_CODE} security label. endodecide is for "
            "hypothetical patients only; its CDS Hooks service refuses such a patient"
        )
    return [
        "# FHIR import: provenance and gaps",
        "",
        f"> {DISCLAIMER}",
        "",
        f"- **Source:** `{_cell(result.source)}`",
        f"- **Profile:** {_cell(result.profile.label)}",
        f"- **Test data:** {test}.",
        "- **Dates:** profiles hold whole months, never dates; months are counted between the "
        "dates of the FHIR data. Bundles written by `endodecide fhir export` carry synthetic "
        f"dates: {ANCHOR.isoformat()} (the review's evidence date) is 'today' and the history "
        "is laid out backwards from it in whole months.",
        "",
    ]


def render_provenance(result: ImportResult) -> str:
    """The provenance and gap report of one import, as Markdown."""
    lines = _header(result)
    lines += [
        "## Where each field came from",
        "",
        "| profile field | value | resource | element | how |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {_cell(row.field)} | {_cell(row.value)} | {_cell(row.source)} | "
        f"{_cell(row.element)} | {_cell(row.note)} |"
        for row in result.provenance
    ]
    lines += [
        "",
        "## What mCODE cannot carry",
        "",
        "Each field the rules need that the standard does not hold as the rules read it: what "
        "mCODE and FHIR offer, the local extension or assumption endodecide uses instead (local "
        "URLs are under `https://endodecide.example/fhir/`), and what this import found.",
        "",
        "| field | in mCODE / FHIR | endodecide uses | in this import |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {_cell(gap.field)} | {_cell(gap.standard)} | {_cell(gap.used)} | {_cell(gap.here)} |"
        for gap in result.gaps
    ]
    lines += ["", "## Resources not read", ""]
    lines += [f"- {_cell(note)}" for note in result.not_read] or ["Every resource was read."]
    return "\n".join(lines) + "\n"
