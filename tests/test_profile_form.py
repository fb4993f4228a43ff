"""The playground's profile form: fields from the model, query <-> profile data, the partial."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any, get_args, get_origin
from urllib.parse import parse_qsl, urlencode

import pytest
from pydantic import BaseModel

from endodecide.profile import AGENT_NAMES, LoadedProfile, Profile, load_profiles
from endodecide.render.environment import template_environment
from endodecide.web.profile_form import (
    MAX_LINES,
    FormField,
    form_sections,
    profile_data_from_query,
    query_from_profile,
    requested_lines,
)
from tests.conftest import PROFILES

TEMPLATE = "web/_profile_form.html.j2"


def _teaching_profiles() -> list[LoadedProfile]:
    loaded, problems = load_profiles([PROFILES])
    assert not problems
    return loaded


TEACHING = _teaching_profiles()


def _fields(data: dict[str, Any] | None = None, lines: int = 1) -> dict[str, FormField]:
    return {f.name: f for section in form_sections(data, lines) for f in section.fields}


def _model_leaves(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every leaf field's dotted name, the first item standing for a list of models."""
    names: list[str] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        item = get_args(annotation)[0] if get_origin(annotation) is list else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(_model_leaves(annotation, f"{prefix}{name}."))
        elif isinstance(item, type) and issubclass(item, BaseModel):
            names.extend(_model_leaves(item, f"{prefix}{name}.0."))
        else:
            names.append(prefix + name)
    return names


def _render(data: dict[str, Any] | None, lines: int) -> str:
    template = template_environment("html").get_template(TEMPLATE)
    return template.render(sections=form_sections(data, lines), lines=lines)


class _Form(HTMLParser):
    """The controls of a rendered form, and what a browser would submit for them."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: list[str] = []
        self.submitted: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self.label_for.append(a["for"] or "")
        if tag in ("input", "select", "textarea", "button"):
            self.controls.append({"tag": tag, **a})
        if tag == "input" and (a.get("type") != "checkbox" or "checked" in a):
            self.submitted.append((a["name"] or "", a.get("value") or ""))
        if tag == "select":
            self._select = a["name"]
        if tag == "option" and self._select is not None and "selected" in a:
            self.submitted.append((self._select, a["value"] or ""))
        if tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea" and self._textarea is not None:
            # The parser keeps the newline after the start tag that a browser drops.
            self.submitted.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data


def _parse(html: str) -> _Form:
    form = _Form()
    form.feed(html)
    form.close()
    return form


@pytest.mark.parametrize("loaded", TEACHING, ids=lambda loaded: Path(loaded.source).stem)
def test_every_teaching_profile_round_trips_through_the_query(loaded: LoadedProfile) -> None:
    """A teaching profile's query, also through a URL's encoding, reads back to the profile."""
    query = query_from_profile(loaded.profile)
    through_url = parse_qsl(urlencode(query), keep_blank_values=True)
    for params in (query, through_url):
        data, problems = profile_data_from_query(params)
        assert problems == []
        assert Profile.model_validate(data) == loaded.profile


@pytest.mark.parametrize("loaded", TEACHING, ids=lambda loaded: Path(loaded.source).stem)
def test_the_rendered_form_submits_the_profile_back(loaded: LoadedProfile) -> None:
    """What a browser submits from the form filled with a profile reads back to that profile."""
    profile = loaded.profile
    form = _parse(_render(profile.model_dump(), len(profile.endocrine_history)))
    data, problems = profile_data_from_query(form.submitted)
    assert problems == []
    # A multiple select submits its options in the page's order, not the order they were chosen.
    in_form_order = [
        line.model_copy(update={"agents": sorted(line.agents, key=AGENT_NAMES.index)})
        for line in profile.endocrine_history
    ]
    expected = profile.model_copy(update={"endocrine_history": in_form_order})
    assert Profile.model_validate(data) == expected


def test_every_leaf_of_the_profile_model_has_a_form_field() -> None:
    """Walking the pydantic models finds no leaf field the form leaves out, and nothing more."""
    leaves = _model_leaves(Profile)
    assert "endocrine_history.0.fulvestrant_dose_mg" in leaves
    assert "biomarkers.her2_low" in leaves
    fields = _fields(lines=1)
    assert sorted(fields) == sorted(leaves)
    assert all(field.label.strip() for field in fields.values())


def test_sections_come_in_order_with_one_per_endocrine_line() -> None:
    """The fieldsets are Patient, Receptors, Disease, each line, Chemotherapy and Biomarkers."""
    titles = [section.title for section in form_sections(None, 2)]
    assert titles == [
        "Patient",
        "Receptors",
        "Disease",
        "Endocrine line 1",
        "Endocrine line 2",
        "Chemotherapy",
        "Biomarkers",
    ]


def test_line_fieldsets_are_at_least_the_history_and_at_most_the_limit() -> None:
    """The line count is raised to the lines given and capped at the model's max_length."""
    three_lines = next(p for p in TEACHING if len(p.profile.endocrine_history) == 3).profile
    data = three_lines.model_dump()

    def line_count(lines: int) -> int:
        sections = form_sections(data, lines)
        return sum(s.title.startswith("Endocrine line") for s in sections)

    assert line_count(0) == 3
    assert line_count(5) == 5
    assert line_count(99) == MAX_LINES
    assert Profile.model_fields["endocrine_history"].metadata[0].max_length == MAX_LINES
    fields = _fields(data, 5)
    assert fields["endocrine_history.2.agents"].value == ("fulvestrant",)
    assert fields["endocrine_history.2.fulvestrant_dose_mg"].value == "500"
    assert fields["endocrine_history.4.agents"].value == ()
    assert fields["endocrine_history.4.months"].value == ""


