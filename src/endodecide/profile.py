"""The hypothetical patient profile: its pydantic model, consistency checks and file loading."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from endodecide.errors import Problem, ProfileError, display_path
from endodecide.sources import Document, Loc, has_suffix, not_regular, read_document
from endodecide.textsafe import clip, describe_control, first_control, printable
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
    # agents of the evidence since the review (the timeline), after the 2014 ones so that the
    # order, and every output at the review's date, stays as it was
    "ribociclib",
    "abemaciclib",
    "alpelisib",
    "capivasertib",
    "inavolisib",
    "elacestrant",
    "camizestrant",
    "imlunestrant",
]
AGENT_NAMES: tuple[str, ...] = get_args(Agent)
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
        "elacestrant",
        "camizestrant",
        "imlunestrant",
    }
)
# Agents of one class are not given together on one line: two aromatase inhibitors, two SERMs or
# two mTOR inhibitors on a line is a typing slip, not a regimen.
SAME_CLASS = (
    ("aromatase inhibitors", frozenset({"anastrozole", "letrozole", "exemestane"})),
    ("SERMs", frozenset({"tamoxifen", "toremifene"})),
    ("mTOR inhibitors", frozenset({"everolimus", "temsirolimus"})),
    ("CDK4/6 inhibitors", frozenset({"palbociclib", "ribociclib", "abemaciclib"})),
    ("PI3K/AKT inhibitors", frozenset({"alpelisib", "capivasertib", "inavolisib"})),
    (
        "oestrogen-receptor degraders",
        frozenset({"fulvestrant", "elacestrant", "camizestrant", "imlunestrant"}),
    ),
)
Months = Annotated[int, Field(ge=0, le=600, description="Whole months (0-600).")]
MarkerStatus = Literal["mutated", "wild_type", "unknown"]
Her2Low = Literal["unknown", "zero", "ultralow", "low"]


def _title_text(value: str) -> str:
    """A label: one line of visible text, no control or format characters."""
    char = next((c for c in value if c in "\t\n"), None) or first_control(value)
    if char is not None:
        raise ValueError(f"control character {describe_control(char)} is not allowed in a label")
    if not value.strip():
        raise ValueError("must not be only spaces")
    return value


def _note_text(value: str) -> str:
    """Free text: line breaks and tabs are fine, other control and format characters are not
    (they would drive the terminal or reorder what a reader sees)."""
    char = first_control(value)
    if char is not None:
        raise ValueError(f"control character {describe_control(char)} is not allowed in text")
    return value


Title = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_title_text)]
ShortText = Annotated[str, Field(max_length=2000), AfterValidator(_note_text)]


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
    her2_low: Her2Low = Field(
        default="unknown",
        description=(
            "For HER2-negative disease, how much HER2 the tumour still shows: low (IHC 1+, or 2+ "
            "with a negative ISH test), ultralow (IHC 0 with faint membrane staining), zero (no "
            "staining), unknown. Used by the antibody-drug conjugate options after the review."
        ),
    )


class Profile(_Strict):
    """One hypothetical patient. Durations are whole months, never dates."""

    label: Title
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
    if profile.ovarian_suppression and profile.sex == "male":
        found.append((("ovarian_suppression",), "applies to pre- or perimenopausal women, not men"))
    if profile.ovarian_suppression and profile.menopausal_status == "post":
        found.append(
            (("ovarian_suppression",), "applies to pre- or perimenopausal women, not 'post'")
        )
    if profile.biomarkers.her2_low != "unknown" and profile.receptors.her2 != "negative":
        found.append(
            (
                ("biomarkers", "her2_low"),
                "applies to HER2-negative disease only (receptors.her2: negative); "
                "leave it out or write unknown",
            )
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
    for name, members in SAME_CLASS:
        same = [agent for agent in dict.fromkeys(line.agents) if agent in members]
        if len(same) > 1:
            listed = f"{', '.join(same[:-1])} and {same[-1]}"
            are = "are both" if len(same) == 2 else "are all"
            message = f"{listed} {are} {name}; a line gives only one of them"
            found.append(((*here, "agents"), message))
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
    """Read and validate one profile file; raise ProfileError with every problem found. Any
    other failure becomes a problem of this file too, so one file never stops the others."""
    try:
        doc = read_document(path)
        if isinstance(doc, Problem):
            raise ProfileError([doc])
        result = profile_from_data(doc, doc.data)
        if isinstance(result, list):
            raise ProfileError(result)
        return LoadedProfile(source=doc.name, profile=result)
    except ProfileError:
        raise
    except Exception as exc:  # a bug met on this file: named, not a traceback for all files
        raise ProfileError([_unexpected(path, exc)]) from exc


def _unexpected(path: Path, exc: Exception) -> Problem:
    detail = clip(" ".join(str(exc).split()))
    return Problem(
        display_path(path),
        None,
        "",
        f"could not be checked: {type(exc).__name__}{': ' + detail if detail else ''} "
        "(a bug in endodecide, please report it; the other files were still read)",
        "E108",
    )


def collect_profile_files(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders (recursively, sorted) into profile files.

    In a folder, files named .yaml, .yml or .json (in any case) are read and other files are
    left alone; an entry so named that is not a regular file (a FIFO, socket or device, a broken
    symbolic link or a link loop) is a problem, never opened. Links to folders inside a folder
    are not followed. A path given by name that is not a file or folder says what it is.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found, skipped = _walk(path)
            if not found and not skipped:
                message = "no .yaml, .yml or .json files here"
                problems.append(Problem(display_path(path), None, "", message, "E106"))
            files.extend(found)
            problems.extend(skipped)
        elif (what := not_regular(path)) is not None:
            problems.append(Problem(_entry_name(path), None, "", what, "E107"))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(display_path(path), None, "", "no such file or folder", "E100"))
    return files, problems


def _walk(folder: Path) -> tuple[list[Path], list[Problem]]:
    """Profile files under ``folder``, sorted, and a problem for each entry named like one that
    cannot be read as a file, and for each sub-folder that cannot be listed."""
    files: list[Path] = []
    problems: list[Problem] = []
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            entries = list(current.iterdir())
        except OSError as exc:
            message = f"cannot read folder: {exc.strerror or exc}"
            problems.append(Problem(_entry_name(current), None, "", message, "E100"))
            continue
        for entry in entries:
            if entry.is_dir():
                if not entry.is_symlink():
                    pending.append(entry)
            elif has_suffix(entry):
                what = not_regular(entry)
                if what is None:
                    files.append(entry)
                else:
                    problems.append(
                        Problem(_entry_name(entry), None, "", f"{what}: skipped", "E107")
                    )
    return sorted(files), sorted(problems)


def _entry_name(path: Path) -> str:
    """An entry's own name (a link is shown as itself, not as its target), printable."""
    parent = display_path(path.parent)
    return printable(path.name) if parent == "." else f"{parent}/{printable(path.name)}"


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
