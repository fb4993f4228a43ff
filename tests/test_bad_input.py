"""Bad profiles: one clear line per problem (file, line, field, what is allowed), exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import cli

GOOD = """\
label: bad input test
sex: female
menopausal_status: post
receptors: {er: positive, pr: positive, her2: negative}
disease: {setting: de_novo, extent: visceral}
endocrine_history:
  - agents: [letrozole]
    setting: metastatic
    months: 14
    ended: progression
"""


def _errors(tmp_path: Path, text: str, name: str = "profile.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    done = cli("run", str(path))
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    assert done.stdout == ""  # nothing half-written
    return done.stderr.splitlines()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("months: 14", "months: fourteen"),
            ":9: endocrine_history[0].months: E204 Input should be a valid integer, got 'fourteen'",
        ),
        (
            ("months: 14", "months: -3"),
            ":9: endocrine_history[0].months: E204 Input should be greater than or equal to 0",
        ),
        (
            ("[letrozole]", "[letrozol]"),
            ":7: endocrine_history[0].agents[0]: E203 'letrozol' is "
            "not allowed (did you mean 'letrozole'?)",
        ),
        (
            ("menopausal_status", "menopausel_status"),
            ":3: menopausel_status: E201 unknown field "
            "'menopausel_status' (did you mean "
            "'menopausal_status'?)",
        ),
        (("her2: negative", "her2: neg"), ":4: receptors.her2: E203 'neg' is not allowed"),
        (
            ("ended: progression", "ended: relapse"),
            ":10: endocrine_history[0].ended: E210 a metastatic line cannot end by 'relapse'",
        ),
        (
            ("extent: visceral}", "extent: visceral, visceral_crisis: yes}"),
            "disease.visceral_crisis: E204 Input should be a valid boolean",
        ),
    ],
)
def test_field_errors(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    """Each defect names file, line, field and what is allowed."""
    lines = _errors(tmp_path, GOOD.replace(*change))
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert expected in lines[0]


def test_allowed_values_are_listed(tmp_path: Path) -> None:
    """An unknown value lists what is allowed."""
    (line,) = _errors(tmp_path, GOOD.replace("her2: negative", "her2: neg"))
    assert "allowed: positive, negative, unknown" in line


def test_broken_yaml(tmp_path: Path) -> None:
    """A YAML syntax error names its line."""
    (line,) = _errors(tmp_path, GOOD.replace("[letrozole]", "[letrozole"))
    assert "profile.yaml:" in line and "E104 syntax error" in line


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    """An empty file is an error, not an empty result."""
    (line,) = _errors(tmp_path, text)
    assert "E103" in line


def test_duplicate_key(tmp_path: Path) -> None:
    """A key given twice is an error, not a silent overwrite."""
    (line,) = _errors(tmp_path, GOOD + "sex: male\n")
    assert "duplicate key" in line and ":11:" in line


def test_python_object_tag_is_refused(tmp_path: Path) -> None:
    """YAML loading is safe: object tags are refused."""
    (line,) = _errors(
        tmp_path,
        GOOD.replace("label: bad input test", "label: !!python/object/apply:os.system [ls]"),
    )
    assert "tags" in line


def test_not_utf8(tmp_path: Path) -> None:
    """A file in another encoding is named as such."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.replace("bad input test", "caf\xe9").encode("latin-1"))
    done = cli("validate", str(path))
    assert done.returncode == 1 and "E102 not UTF-8" in done.stderr


def test_json_profile_with_string_number(tmp_path: Path) -> None:
    """JSON numbers given as strings are refused (the engine would compare them as text)."""
    text = (
        '{"label": "x", "sex": "female", "menopausal_status": "post", "receptors": '
        '{"er": "positive", "pr": "positive", "her2": "negative"}, "disease": '
        '{"setting": "de_novo", "extent": "visceral"}, "chemotherapy_lines_for_metastatic": "1"}'
    )
    (line,) = _errors(tmp_path, text, "p.json")
    assert "chemotherapy_lines_for_metastatic: E204 Input should be a valid integer" in line


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "ovarian_suppression: true\n",
            "ovarian_suppression: E210 applies to pre- or perimenopausal women",
        ),
        ("chemotherapy_lines_for_metastatic: 1.5\n", "valid integer"),
    ],
)
def test_impossible_or_wrong_values(tmp_path: Path, extra: str, expected: str) -> None:
    """Impossible combinations and non-integers are errors."""
    (line,) = _errors(tmp_path, GOOD + extra)
    assert expected in line


