"""The playground's profile form: its fields, derived from the profile model, and the query string.

This module owns the form model of the workshop server's playground page, not its route: which
controls the form has (every leaf field of :class:`~endodecide.profile.Profile`, found by walking
the pydantic models, so a new agent or biomarker appears with no change here), the values they
show, and the conversion between a GET query string and plain profile data. The form is sent with
method=GET so that the page's address is itself a link that reproduces the profile.

Query parameters are dotted paths (``receptors.er``, ``endocrine_history.0.agents``); an empty
value means "not given". Two more parameters belong to the form itself: ``submitted=1`` (a hidden
field: only in a submitted form does an absent checkbox mean "no") and ``lines`` (how many
endocrine-line fieldsets to show; the "Add an endocrine line" button sends one more).
"""

from __future__ import annotations

import functools
import re
import types
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from endodecide.profile import Profile
from endodecide.textsafe import clip

__all__ = [
    "LINES_PARAM",
    "MAX_LINES",
    "SUBMITTED_PARAM",
    "FieldKind",
    "FormField",
    "FormSection",
    "form_sections",
    "profile_data_from_query",
    "query_from_profile",
    "requested_lines",
]

FieldKind = Literal["select", "multiselect", "checkbox", "number", "text", "textarea"]
SUBMITTED_PARAM = "submitted"
LINES_PARAM = "lines"
_LINE_LIST = "endocrine_history"
_ANY_INDEX = "*"
# A line's index only orders the lines (gaps are compacted), so a few digits are plenty; a
# longer run of digits is not a line index but a typing slip or a probe.
_INDEX = re.compile(r"0|[1-9][0-9]{0,5}")
_WHOLE = re.compile(r"[+-]?[0-9]+")
_MAX_DIGITS = 9
_TEXTAREA_FROM = 201  # text fields allowing more characters than this get a textarea
_TRUE = frozenset({"on", "true", "1", "yes"})
_FALSE = frozenset({"off", "false", "0", "no"})
_NOT_RECORDED = ("", "not recorded")
_NOT_CHOSEN = ("", "choose one")

# Plain words for names that are abbreviations or units; any other name is spelt out from its
# field name, so a new field needs no entry here.
_LABELS = {
    "label": "Label (a one-line title for this profile)",
    "ended": "How the line ended",
    "er": "Oestrogen receptor (ER)",
    "pr": "Progesterone receptor (PR)",
    "her2": "HER2",
    "her2_low": "HER2-low status",
    "pik3ca": "PIK3CA",
    "esr1": "ESR1",
    "akt1": "AKT1",
    "pten": "PTEN",
    "fulvestrant_dose_mg": "Fulvestrant dose (mg)",
    "chemotherapy_lines_for_metastatic": "Chemotherapy lines for metastatic disease",
    "months_from_end_to_relapse": "Months from the end of this line to relapse",
}
# Top-level scalar fields go to the "Patient" section unless named here.
_SECTION_OF = {"chemotherapy_lines_for_metastatic": "Chemotherapy"}
_PATIENT = "Patient"
_LINE_TITLE = "Endocrine line"
_LINE_NOTE = (
    "Leave the agents and every other field of a line empty to leave the line out; "
    "the fields marked required are needed for a line that is given."
)


@dataclass(frozen=True)
class FormField:
    """One control of the form: a query parameter with its label, allowed values and value."""

    name: str
    label: str
    kind: FieldKind
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    help: str | None = None
    required: bool = False
    value: str | tuple[str, ...] = ""

    @property
    def id(self) -> str:
        """The control's HTML id, which its ``<label for>`` names."""
        return "f-" + self.name.replace(".", "-")


@dataclass(frozen=True)
class FormSection:
    """One ``<fieldset>`` of the form: a title and its fields (and a hint for repeated lines)."""

    title: str
    fields: list[FormField]
    note: str = ""


@dataclass(frozen=True)
class _Leaf:
    """A leaf field of the profile model: its path (``*`` for a line index) and its control."""

    path: tuple[str, ...]
    kind: FieldKind
    label: str
    values: tuple[object, ...]
    optional: bool
    default: object
    minimum: int | None
    maximum: int | None
    max_length: int | None
    help: str | None
    required: bool

    @property
    def pattern(self) -> str:
        return ".".join(self.path)


