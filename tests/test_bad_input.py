"""Bad profiles: one clear line per problem (file, line, field, what is allowed), exit 1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from endodecide.textsafe import has_control
from tests.conftest import ROOT, cli, edit_rule

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
_GOOD_DATA = {
    "label": "bad input test",
    "sex": "female",
    "menopausal_status": "post",
    "receptors": {"er": "positive", "pr": "positive", "her2": "negative"},
    "disease": {"setting": "de_novo", "extent": "visceral"},
}

# Every test here but one (an unexpected failure, in-process) runs the CLI in a subprocess.
pytestmark = pytest.mark.slow


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


def test_hostile_rule_file_is_refused_cleanly(rules_copy: Path) -> None:
    """Rule files get the same safe loading: an object tag in a rule is one clear error."""
    _, line = edit_rule(
        rules_copy,
        "ED904",
        "strategy: scope",
        "strategy: !!python/object/apply:os.system [echo pwned]",
    )
    done = cli("rules", "list", "--rules", str(rules_copy))
    assert done.returncode == 1 and "Traceback" not in done.stderr and "pwned" not in done.stdout
    assert f"ED904-male-patient.yaml:{line}" in done.stderr and "tag" in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1


# -- anchors, aliases and merge keys; what the YAML reader refuses -------------------------


def _run(tmp_path: Path, text: str, name: str = "profile.yaml") -> tuple[str, list[str]]:
    """Run one profile; return its shown name and the error lines (exit 1, no traceback)."""
    return str(tmp_path / name), _errors(tmp_path, text, name)


def test_merge_key_is_refused(tmp_path: Path) -> None:
    """A merge key (<<) is refused at its line, not a crash in the loader."""
    text = GOOD.replace(
        "receptors: {er: positive, pr: positive, her2: negative}",
        "receptors:\n  <<: {er: positive, pr: positive}\n  her2: negative",
    )
    name, lines = _run(tmp_path, text)
    assert lines == [
        f"error: {name}:5: receptors: E105 YAML merge keys (<<) are not allowed; "
        "write each key out in full"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("disease: {", "base: &d {setting: de_novo, extent: visceral}\ndisease: *d\nx: {"),
            ":5: base: E105 YAML anchors and aliases are not allowed (anchor &d)",
        ),
        (
            ("agents: [letrozole]", "agents: &a [letrozole]"),
            ":7: endocrine_history[0].agents: E105 YAML anchors and aliases are not allowed "
            "(anchor &a)",
        ),
        (
            ("months: 14", "months: &m 14\n    x: *m"),
            ":9: endocrine_history[0].months: E105 YAML anchors and aliases are not allowed "
            "(anchor &m)",
        ),
        (
            ("label: bad input test", "label: *x"),
            ":1: label: E105 YAML anchors and aliases are not allowed (alias *x)",
        ),
    ],
    ids=["mapping", "sequence", "scalar", "alias"],
)
def test_every_anchor_and_alias_is_refused(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    """Anchors and aliases of mappings, sequences and scalars are all refused at their line."""
    name, lines = _run(tmp_path, GOOD.replace(*change))
    assert lines == [f"error: {name}{expected}; write the value out in full"]


def test_merge_key_in_a_rule_file_is_refused(rules_copy: Path) -> None:
    """A merge key in a rule file is one clear error naming the file and line."""
    old = "  does_not_fire:\n    - label: Woman with ER-positive disease\n"
    target, start = edit_rule(rules_copy, "ED904", old, old + "      <<: {sex: female}\n")
    line = start + 2  # the merge key goes under the label, two lines below 'does_not_fire:'
    done = cli("rules", "list", "--rules", str(rules_copy))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"error: {target}:{line}: examples.does_not_fire[0]: E105 YAML merge keys (<<) are not "
        "allowed; write each key out in full"
    ]


def test_folder_with_a_merge_key_file_still_runs_the_good_ones(tmp_path: Path) -> None:
    """One bad file in a folder is named; the good ones are still evaluated; exit 1."""
    (tmp_path / "a.yaml").write_text(GOOD.replace("bad input test", "first good"))
    (tmp_path / "b.yaml").write_text(
        GOOD.replace("receptors: {", "receptors:\n  <<: {er: positive}\n  x: {")
    )
    (tmp_path / "c.yaml").write_text(GOOD.replace("bad input test", "second good"))
    done = cli("run", str(tmp_path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "first good" in done.stdout and "second good" in done.stdout
    assert done.stderr.splitlines() == [
        f"error: {tmp_path / 'b.yaml'}:5: receptors: E105 YAML merge keys (<<) are not allowed; "
        "write each key out in full"
    ]


def test_nul_byte_is_one_line_with_its_line(tmp_path: Path) -> None:
    """A raw NUL byte is named on one line, with the line it is on."""
    name, lines = _run(tmp_path, GOOD.replace("extent: visceral", "extent: vis\0ceral"))
    assert lines == [
        f"error: {name}:5: E104 character \\x00 (U+0000) is not allowed in YAML or JSON"
    ]


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_huge_integer_is_too_large_in_plain_words(tmp_path: Path, suffix: str) -> None:
    """A 5,000-digit number is 'too large', with no advice to change Python's settings."""
    digits = "9" * 5000
    if suffix == "yaml":
        text, expected = (
            GOOD.replace("months: 14", f"months: {digits}"),
            ":9: endocrine_history[0].months:",
        )
    else:
        text, expected = json.dumps(_GOOD_DATA)[:-1] + f', "x": {digits}}}', ":1: x:"
    name, lines = _run(tmp_path, text, f"profile.{suffix}")
    assert lines == [
        f"error: {name}{expected} E105 number too large (5,000 digits; at most 100 allowed)"
    ]


