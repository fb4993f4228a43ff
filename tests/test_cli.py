"""The command line end to end: run, validate, schema, rules; exit codes and the disclaimer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from endodecide.disclaimer import DISCLAIMER
from endodecide.render.text import WIDTH, wrap
from endodecide.result import RunOutput
from endodecide.rulepack import RulePack
from endodecide.workshop.space import ProfileSpace
from tests.conftest import PROFILES, ROOT, cli

README = ROOT / "README.md"
DEMO_BEGIN = "<!-- demo-summary: the last screen of `make demo`; `make readme` rewrites it -->"
DEMO_END = "<!-- /demo-summary -->"

# Every test here runs the console script in a subprocess (and rules lint the whole space).
pytestmark = pytest.mark.slow


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
    assert document["schema_version"] == RunOutput.model_fields["schema_version"].default
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
    """validate names every valid file, counts them and ends with the disclaimer."""
    done = cli("validate", "profiles/")
    assert done.returncode == 0
    count = len(list(PROFILES.iterdir()))
    assert f"Checked {count} file(s): {count} profile(s) valid, 0 with problems." in done.stdout
    assert done.stdout.endswith(wrap(DISCLAIMER) + "\n")


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


def test_evidence_list_names_every_entry_and_marks_later_ones(pack: RulePack) -> None:
    """evidence list: one row per catalogue entry with its identifier; later papers starred."""
    done = cli("evidence", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = lines[2 : lines.index("")]  # under the header and its dashed rule
    assert len(rows) == len(pack.evidence.entries)
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


def test_rules_lint_passes_on_the_shipped_pack(pack: RulePack, space: ProfileSpace) -> None:
    """rules lint loads the pack, runs every rule's examples, the whole profile space at the
    review's date and a sample at every later date of the timeline."""
    from endodecide.rulepack.timeline import change_dates
    from endodecide.workshop.lint import DATED_SAMPLE

    later = change_dates([r.card for r in pack.every_rule.values()])
    done = cli("rules", "lint")
    assert done.returncode == 0, done.stderr
    assert (
        f"{len(pack.every_rule)} rules checked: schema, evidence, timeline, examples, "
        f"{len(space):,} profile classes at the review's date and a sample of {DATED_SAMPLE} "
        f"profiles at each of {len(later)} later dates; "
    ) in " ".join(done.stdout.split())
    assert "0 warning(s)" in done.stdout and done.stderr == ""


def test_a_big_batch_spread_over_processes_gives_the_same_output(
    tmp_path: Path, space: ProfileSpace
) -> None:
    """run on a folder of 300 profiles: -j 2 prints exactly what -j 1 prints, bad file included."""
    import random

    rng = random.Random(11)
    for index in range(300):
        profile = space.sample(rng).model_dump(mode="json")
        (tmp_path / f"p{index:03d}.json").write_text(json.dumps(profile))
    (tmp_path / "zz-bad.yaml").write_text("label: x\n")
    one = cli("run", str(tmp_path), "--format", "json", "-j", "1")
    two = cli("run", str(tmp_path), "--format", "json", "-j", "2")
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout and one.stderr == two.stderr
    assert len(json.loads(two.stdout)["results"]) == 300
    assert "\x1b" not in two.stderr and "━" not in two.stderr  # no progress bar when piped


# -- the summary table of 'run' and the README's copy of it ----------------------------------


def _tail_from_summary(out: str) -> list[str]:
    lines = out.splitlines()
    return lines[max(i for i, line in enumerate(lines) if line.startswith("Summary: ")) :]