def test_agent_choices_are_the_agent_vocabulary() -> None:
    """The agents of a line offer exactly the Agent literal's values, in its order."""
    agents = _fields()["endocrine_history.0.agents"]
    assert agents.kind == "multiselect"
    assert tuple(value for value, _ in agents.choices) == AGENT_NAMES
    assert ("ovarian_suppression", "ovarian suppression") in agents.choices


def test_kinds_bounds_and_help_come_from_the_model() -> None:
    """Controls, number bounds (also inside an optional field) and help follow the model."""
    fields = _fields()
    assert fields["teaching_note"].kind == "textarea"
    assert (fields["label"].kind, fields["label"].max_length) == ("text", 200)
    assert fields["ovarian_suppression"].kind == "checkbox"
    assert fields["ovarian_suppression"].help == "Currently on ovarian function suppression."
    months = fields["endocrine_history.0.months"]
    assert (months.kind, months.minimum, months.maximum) == ("number", 0, 600)
    assert months.help == "Months on this line."
    gap = fields["endocrine_history.0.months_from_end_to_relapse"]
    assert (gap.minimum, gap.maximum, gap.required) == (0, 600, False)
    chemo = fields["chemotherapy_lines_for_metastatic"]
    assert (chemo.minimum, chemo.maximum, chemo.value) == (0, 20, "0")
    assert fields["receptors.er"].help is None
    assert fields["label"].required
    assert not fields["teaching_note"].required


def test_optional_selects_offer_not_recorded_and_required_ones_a_blank_choice() -> None:
    """An optional select starts with "not recorded"; a required one never preselects a value."""
    fields = _fields()
    assert fields["menopausal_status"].choices[0] == ("", "not recorded")
    dose = fields["endocrine_history.0.fulvestrant_dose_mg"].choices
    assert dose == (("", "not recorded"), ("250", "250"), ("500", "500"))
    assert fields["sex"].choices[0] == ("", "choose one")
    assert fields["sex"].value == ""
    her2_low = fields["biomarkers.her2_low"]
    assert her2_low.value == "unknown"
    assert "" not in dict(her2_low.choices)