# -- messages: one line, short echoes, plain words -----------------------------------------


def test_allowed_numbers_are_joined_in_words(tmp_path: Path) -> None:
    """Two allowed numbers read '250 or 500', without a stray 'or' among them."""
    text = GOOD.replace("[letrozole]", "[fulvestrant]") + "    fulvestrant_dose_mg: 300\n"
    name, lines = _run(tmp_path, text)
    assert lines == [
        f"error: {name}:11: endocrine_history[0].fulvestrant_dose_mg: E203 300 is not allowed; "
        "allowed: 250 or 500"
    ]


def test_long_values_are_cut_short_in_messages(tmp_path: Path) -> None:
    """A 5,000-character value is echoed as its first 60 characters and an ellipsis."""
    name, lines = _run(tmp_path, GOOD.replace("sex: female", "sex: " + "x" * 5000))
    assert lines == [
        f"error: {name}:2: sex: E203 '{'x' * 60}...' is not allowed; allowed: female or male"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("sex: female", "sex:"), ":2: sex: E203 the value is empty; allowed: female or male"),
        (
            ("months: 14", "months:"),
            ":9: endocrine_history[0].months: E204 the value is empty; "
            "input should be a valid integer",
        ),
    ],
    ids=["choice", "number"],
)
def test_empty_values_are_called_empty(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    """A key with nothing after it is called empty, never 'None'."""
    name, lines = _run(tmp_path, GOOD.replace(*change))
    assert lines == [f"error: {name}{expected}"]
    assert "None" not in lines[0]


def test_unknown_key_with_a_bracket_or_escape_is_named_inertly(tmp_path: Path) -> None:
    """An unknown key holding '[' and ESC is named (escaped) instead of crashing the message."""
    name, lines = _run(tmp_path, GOOD + '"\\e[31mred": 1\n')
    assert lines == [
        f"error: {name}:11: \\x1b[31mred: E201 unknown field '\\x1b[31mred'; allowed: label, "
        "teaching_note, sex, menopausal_status, ovarian_suppression, receptors, disease, "
        "endocrine_history, chemotherapy_lines_for_metastatic, biomarkers"
    ]
    assert "\x1b" not in "".join(lines)


# -- one bad file never stops the others ---------------------------------------------------


def test_unexpected_failure_on_one_file_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever one file raises becomes a problem for that file; the others still load."""
    from endodecide import profile

    for name in ("a.yaml", "b.yaml", "c.yaml"):
        (tmp_path / name).write_text(GOOD)
    real = profile.read_document

    def failing(path: Path):  # type: ignore[no-untyped-def]
        if path.name == "b.yaml":
            raise KeyError("<<")
        return real(path)

    monkeypatch.setattr(profile, "read_document", failing)
    loaded, problems = profile.load_profiles([tmp_path])
    assert [Path(item.source).name for item in loaded] == ["a.yaml", "c.yaml"]
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'b.yaml'}: E108 could not be checked: KeyError: '<<' "
        "(a bug in endodecide, please report it; the other files were still read)"
    ]


# -- control characters in text fields -----------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("label", r"red \e[31m text", r"\x1b (U+001B)"),
        ("label", r"title \e]0;pwned\a", r"\x1b (U+001B)"),
        ("label", r"bell \a", r"\x07 (U+0007)"),
        ("label", r"nul \0 byte", r"\x00 (U+0000)"),
        ("label", r"two\nlines", r"\n (U+000A)"),
        ("label", r"csi \x9b31m", r"\x9b (U+009B)"),
        ("teaching_note", r"abc \u202e cba", r"\u202e (U+202E RIGHT-TO-LEFT OVERRIDE)"),
        ("teaching_note", r"isolate \u2066 x", r"\u2066 (U+2066 LEFT-TO-RIGHT ISOLATE)"),
        ("teaching_note", r"zero\u200bwidth", r"\u200b (U+200B ZERO WIDTH SPACE)"),
    ],
    ids=["esc-csi", "osc", "bel", "nul", "newline-in-label", "c1", "bidi", "isolate", "format"],
)
def test_control_characters_in_text_are_refused(
    tmp_path: Path, field: str, value: str, expected: str
) -> None:
    """Control and format characters in a text field are refused, shown escaped, never raw."""
    text = GOOD.replace("label: bad input test", f'label: "x"\n{field}: "{value}"')
    text = text.replace('label: "x"\nlabel: ', "label: ")
    name, lines = _run(tmp_path, text)
    line = 1 if field == "label" else 2
    where = "a label" if field == "label" else "text"
    assert lines == [
        f"error: {name}:{line}: {field}: E204 control character {expected} is not allowed in "
        f"{where}"
    ]
    assert not has_control("\n".join(lines))  # the message itself is inert


def test_line_breaks_and_tabs_in_a_teaching_note_are_fine(tmp_path: Path) -> None:
    """A teaching note may span lines and hold tabs; only the label must be one line."""
    path = tmp_path / "profile.yaml"
    path.write_text(GOOD + 'teaching_note: "first line\\n\\tindented second line"\n')
    done = cli("validate", str(path))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


# -- inconsistent profiles that used to be accepted ----------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("sex: female\nmenopausal_status: post", "sex: male")
            + "ovarian_suppression: true\n",
            ":10: ovarian_suppression: E210 applies to pre- or perimenopausal women, not men",
        ),
        (
            GOOD.replace("[letrozole]", "[letrozole, anastrozole]"),
            ":7: endocrine_history[0].agents: E210 letrozole and anastrozole are both "
            "aromatase inhibitors; a line gives only one of them",
        ),
        (
            GOOD.replace("[letrozole]", "[exemestane, everolimus, letrozole, anastrozole]"),
            ":7: endocrine_history[0].agents: E210 exemestane, letrozole and anastrozole are all "
            "aromatase inhibitors; a line gives only one of them",
        ),
        (
            GOOD.replace("[letrozole]", "[tamoxifen, toremifene]"),
            ":7: endocrine_history[0].agents: E210 tamoxifen and toremifene are both SERMs; "
            "a line gives only one of them",
        ),
        (
            GOOD.replace("label: bad input test", 'label: "   "'),
            ":1: label: E204 must not be only spaces",
        ),
        (GOOD.replace("label: bad input test", 'label: ""'), ":1: label: E204 must not be empty"),
    ],
    ids=["man-on-ovarian-suppression", "two-ais", "three-ais", "two-serms", "blank", "empty"],
)
def test_inconsistent_profiles_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    """Combinations that cannot describe a real history are errors with their line."""
    name, lines = _run(tmp_path, text)
    assert lines == [f"error: {name}{expected}"]


# -- walking folders -----------------------------------------------------------------------


def test_upper_case_suffixes_are_read(tmp_path: Path) -> None:
    """*.YAML, *.Yml and *.JSON files in a folder are read like lower-case ones."""
    for name in ("a.YAML", "b.Yml", "c.yml"):
        (tmp_path / name).write_text(GOOD)
    json_profile = {**_GOOD_DATA, "label": "json upper"}
    (tmp_path / "d.JSON").write_text(json.dumps(json_profile))
    (tmp_path / "notes.txt").write_text("not a profile, left alone")
    done = cli("validate", str(tmp_path))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "4 profile(s) valid" in done.stdout
    assert [line.rsplit("/", 1)[-1] for line in done.stdout.splitlines()[:4]] == [
        "a.YAML",
        "b.Yml",
        "c.yml",
        "d.JSON",
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symbolic links")
def test_special_entries_in_a_folder_are_named_and_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FIFOs, sockets, devices, broken links and link loops are each named; good files run."""
    import socket

    (tmp_path / "good.yaml").write_text(GOOD)
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "broken.yml").symlink_to("nowhere.yml")
    (tmp_path / "loop.json").symlink_to("loop.json")
    (tmp_path / "null.yaml").symlink_to(os.devnull)
    (tmp_path / "other.fifo").symlink_to("nowhere")  # other suffixes: left alone, silently
    monkeypatch.chdir(tmp_path)  # a socket path must be short
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("sock.yaml")
        monkeypatch.chdir(ROOT)
        done = cli("run", str(tmp_path), timeout=120)  # a FIFO opened would hang
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "bad input test" in done.stdout
    assert done.stderr.splitlines() == [
        f"error: {tmp_path}/broken.yml: E107 broken symbolic link (its target does not exist): "
        "skipped",
        f"error: {tmp_path}/loop.json: E107 symbolic link loop: skipped",
        f"error: {tmp_path}/null.yaml: E107 not a regular file (a character device): skipped",
        f"error: {tmp_path}/pipe.yaml: E107 not a regular file (a FIFO): skipped",
        f"error: {tmp_path}/sock.yaml: E107 not a regular file (a socket): skipped",
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symbolic links")
def test_special_files_named_directly_say_what_they_are(tmp_path: Path) -> None:
    """A FIFO, a link loop or a device given by name says what it is, not 'no such file'."""
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    done = cli(
        "validate",
        str(tmp_path / "pipe.yaml"),
        str(tmp_path / "loop.yaml"),
        os.devnull,
        timeout=120,  # a FIFO opened would hang
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"error: {tmp_path}/pipe.yaml: E107 not a regular file (a FIFO)",
        f"error: {tmp_path}/loop.yaml: E107 symbolic link loop",
        f"error: {os.devnull}: E107 not a regular file (a character device)",
    ]