def test_run_on_several_profiles_ends_with_the_summary_table_then_the_disclaimer() -> None:
    """run profiles/: every profile in full, then one table row per profile (file, resistance
    class, flags, options by status), how to make the full reports, and the disclaimer last."""
    done = cli("run", "profiles/")
    assert done.returncode == 0, done.stderr
    document = json.loads(cli("run", "profiles/", "--format", "json").stdout)
    tail = _tail_from_summary(done.stdout)
    assert tail[0] == f"Summary: {len(document['results'])} profile(s) in profiles/"
    rule = tail[3]
    starts = [i for i, c in enumerate(rule) if c == "-" and (i == 0 or rule[i - 1] == " ")]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))

    def cells(line: str) -> list[str]:
        return [line[a:b].strip() for a, b in bounds]

    assert cells(tail[2]) == ["profile", "resistance", "flags", "std", "inv", "def", "against"]
    rows = []
    for line in tail[4:]:
        if not line:
            break
        if line.startswith("  "):  # a long file name continued
            rows[-1][0] += line.strip()
        else:
            rows.append(cells(line))
    assert len(rows) == len(document["results"])
    for row, result in zip(rows, document["results"], strict=True):
        assert f"profiles/{row[0]}" == result["source"]
        resistance = next(
            f["value"] for f in result["derived_facts"] if f["name"] == "endocrine_resistance"
        )
        assert row[1] == resistance.replace("_", " ")
        assert row[2] == (", ".join(f["rule"] for f in result["flags"]) or "-")
        statuses = [o["status"] for o in result["options"]]
        assert row[3:] == [
            str(statuses.count(s))
            for s in ("standard", "investigational", "deferred", "evidence_against")
        ]
    assert "  endodecide report profiles --out reports/" in tail
    assert "  then open reports/index.html" in tail
    assert "\n".join(tail[-len(wrap(DISCLAIMER).splitlines()) - 1 :]) == (
        "=" * WIDTH + "\n" + wrap(DISCLAIMER)
    )
    assert all(len(line) <= WIDTH for line in tail)


def test_run_on_one_profile_has_no_summary_table() -> None:
    """One profile: its full output and the disclaimer, no table."""
    done = cli("run", "profiles/P001-de-novo-endocrine-naive.yaml")
    assert done.returncode == 0, done.stderr
    assert "Summary: " not in done.stdout and "Derived facts" in done.stdout


def test_run_summary_prints_only_the_table() -> None:
    """--summary: the table without the profiles in full, still between two disclaimers."""
    done = cli("run", "profiles/", "--summary")
    assert done.returncode == 0, done.stderr
    assert "Derived facts" not in done.stdout
    assert done.stdout.startswith(wrap(DISCLAIMER) + "\n")
    assert _tail_from_summary(done.stdout) == _tail_from_summary(cli("run", "profiles/").stdout)


def test_run_summary_with_json_is_a_usage_error() -> None:
    """--summary is for the text format: with --format json it is exit 2."""
    assert cli("run", "profiles/", "--summary", "--format", "json").returncode == 2


def test_summary_table_shows_control_characters_in_file_names_as_escapes(tmp_path: Path) -> None:
    """A file name holding an escape sequence is shown escaped in the table, never sent raw."""
    source = (PROFILES / "P001-de-novo-endocrine-naive.yaml").read_text()
    (tmp_path / "a\x1b[31mred.yaml").write_text(source)
    (tmp_path / "b.yaml").write_text(source)
    done = cli("run", str(tmp_path), "--summary")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout
    rows = [line.split()[0] for line in _tail_from_summary(done.stdout)[4:6]]
    assert rows == ["a\\x1b[31mred.yaml", "b.yaml"]


def demo_summary() -> str:
    """The last screen of 'make demo' (endodecide run profiles/), from its summary table on."""
    return "\n".join(_tail_from_summary(cli("run", "profiles/").stdout))


def _readme_parts() -> tuple[str, str, str]:
    text = README.read_text(encoding="utf-8")
    before, _, rest = text.partition(DEMO_BEGIN + "\n")
    block, _, after = rest.partition(DEMO_END)
    assert after, f"README.md has no block between {DEMO_BEGIN!r} and {DEMO_END!r}"
    return before, block, after


def _fenced(text: str) -> str:
    return f"```text\n{text}\n```\n"


def test_readme_shows_the_real_demo_summary() -> None:
    """The summary table in README.md is the real output of 'make demo' (run 'make readme'
    after a change of rules or profiles, and review the diff)."""
    _, block, _ = _readme_parts()
    assert block == _fenced(demo_summary()), "README.md is stale: run 'make readme'"


def write_readme_summary() -> None:
    """Rewrite the README's demo block from the real output (``make readme``)."""
    before, _, after = _readme_parts()
    README.write_text(before + DEMO_BEGIN + "\n" + _fenced(demo_summary()) + DEMO_END + after)


if __name__ == "__main__":
    write_readme_summary()