def test_many_problems_are_all_listed(tmp_path: Path) -> None:
    """Every problem of a file is reported, one per line, in line order."""
    text = GOOD.replace("sex: female", "sex: femal").replace("months: 14", "months: -1")
    lines = _errors(tmp_path, text)
    assert len(lines) == 2
    assert ":2: sex:" in lines[0] and ":9: endocrine_history[0].months:" in lines[1]


def test_de_novo_with_adjuvant_history(tmp_path: Path) -> None:
    """De novo metastatic disease cannot have adjuvant therapy."""
    text = GOOD.replace("setting: metastatic", "setting: adjuvant").replace(
        "ended: progression", "ended: relapse"
    )
    (line,) = _errors(tmp_path, text)
    assert "de novo metastatic disease has no adjuvant therapy" in line


def test_missing_path() -> None:
    """A path that does not exist is named."""
    done = cli("run", "no/such/place.yaml")
    assert done.returncode == 1 and "no such file or folder" in done.stderr


# -- hostile input: every case is one clear line per problem, exit 1, no traceback ----------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("months: 14", "months: .nan"), "endocrine_history[0].months: E204"),
        (GOOD.replace("months: 14", "months: .inf"), "endocrine_history[0].months: E204"),
        (
            GOOD.replace("months: 14", "months: 99999999999999999999999999"),
            "endocrine_history[0].months: E204 Input should be less than or equal to 600",
        ),
        (GOOD.replace("months: 14", "months: 1e400"), "endocrine_history[0].months: E204"),
        (GOOD.replace("months: 14", "months: 14.5"), "endocrine_history[0].months: E204"),
        (GOOD.replace("months: 14", "months: true"), "endocrine_history[0].months: E204"),
    ],
    ids=["nan", "inf", "huge-int", "huge-float", "fraction", "bool"],
)
def test_nan_and_huge_numbers_in_yaml(tmp_path: Path, text: str, expected: str) -> None:
    errors = _errors(tmp_path, text)
    assert len(errors) == 1 and expected in errors[0], errors


@pytest.mark.parametrize(
    "number", ["NaN", "Infinity", "-Infinity", "1e400", "123456789012345678901234567890"]
)
def test_nan_and_huge_numbers_in_json(tmp_path: Path, number: str) -> None:
    text = (
        '{"label": "x", "sex": "female", "menopausal_status": "post", '
        '"receptors": {"er": "positive", "pr": "positive", "her2": "negative"}, '
        '"disease": {"setting": "de_novo", "extent": "bone_only"}, '
        '"chemotherapy_lines_for_metastatic": ' + number + "}"
    )
    errors = _errors(tmp_path, text, "profile.json")
    assert len(errors) == 1, errors
    assert "chemotherapy_lines_for_metastatic" in errors[0] or "E10" in errors[0], errors


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    errors = _errors(tmp_path, GOOD + "teaching_note: " + "[" * 60 + "]" * 60 + "\n")
    assert len(errors) == 1 and "nested deeper than 32 levels" in errors[0], errors


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    errors = _errors(tmp_path, GOOD + "# " + "x" * 1_100_000 + "\n")
    assert len(errors) == 1 and "larger than" in errors[0] and "1,000,000" in errors[0], errors


def test_oversized_string_is_refused(tmp_path: Path) -> None:
    errors = _errors(tmp_path, GOOD + "teaching_note: " + "y" * 20_000 + "\n")
    assert len(errors) == 1 and "10,000" in errors[0], errors


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    bomb = 'a: &a ["x","x","x"]\nb: &b [*a,*a,*a]\nc: &c [*b,*b,*b]\nd: [*c,*c,*c]\n'
    errors = _errors(tmp_path, bomb)
    assert len(errors) == 1 and "alias" in errors[0], errors


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_other_encodings_are_named(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "profile.yaml"
    path.write_bytes(GOOD.replace("bad input test", "bad input tést").encode(encoding))
    done = cli("run", str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "UTF-8" in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_bytes(bytes(range(256)) * 10)
    done = cli("run", str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr


def test_hostile_rule_file_is_refused_cleanly(tmp_path: Path) -> None:
    """Rule files get the same safe loading: an object tag in a rule is one clear error."""
    import shutil

    from tests.conftest import RULES

    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    target = rules / "scope/ED904-male-patient.yaml"
    text = target.read_text()
    target.write_text(
        text.replace("strategy: scope", "strategy: !!python/object/apply:os.system [echo pwned]")
    )
    line = text.split("strategy: scope")[0].count("\n") + 1
    done = cli("rules", "list", "--rules", str(rules))
    assert done.returncode == 1 and "Traceback" not in done.stderr and "pwned" not in done.stdout
    assert f"ED904-male-patient.yaml:{line}" in done.stderr and "tag" in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1