# --- the model, walked ---------------------------------------------------------------------------


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); anything else -> (annotation, False)."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _strip_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    """``Annotated[X, ...]`` -> (X, its constraints); pydantic moves a field's own ``Annotated``
    into ``FieldInfo.metadata``, but not one nested inside ``X | None``."""
    if get_origin(annotation) is not Annotated:
        return annotation, []
    base, *extras = get_args(annotation)
    found: list[Any] = []
    for extra in extras:
        found.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
    return base, found


def _bound(metadata: list[Any], name: str) -> int | None:
    values = [
        getattr(item, name) for item in metadata if isinstance(getattr(item, name, None), int)
    ]
    return values[0] if values else None


def _model_of(annotation: Any) -> type[BaseModel] | None:
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


def _list_item(annotation: Any) -> Any:
    """The item type of ``list[X]``, or None when ``annotation`` is not a list."""
    return get_args(annotation)[0] if get_origin(annotation) is list else None


def _humanise(name: str) -> str:
    return _LABELS.get(name) or name.replace("_", " ").capitalize()


def _choice_label(value: object) -> str:
    return str(value).replace("_", " ")


def _leaf(path: tuple[str, ...], info: FieldInfo) -> _Leaf:
    annotation, optional = _strip_optional(info.annotation)
    annotation, nested = _strip_annotated(annotation)
    metadata = [*info.metadata, *nested]
    item = _list_item(annotation)
    values: tuple[object, ...] = ()
    kind: FieldKind
    if item is not None and get_origin(item) is Literal:
        kind, values = "multiselect", get_args(item)
    elif get_origin(annotation) is Literal:
        kind, values = "select", get_args(annotation)
    elif annotation is bool:
        kind = "checkbox"
    elif annotation is int:
        kind = "number"
    elif annotation is str:
        long = (_bound(metadata, "max_length") or _TEXTAREA_FROM) >= _TEXTAREA_FROM
        kind = "textarea" if long else "text"
    else:
        raise TypeError(f"no form control for {'.'.join(path)}: {annotation!r}")
    return _Leaf(
        path=path,
        kind=kind,
        label=_humanise(path[-1]),
        values=values,
        optional=optional or info.default is None,
        default=None if info.default is PydanticUndefined else info.default,
        minimum=_bound(metadata, "ge"),
        maximum=_bound(metadata, "le"),
        max_length=_bound(metadata, "max_length") if kind in ("text", "textarea") else None,
        help=info.description,
        required=info.is_required(),
    )


def _walk(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[_Leaf]:
    """Every leaf field under ``model``, in declaration order; a list of models is one entry
    per item, written with ``*`` where the index goes."""
    leaves: list[_Leaf] = []
    for name, info in model.model_fields.items():
        annotation, _ = _strip_optional(info.annotation)
        sub = _model_of(annotation)
        item = _model_of(_list_item(annotation))
        if sub is not None:
            leaves.extend(_walk(sub, (*prefix, name)))
        elif item is not None:
            leaves.extend(_walk(item, (*prefix, name, _ANY_INDEX)))
        else:
            leaves.append(_leaf((*prefix, name), info))
    return leaves


@functools.cache
def _leaves() -> tuple[_Leaf, ...]:
    return tuple(_walk(Profile))


@functools.cache
def _by_pattern() -> dict[str, _Leaf]:
    return {leaf.pattern: leaf for leaf in _leaves()}


def _max_lines() -> int:
    limit = _bound(Profile.model_fields[_LINE_LIST].metadata, "max_length")
    if limit is None:
        raise TypeError(f"Profile.{_LINE_LIST} has no max_length")
    return limit


MAX_LINES = _max_lines()


# --- the form ------------------------------------------------------------------------------------


def _as_text(value: object) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "on"
    return str(value)


def _field_value(leaf: _Leaf, found: bool, value: object) -> str | tuple[str, ...]:
    current = value if found else leaf.default
    if leaf.kind == "multiselect":
        items = current if isinstance(current, list | tuple) else []
        return tuple(_as_text(item) for item in items)
    return _as_text(current)


def _choices(leaf: _Leaf) -> tuple[tuple[str, str], ...]:
    listed = tuple((str(value), _choice_label(value)) for value in leaf.values)
    if leaf.kind != "select":
        return listed
    if leaf.optional:
        return (_NOT_RECORDED, *listed)
    # Without a blank first option a browser would silently pick the first value.
    return listed if leaf.default is not None else (_NOT_CHOSEN, *listed)


def _lookup(data: object, path: tuple[str | int, ...]) -> tuple[bool, object]:
    """The value at ``path`` in plain (possibly invalid) profile data, and whether it is there."""
    node = data
    for step in path:
        in_dict = isinstance(node, dict) and step in node
        in_list = isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node)
        if not (in_dict or in_list):
            return False, None
        node = node[step]  # type: ignore[index]
    return True, node


def _form_field(leaf: _Leaf, data: object, index: int | None) -> FormField:
    path: tuple[str | int, ...] = tuple(
        index if part == _ANY_INDEX and index is not None else part for part in leaf.path
    )
    found, value = _lookup(data, path)
    return FormField(
        name=".".join(str(part) for part in path),
        label=leaf.label,
        kind=leaf.kind,
        choices=_choices(leaf),
        minimum=leaf.minimum,
        maximum=leaf.maximum,
        max_length=leaf.max_length,
        help=leaf.help,
        required=leaf.required,
        value=_field_value(leaf, found, value),
    )


def _section_title(leaf: _Leaf) -> str:
    if len(leaf.path) == 1:
        return _SECTION_OF.get(leaf.path[0], _PATIENT)
    return _humanise(leaf.path[0])


def form_sections(data: dict[str, Any] | None, lines: int) -> list[FormSection]:
    """The form's fieldsets with the values of ``data`` (plain profile data, as in the YAML
    files; it may be invalid) and ``lines`` endocrine-line fieldsets, raised to the lines in
    ``data`` and capped at :data:`MAX_LINES`."""
    history = (data or {}).get(_LINE_LIST)
    given = len(history) if isinstance(history, list) else 0
    count = min(max(lines, given, 0), MAX_LINES)
    sections: dict[str, list[FormField]] = {}
    line_leaves: list[_Leaf] = []
    for leaf in _leaves():
        if _ANY_INDEX in leaf.path:
            line_leaves.append(leaf)
            sections.setdefault(_LINE_TITLE, [])
            continue
        sections.setdefault(_section_title(leaf), []).append(_form_field(leaf, data, None))
    built: list[FormSection] = []
    for title, fields in sections.items():
        if title != _LINE_TITLE:
            built.append(FormSection(title, fields))
            continue
        for index in range(count):
            line_fields = [_form_field(leaf, data, index) for leaf in line_leaves]
            built.append(FormSection(f"{_LINE_TITLE} {index + 1}", line_fields, _LINE_NOTE))
    return built


# --- query -> profile data -----------------------------------------------------------------------


def _quoted(text: str) -> str:
    return f"'{clip(text)}'"


def _match(name: str) -> tuple[_Leaf, tuple[str | int, ...]] | None:
    """The leaf a parameter name addresses and the data path it fills, or None if unknown."""
    parts = name.split(".")
    pattern: list[str] = []
    path: list[str | int] = []
    for part in parts:
        if _INDEX.fullmatch(part):
            pattern.append(_ANY_INDEX)
            path.append(int(part))
        else:
            pattern.append(part)
            path.append(part)
    leaf = _by_pattern().get(".".join(pattern))
    return None if leaf is None else (leaf, tuple(path))


def _scalar(leaf: _Leaf, name: str, raw: str, problems: list[str]) -> object:
    """One submitted value as the strict model wants it (ints as ints, bools as bools); a value
    that is not one of the choices is passed on for the model's own message."""
    if leaf.kind == "number":
        if not _WHOLE.fullmatch(raw.strip()):
            problems.append(f"'{name}' must be a whole number, got {_quoted(raw)}")
            return None
        if len(raw.strip().lstrip("+-")) > _MAX_DIGITS:
            problems.append(f"'{name}' is far too large, got {_quoted(raw)}")
            return None
        return int(raw)
    if leaf.kind == "checkbox":
        word = raw.strip().lower()
        if word not in _TRUE | _FALSE:
            problems.append(f"'{name}' must be on or off, got {_quoted(raw)}")
            return None
        return word in _TRUE
    if leaf.kind == "textarea":
        # Browsers send a textarea's line breaks as CRLF whatever the text held.
        return raw.replace("\r\n", "\n")
    return {str(value): value for value in leaf.values}.get(raw, raw)