def test_empty_values_are_not_given() -> None:
    """Empty values leave a field out, so the model's default or None applies."""
    data, problems = profile_data_from_query(
        [
            ("menopausal_status", ""),
            ("teaching_note", ""),
            ("biomarkers.pik3ca", ""),
            ("endocrine_history.0.agents", "letrozole"),
            ("endocrine_history.0.months_from_end_to_relapse", ""),
            ("endocrine_history.0.fulvestrant_dose_mg", ""),
        ]
    )
    assert problems == []
    assert data == {"endocrine_history": [{"agents": ["letrozole"]}]}


def test_values_are_typed_as_the_strict_model_needs() -> None:
    """Whole numbers become ints, numeric choices ints, checkboxes bools, CRLF newlines LF."""
    data, problems = profile_data_from_query(
        [
            ("submitted", "1"),
            ("chemotherapy_lines_for_metastatic", " 2 "),
            ("ovarian_suppression", "on"),
            ("teaching_note", "one\r\ntwo"),
            ("endocrine_history.0.agents", "fulvestrant"),
            ("endocrine_history.0.agents", "palbociclib"),
            ("endocrine_history.0.months", "7"),
            ("endocrine_history.0.fulvestrant_dose_mg", "500"),
        ]
    )
    assert problems == []
    assert data["chemotherapy_lines_for_metastatic"] == 2
    assert data["ovarian_suppression"] is True
    assert data["disease"] == {"visceral_crisis": False}
    assert data["teaching_note"] == "one\ntwo"
    line = data["endocrine_history"][0]
    assert line == {
        "agents": ["fulvestrant", "palbociclib"],
        "months": 7,
        "fulvestrant_dose_mg": 500,
    }


def test_an_absent_checkbox_means_no_only_in_a_submitted_form() -> None:
    """Without submitted=1 an absent checkbox is not given; with it, it is False."""
    not_submitted, _ = profile_data_from_query([("sex", "female")])
    assert "ovarian_suppression" not in not_submitted
    assert "disease" not in not_submitted
    submitted, _ = profile_data_from_query([("submitted", "1"), ("sex", "female")])
    assert submitted["ovarian_suppression"] is False
    assert submitted["disease"]["visceral_crisis"] is False
    checked, _ = profile_data_from_query([("disease.visceral_crisis", "true")])
    assert checked == {"disease": {"visceral_crisis": True}}


def test_empty_lines_are_dropped_and_gaps_compacted_in_order() -> None:
    """Lines that hold nothing are dropped and the others keep their order without gaps."""
    data, problems = profile_data_from_query(
        [
            ("endocrine_history.7.agents", "exemestane"),
            ("endocrine_history.0.agents", ""),
            ("endocrine_history.0.months", ""),
            ("endocrine_history.2.agents", "letrozole"),
            ("endocrine_history.4.months", "3"),
        ]
    )
    assert problems == []
    assert data["endocrine_history"] == [
        {"agents": ["letrozole"]},
        {"months": 3},
        {"agents": ["exemestane"]},
    ]


def test_what_cannot_be_read_is_a_problem_in_words() -> None:
    """Unknown names, non-numbers, repeated values, bad checkboxes and lines are named."""
    data, problems = profile_data_from_query(
        [
            ("colour", "blue"),
            ("colour", "red"),
            ("receptors", "positive"),
            ("endocrine_history.x.months", "1"),
            ("endocrine_history.0.months", "abc"),
            ("chemotherapy_lines_for_metastatic", "1.5"),
            ("sex", "female"),
            ("sex", "male"),
            ("ovarian_suppression", "maybe"),
            ("lines", "many"),
        ]
    )
    assert problems == [
        "unknown field 'colour'",
        "unknown field 'receptors'",
        "unknown field 'endocrine_history.x.months'",
        "'endocrine_history.0.months' must be a whole number, got 'abc'",
        "'chemotherapy_lines_for_metastatic' must be a whole number, got '1.5'",
        "'sex' takes one value, got 2",
        "'ovarian_suppression' must be on or off, got 'maybe'",
        "'lines' must be a whole number, got 'many'",
    ]
    assert data == {}


