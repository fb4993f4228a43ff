"""The hypothetical patient profile: its pydantic model, consistency checks and file loading."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from endodecide.errors import Problem, ProfileError
from endodecide.sources import SUFFIXES, Document, Loc, read_document
from endodecide.validation import validate_model

__all__ = [
    "AGENT_NAMES",
    "ENDOCRINE_AGENTS",
    "Biomarkers",
    "Disease",
    "LoadedProfile",
    "Profile",
    "Receptors",
    "TherapyLine",
    "collect_profile_files",
    "consistency_problems",
    "load_profile",
    "load_profiles",
    "profile_from_data",
]

Agent = Literal[
    "tamoxifen",
    "toremifene",
    "anastrozole",
    "letrozole",
    "exemestane",
    "fulvestrant",
    "ovarian_suppression",
    "megestrol",
    "estradiol",
    "everolimus",
    "temsirolimus",
    "trastuzumab",
    "lapatinib",
    "palbociclib",
    "gefitinib",
    "bevacizumab",
    "entinostat",
    "vorinostat",
]
AGENT_NAMES: tuple[str, ...] = Agent.__args__
ENDOCRINE_AGENTS = frozenset(
    {
        "tamoxifen",
        "toremifene",
        "anastrozole",
        "letrozole",
        "exemestane",
        "fulvestrant",
        "ovarian_suppression",
        "megestrol",
        "estradiol",
    }
)
Months = Annotated[int, Field(ge=0, le=600, description="Whole months (0-600).")]
MarkerStatus = Literal["mutated", "wild_type", "unknown"]
ShortText = Annotated[str, Field(max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Receptors(_Strict):
    """Receptor status of the metastatic disease (HR-positive if ER or PR is positive)."""

    er: Literal["positive", "negative"]
    pr: Literal["positive", "negative"]
    her2: Literal["positive", "negative", "unknown"]


class Disease(_Strict):
    """How the metastatic disease presented and where it is."""

    setting: Literal["de_novo", "recurrence"] = Field(
        description="de_novo: metastatic at diagnosis; recurrence: after early disease."
    )
    extent: Literal["visceral", "non_visceral", "bone_only"]
    visceral_crisis: bool = False


class TherapyLine(_Strict):
    """One line of endocrine therapy, in the order given."""

    agents: Annotated[list[Agent], Field(min_length=1, max_length=4)]
    setting: Literal["adjuvant", "metastatic"]
    months: Months = Field(description="Months on this line.")
    ended: Literal["completed", "relapse", "progression", "toxicity"] = Field(
        description=(
            "completed (adjuvant only); relapse (adjuvant only: relapse while on therapy); "
            "progression (metastatic only); toxicity (stopped for side effects)."
        )
    )
    months_from_end_to_relapse: Months | None = Field(
        default=None,
        description="For the last adjuvant line that was completed or stopped: months to relapse.",
    )
    fulvestrant_dose_mg: Literal[250, 500] | None = Field(
        default=None, description="Required when the line includes fulvestrant."
    )


class Biomarkers(_Strict):
    """Tumour biomarkers; 'unknown' when not tested."""

    pik3ca: MarkerStatus = "unknown"
    esr1: MarkerStatus = "unknown"
    akt1: MarkerStatus = "unknown"
    pten: MarkerStatus = "unknown"


class Profile(_Strict):
    """One hypothetical patient. Durations are whole months, never dates."""

    label: Annotated[str, Field(min_length=1, max_length=200)]
    teaching_note: ShortText = ""
    sex: Literal["female", "male"]
    menopausal_status: Literal["pre", "peri", "post"] | None = None
    ovarian_suppression: bool = Field(
        default=False, description="Currently on ovarian function suppression."
    )
    receptors: Receptors
    disease: Disease
    endocrine_history: Annotated[list[TherapyLine], Field(max_length=12)] = []
    chemotherapy_lines_for_metastatic: Annotated[int, Field(ge=0, le=20)] = 0
    biomarkers: Biomarkers = Biomarkers()

    @property
    def hormone_receptor_positive(self) -> bool:
        return "positive" in (self.receptors.er, self.receptors.pr)


def consistency_problems(profile: Profile) -> list[tuple[Loc, str]]:
    """Combinations that cannot describe a real history, each with where it was found."""
    found: list[tuple[Loc, str]] = []
    if profile.sex == "female" and profile.menopausal_status is None:
        found.append((("menopausal_status",), "required for women: pre, peri or post"))
    if profile.sex == "male" and profile.menopausal_status is not None:
        found.append((("menopausal_status",), "applies to women only; leave it out for men"))
    if profile.ovarian_suppression and profile.menopausal_status == "post":
        found.append(
            (("ovarian_suppression",), "applies to pre- or perimenopausal women, not 'post'")
        )
    history = profile.endocrine_history
    adjuvant = [i for i, line in enumerate(history) if line.setting == "adjuvant"]
    if adjuvant and profile.disease.setting == "de_novo":
        found.append(
            (
                ("endocrine_history", adjuvant[0], "setting"),
                "de novo metastatic disease has no adjuvant therapy "
                "(use disease.setting: recurrence)",
            )
        )
    if adjuvant and adjuvant[-1] != len(adjuvant) - 1:
        found.append(
            (
                ("endocrine_history", adjuvant[-1], "setting"),
                "adjuvant lines must come before metastatic lines",
            )
        )
    for index, line in enumerate(history):
        found.extend(
            _line_problems(
                index,
                line,
                is_last_adjuvant=bool(adjuvant) and index == adjuvant[-1],
                recurrence=profile.disease.setting == "recurrence",
            )
        )
    return found


def _line_problems(
    index: int, line: TherapyLine, *, is_last_adjuvant: bool, recurrence: bool
) -> list[tuple[Loc, str]]:
    here: Loc = ("endocrine_history", index)
    found: list[tuple[Loc, str]] = []
    if len(set(line.agents)) != len(line.agents):
        found.append(((*here, "agents"), "an agent is listed twice"))
    if not ENDOCRINE_AGENTS.intersection(line.agents):
        found.append(
            (
                (*here, "agents"),
                "an endocrine therapy line needs at least one endocrine agent: "
                + ", ".join(sorted(ENDOCRINE_AGENTS)),
            )
        )
    if line.setting == "metastatic" and line.ended in {"relapse", "completed"}:
        found.append(
            (
                (*here, "ended"),
                f"a metastatic line cannot end by '{line.ended}'; allowed: progression, toxicity",
            )
        )
    if line.setting == "adjuvant" and line.ended == "progression":
        found.append(
            (
                (*here, "ended"),
                "an adjuvant line cannot end by 'progression'; "
                "allowed: completed, relapse, toxicity",
            )
        )
    if line.setting == "adjuvant" and line.ended == "relapse" and not is_last_adjuvant:
        found.append(((*here, "ended"), "only the last adjuvant line can end by relapse"))
    has_gap = line.months_from_end_to_relapse is not None
    if has_gap and not (is_last_adjuvant and line.ended in {"completed", "toxicity"}):
        found.append(
            (
                (*here, "months_from_end_to_relapse"),
                "only for the last adjuvant line, when it was completed or stopped for toxicity",
            )
        )
    if not has_gap and is_last_adjuvant and recurrence and line.ended == "completed":
        found.append(
            (
                (*here, "months_from_end_to_relapse"),
                "required: months from completing adjuvant therapy to relapse",
            )
        )
    if ("fulvestrant" in line.agents) != (line.fulvestrant_dose_mg is not None):
        message = (
            "required when the line includes fulvestrant: 250 or 500"
            if "fulvestrant" in line.agents
            else "only for lines that include fulvestrant"
        )
        found.append(((*here, "fulvestrant_dose_mg"), message))
    return found


class LoadedProfile(BaseModel):
    """A valid profile and the file it came from."""

    model_config = ConfigDict(frozen=True)

    source: str
    profile: Profile


def profile_from_data(doc: Document, data: object, base: Loc = ()) -> Profile | list[Problem]:
    """Validate already-read data (a whole file, or a rule's example) into a Profile."""
    if not isinstance(data, dict):
        return [doc.problem(base, "a profile must be a mapping of fields", "E200")]
    result = validate_model(doc, Profile, data, base)
    if isinstance(result, list):
        return result
    problems = [
        doc.problem((*base, *loc), message, "E210") for loc, message in consistency_problems(result)
    ]
    return problems or result


def load_profile(path: Path) -> LoadedProfile:
    """Read and validate one profile file; raise ProfileError with every problem found."""
    doc = read_document(path)
    if isinstance(doc, Problem):
        raise ProfileError([doc])
    result = profile_from_data(doc, doc.data)
    if isinstance(result, list):
        raise ProfileError(result)
    return LoadedProfile(source=doc.name, profile=result)


def collect_profile_files(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders (recursively, sorted) into profile files."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
            if not found:
                problems.append(
                    Problem(str(path), None, "", "no .yaml, .yml or .json files here", "E106")
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), None, "", "no such file or folder", "E100"))
    return files, problems


def load_profiles(paths: list[Path]) -> tuple[list[LoadedProfile], list[Problem]]:
    """Load every profile under ``paths``; good ones are returned even when others are bad."""
    files, problems = collect_profile_files(paths)
    loaded: list[LoadedProfile] = []
    for file in files:
        try:
            loaded.append(load_profile(file))
        except ProfileError as exc:
            problems.extend(exc.problems)
    return loaded, problems