def _put(tree: dict[Any, Any], path: tuple[str | int, ...], value: object) -> None:
    node = tree
    for step in path[:-1]:
        node = node.setdefault(step, {})
    node[path[-1]] = value


def _compact(node: object) -> object:
    """Index-keyed dicts become lists in index order, without the items that hold nothing."""
    if not isinstance(node, dict):
        return node
    items = {key: _compact(value) for key, value in node.items()}
    if items and all(isinstance(key, int) for key in items):
        return [items[key] for key in sorted(items) if items[key] != {}]
    return items


def _group(
    params: list[tuple[str, str]], problems: list[str]
) -> dict[str, tuple[_Leaf, tuple[str | int, ...], list[str]]]:
    """The non-empty values of each known parameter, in order; unknown names become problems."""
    grouped: dict[str, tuple[_Leaf, tuple[str | int, ...], list[str]]] = {}
    unknown: dict[str, None] = {}
    for name, raw in params:
        if name in (SUBMITTED_PARAM, LINES_PARAM):
            continue
        matched = _match(name)
        if matched is None:
            unknown.setdefault(name)
            continue
        leaf, path = matched
        values = grouped.setdefault(name, (leaf, path, []))[2]
        if raw != "":
            values.append(raw)
    problems.extend(f"unknown field {_quoted(name)}" for name in unknown)
    return grouped