def test_a_hostile_value_in_a_problem_is_clipped_and_printable() -> None:
    """A problem quotes a submitted value on one line, control characters shown, cut short."""
    _, problems = profile_data_from_query([("endocrine_history.0.months", "\x1b[31m" + "9" * 200)])
    (problem,) = problems
    assert "\x1b" not in problem and "\\x1b" in problem
    assert len(problem) < 150
    _, problems = profile_data_from_query([("chemotherapy_lines_for_metastatic", "1" * 5000)])
    assert problems == [
        f"'chemotherapy_lines_for_metastatic' is far too large, got '{'1' * 60}...'"
    ]


def test_more_lines_than_the_model_allows_is_a_problem() -> None:
    """Lines beyond the model's limit are reported and dropped."""
    params = [(f"endocrine_history.{i}.months", "1") for i in range(MAX_LINES + 2)]
    data, problems = profile_data_from_query(params)
    assert problems == [f"at most {MAX_LINES} endocrine lines can be given, got {MAX_LINES + 2}"]
    assert len(data["endocrine_history"]) == MAX_LINES


def test_requested_lines_takes_the_add_button_over_the_hidden_field() -> None:
    """The largest lines value wins (the button sends one more than the hidden field)."""
    assert requested_lines([("lines", "2"), ("lines", "3")]) == 3
    assert requested_lines([("lines", "x")]) == 1
    assert requested_lines([]) == 1


def test_invalid_data_still_renders_a_form() -> None:
    """Data of the wrong shapes (as a failed submission may hold) gives empty values, no error."""
    junk = {"receptors": "positive", "endocrine_history": "x", "sex": ["female"], "disease": None}
    fields = _fields(junk, 1)
    assert fields["receptors.er"].value == ""
    assert fields["endocrine_history.0.agents"].value == ()
    html = _render(junk, 1)
    assert 'name="receptors.er"' in html


def test_the_partial_renders_every_field_with_a_label_tied_to_its_control() -> None:
    """Every field's control is there, labelled through for= and id, with the form's extras."""
    profile = TEACHING[0].profile
    html = _render(profile.model_dump(), 2)
    form = _parse(html)
    named = {control.get("name") for control in form.controls}
    assert set(_fields(profile.model_dump(), 2)) <= named
    visible = [c for c in form.controls if c["tag"] != "button" and c.get("type") != "hidden"]
    ids = [str(control["id"]) for control in visible]
    assert len(ids) == len(set(ids))
    assert sorted(form.label_for) == sorted(ids)
    assert ("submitted", "1") in form.submitted
    assert ("lines", "2") in form.submitted
    months = next(c for c in visible if c["name"] == "endocrine_history.0.months")
    assert (months["type"], months["min"], months["max"]) == ("number", "0", "600")
    agents = next(c for c in visible if c["name"] == "endocrine_history.0.agents")
    assert "multiple" in agents
    assert "<small" in html and "Months on this line." in html


def test_the_partial_offers_adding_a_line_until_the_limit() -> None:
    """The add button sends one more line, and is left out when the form shows the most."""
    buttons = [c for c in _parse(_render(None, 1)).controls if c["tag"] == "button"]
    assert [(b.get("name"), b.get("value")) for b in buttons] == [(None, None), ("lines", "2")]
    html = _render(None, MAX_LINES)
    assert "Show the result" in html
    assert "Add an endocrine line" not in html


def test_a_hostile_label_is_escaped() -> None:
    """A script in the label is shown as text in the field's value, never run."""
    profile = TEACHING[0].profile
    data = {**profile.model_dump(), "label": "<script>x</script>"}
    html = _render(data, 1)
    assert "<script>" not in html
    assert 'value="&lt;script&gt;x&lt;/script&gt;"' in html
