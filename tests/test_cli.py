"""The command line end to end: run, validate, schema, rules; exit codes and the disclaimer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from endodecide.disclaimer import DISCLAIMER
from endodecide.result import RunOutput
from tests.conftest import PROFILES, ROOT


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the installed console script as a user would."""
    exe = Path(sys.executable).with_name("endodecide")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, check=False)


def test_run_text_shows_every_profile_with_citations_and_disclaimer() -> None:
    """The main job: every example profile, its derived facts, options with PMID/DOI, disclaimer."""
    done = cli("run", "profiles/")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count(DISCLAIMER.split(".")[0]) >= 2  # at the top and at the bottom
    for profile in PROFILES.iterdir():
        assert f"profiles/{profile.name}" in out.replace("-\n", "-")
    assert out.count("Derived facts") == len(list(PROFILES.iterdir()))
    assert "PMID 24158787" in out
    assert "Traceback" not in done.stderr


def test_run_json_matches_its_documented_schema() -> None:
    """--format json is valid JSON that validates against the published result schema."""
    done = cli("run", "profiles/", "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    schema = json.loads(cli("schema", "result").stdout)
    jsonschema.validate(document, schema)
    assert document["schema_version"] == "1.1"
    assert document["disclaimer"] == DISCLAIMER
    assert len(document["results"]) == len(list(PROFILES.iterdir()))
    for result in document["results"]:
        assert result["options"] or result["flags"], result["source"]
        for option in result["options"]:
            assert all(c["pmid"] or c["doi"] for c in option["evidence"])


def test_json_schema_file_agrees_with_the_model() -> None:
    """The schema printed by the CLI is the model's schema (plus the disclaimer comment)."""
    printed = json.loads(cli("schema", "result").stdout)
    printed.pop("$comment")
    assert printed == RunOutput.model_json_schema()


def test_profile_schema_is_printed() -> None:
    """'endodecide schema' prints the profile's JSON Schema."""
    done = cli("schema")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert "endocrine_history" in schema["properties"]
    assert schema["additionalProperties"] is False


def test_validate_reports_each_file() -> None:
    """validate names every valid file and counts them."""
    done = cli("validate", "profiles/")
    assert done.returncode == 0
    assert f"{len(list(PROFILES.iterdir()))} profile(s) valid." in done.stdout


def test_rules_list_and_show() -> None:
    """rules list names every rule; rules show prints a card with its examples."""
    listed = cli("rules", "list")
    assert listed.returncode == 0
    assert "ED210" in listed.stdout and DISCLAIMER in listed.stdout.replace("\n", " ")
    card = cli("rules", "show", "ed210")
    assert card.returncode == 0
    assert "does not fire on" in card.stdout and "PMID 24158787" in card.stdout


def test_rules_show_unknown_id_suggests() -> None:
    """An unknown rule id is an error with a suggestion, exit 1, no traceback."""
    done = cli("rules", "show", "ED21")
    assert done.returncode == 1
    assert "did you mean" in done.stderr and "Traceback" not in done.stderr


def test_evidence_list_names_every_entry_and_marks_later_ones() -> None:
    """evidence list: one row per catalogue entry with its identifier; later papers starred."""
    done = cli("evidence", "list")
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line[:1].islower()]
    assert len(rows) == 29
    assert any(r.startswith("paloma-1") and "2015*" in r for r in rows)
    assert any(r.startswith("bolero-2-pfs") and "PMID 24158787" in r for r in rows)
    assert DISCLAIMER in " ".join(done.stdout.split())


def test_evidence_show_prints_the_entry_and_who_cites_it() -> None:
    """evidence show: citation, link, figures, and the rules citing it (for or against)."""
    done = cli("evidence", "show", "FACT")
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert "https://pubmed.ncbi.nlm.nih.gov/22370325/" in out
    assert "Primary endpoint met: no" in out
    assert "ED112" in out and "(as evidence against the option)" in out
    assert DISCLAIMER in out


def test_evidence_show_unknown_id_suggests() -> None:
    done = cli("evidence", "show", "sofia")
    assert done.returncode == 1
    assert "no evidence entry 'sofia' (did you mean 'sofea'?)" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args", [("run",), ("run", "--format", "xml", "profiles/"), ("frobnicate",)]
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    """Wrong usage is exit code 2."""
    assert cli(*args).returncode == 2


def test_bad_file_among_good_ones(tmp_path: Path) -> None:
    """A folder with one bad file: the good ones are still reported, the bad one named, exit 1."""
    for name in ("P001-de-novo-endocrine-naive.yaml", "P004-progression-first-line-letrozole.yaml"):
        (tmp_path / name).write_text((PROFILES / name).read_text())
    (tmp_path / "broken.yaml").write_text("label: [unclosed\n")
    done = cli("run", str(tmp_path), "--format", "json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert len(document["results"]) == 2
    assert [e["file"].endswith("broken.yaml") for e in document["errors"]] == [True]
    assert "broken.yaml" in done.stderr and "Traceback" not in done.stderr


def test_console_script_matches_module_entry() -> None:
    """The package runs with 'python -m endodecide' too."""
    done = subprocess.run(
        [sys.executable, "-m", "endodecide", "rules", "list"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0 and "ED001" in done.stdout


def test_rules_lint_passes_on_the_shipped_pack() -> None:
    """rules lint loads the pack, runs every rule's examples and the whole profile space."""
    done = cli("rules", "lint")
    assert done.returncode == 0, done.stderr
    assert "50 rules checked: schema, evidence, examples and 52,704 enumerated profiles; " in (
        done.stdout
    )
    assert "0 warning(s)" in done.stdout and done.stderr == ""


def test_a_big_batch_spread_over_processes_gives_the_same_output(tmp_path: Path) -> None:
    """run on a folder of 300 profiles: -j 2 prints exactly what -j 1 prints, bad file included."""
    import random

    from endodecide.generate import random_profile

    rng = random.Random(11)
    for index in range(300):
        profile = random_profile(rng).model_dump(mode="json")
        (tmp_path / f"p{index:03d}.json").write_text(json.dumps(profile))
    (tmp_path / "zz-bad.yaml").write_text("label: x\n")
    one = cli("run", str(tmp_path), "--format", "json", "-j", "1")
    two = cli("run", str(tmp_path), "--format", "json", "-j", "2")
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout and one.stderr == two.stderr
    assert len(json.loads(two.stdout)["results"]) == 300
