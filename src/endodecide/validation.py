"""Turning pydantic validation errors into compiler-style problems with "did you mean" hints."""

from __future__ import annotations

import difflib
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from endodecide.errors import Problem
from endodecide.sources import Document, Loc
from endodecide.textsafe import quote

__all__ = ["did_you_mean", "problems_from_validation", "validate_model"]

M = TypeVar("M", bound=BaseModel)
_QUOTED = re.compile(r"'([^']*)'")


def did_you_mean(word: object, choices: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` when a close choice exists, else an empty string."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:  # 'her2_status' → 'her2': a choice hidden inside the word
        close = sorted((c for c in choices if len(c) > 2 and c in word), key=len, reverse=True)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _allowed_fields(model: type[BaseModel], loc: Loc) -> list[str]:
    """The field names a model accepts at ``loc`` (best effort, for hints)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        annotation = fields[part].annotation
        current = _model_in(annotation)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _choices(expected: str) -> list[str]:
    """``"'a', 'b' or 'c'"`` or ``"250 or 500"`` (pydantic's wording) → the choices."""
    return [part.strip().strip("'") for part in re.split(r", | or ", expected) if part.strip()]


def _either(choices: list[str]) -> str:
    """``250 or 500`` for two choices; ``a, b, c`` for more (as every other "allowed:" list)."""
    return " or ".join(choices) if len(choices) == 2 else ", ".join(choices)


def _message(model: type[BaseModel], error: ErrorDetails, loc: Loc) -> tuple[str, str]:
    kind, given = error["type"], error.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, loc[:-1])
        hint = did_you_mean(loc[-1], allowed)
        listing = f"; allowed: {', '.join(allowed)}" if allowed else ""
        return "E201", f"unknown field {quote(loc[-1])}{hint}{listing}"
    if kind == "missing":
        return "E202", "required field is missing"
    if kind in {"literal_error", "enum"}:
        choices = _choices(error.get("ctx", {}).get("expected", ""))
        if given is None:
            return "E203", f"the value is empty; allowed: {_either(choices)}"
        hint = did_you_mean(given, choices)
        return "E203", f"{quote(given)} is not allowed{hint}; allowed: {_either(choices)}"
    if kind == "string_too_short" and error.get("ctx", {}).get("min_length") == 1:
        return "E204", "must not be empty"
    text = error["msg"].replace("Value error, ", "")
    if given is None:
        return "E204", f"the value is empty; {text[:1].lower()}{text[1:]}"
    if not isinstance(given, dict | list) and kind != "value_error":
        text = f"{text}, got {quote(given)}"
    if kind == "string_type" and isinstance(given, dict):
        text += " (got a key: value pair - text containing ': ' must be quoted)"
    return "E204", text


def problems_from_validation(
    doc: Document, model: type[BaseModel], exc: ValidationError, base: Loc = (), data: Any = None
) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = _real_loc(error["loc"], data)
        code, message = _message(model, error, loc)
        problems.append(doc.problem((*base, *loc), message, code))
    return problems


def _real_loc(loc: tuple[Any, ...], data: Any) -> Loc:
    """``loc`` without the type names pydantic adds into locations of unions (such as
    'literal['a']' or 'int'); a key that is in the data is kept, whatever it looks like."""
    kept: list[str | int] = []
    current = data
    for part in loc:
        in_data = (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        )
        if not in_data and _is_union_tag(part):
            continue
        current = current[part] if in_data else None
        kept.append(part)
    return tuple(kept)


def _is_union_tag(part: object) -> bool:
    """Pydantic adds type names such as 'literal['a']' or 'int' into locations of unions."""
    return isinstance(part, str) and (
        "[" in part or part in {"int", "str", "bool", "float", "list", "dict"}
    )


def validate_model(doc: Document, model: type[M], data: Any, base: Loc = ()) -> M | list[Problem]:
    """Validate ``data`` (part of ``doc`` found at ``base``) into ``model``, or return problems."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        return problems_from_validation(doc, model, exc, base, data)