def _is_submitted(params: list[tuple[str, str]]) -> bool:
    return any(name == SUBMITTED_PARAM and raw not in ("", "0") for name, raw in params)


def _unchecked_boxes(tree: dict[Any, Any]) -> None:
    """In a submitted form an absent checkbox means "no": write False for every checkbox of the
    profile, and of each line that holds something, that the query did not set."""
    for leaf in _leaves():
        if leaf.kind != "checkbox":
            continue
        paths: list[tuple[str | int, ...]] = [leaf.path]
        if _ANY_INDEX in leaf.path:
            head = leaf.path.index(_ANY_INDEX)
            _, items = _lookup(tree, leaf.path[:head])
            indices = items if isinstance(items, dict) else {}
            paths = [(*leaf.path[:head], index, *leaf.path[head + 1 :]) for index in indices]
        for path in paths:
            if not _lookup(tree, path)[0]:
                _put(tree, path, False)


def _lines_problem(data: dict[str, Any]) -> str | None:
    history = data.get(_LINE_LIST)
    if not isinstance(history, list) or len(history) <= MAX_LINES:
        return None
    given = len(history)
    del history[MAX_LINES:]  # the form shows at most MAX_LINES lines; the rest are dropped
    return f"at most {MAX_LINES} endocrine lines can be given, got {given}"


def profile_data_from_query(params: list[tuple[str, str]]) -> tuple[dict[str, Any], list[str]]:
    """Plain profile data from a multi-valued query (``request.query_params.multi_items()``),
    and the problems that stop a value from being read at all. Empty values are "not given";
    the lines are kept in index order, without those that hold nothing. The data still has to
    be validated (``profile_from_data``)."""
    problems: list[str] = []
    tree: dict[Any, Any] = {}
    for name, (leaf, path, values) in _group(params, problems).items():
        if leaf.kind == "multiselect":
            if values:
                _put(tree, path, [_scalar(leaf, name, raw, problems) for raw in values])
            continue
        if len(values) > 1:
            problems.append(f"'{name}' takes one value, got {len(values)}")
            continue
        if values and (value := _scalar(leaf, name, values[0], problems)) is not None:
            _put(tree, path, value)
    if _is_submitted(params):
        _unchecked_boxes(tree)
    data = _compact(tree)
    assert isinstance(data, dict)
    if (problem := _lines_problem(data)) is not None:
        problems.append(problem)
    for name, raw in params:
        if name == LINES_PARAM and raw != "" and _line_count(raw) is None:
            problems.append(f"'{LINES_PARAM}' must be a whole number, got {_quoted(raw)}")
    return data, problems


def _line_count(raw: str) -> int | None:
    text = raw.strip()
    return int(text) if _INDEX.fullmatch(text) else None


def requested_lines(params: list[tuple[str, str]]) -> int:
    """How many endocrine-line fieldsets the query asks for: the largest ``lines`` value (the
    hidden field and the "Add an endocrine line" button both send one), or 1; for
    :func:`form_sections`, which raises it to the lines given."""
    counts = [_line_count(raw) for name, raw in params if name == LINES_PARAM]
    return max((count for count in counts if count is not None), default=1)


# --- profile -> query ----------------------------------------------------------------------------


def _leaf_params(leaf: _Leaf, name: str, value: object) -> list[tuple[str, str]]:
    if leaf.kind == "multiselect" and isinstance(value, list):
        return [(name, str(item)) for item in value]
    text = _as_text(value)
    return [(name, text)] if text else []


def query_from_profile(profile: Profile) -> list[tuple[str, str]]:
    """The query that :func:`profile_data_from_query` reads back into ``profile``, as the form
    submits it: ``submitted=1``, then every value in form order; unchecked boxes and values
    that are None or empty are left out (they read back the same)."""
    data = profile.model_dump(mode="python")
    params: list[tuple[str, str]] = [(SUBMITTED_PARAM, "1")]
    for leaf in _leaves():
        if _ANY_INDEX not in leaf.path:
            params.extend(_leaf_params(leaf, leaf.pattern, _lookup(data, leaf.path)[1]))
    history = data.get(_LINE_LIST) or []
    for index in range(len(history)):
        for leaf in _leaves():
            if _ANY_INDEX in leaf.path:
                path = tuple(index if part == _ANY_INDEX else part for part in leaf.path)
                name = ".".join(map(str, path))
                params.extend(_leaf_params(leaf, name, _lookup(data, path)[1]))
    return params
