"""The one Jinja2 environment per output format, over the templates in ``render/templates``.

Both formats use StrictUndefined, so a misspelt variable fails loudly. HTML autoescapes;
Markdown escapes every value through ``finalize``, so free text from a profile can never become
markup in either format.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

__all__ = ["Format", "template_environment"]

Format = Literal["html", "md"]
_MET = {
    "yes": "yes",
    "no": "no",
    "mixed": "in part",
    "not_formally_tested": "not formally tested",
    "not_applicable": "n/a",
}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _md_escape(value: Any) -> Any:
    """Every value printed into Markdown: one line, markup characters inert."""
    if isinstance(value, Markup) or value is None:
        return value
    text = re.sub(r"\s+", " ", str(value)).replace("&", "&amp;")
    return _MD_SPECIAL.sub(_md_replacement, text)


def _md_replacement(match: re.Match[str]) -> str:
    return {"<": "&lt;", ">": "&gt;"}.get(match[1], "\\" + match[1])


@functools.cache
def template_environment(fmt: Format) -> Environment:
    env = Environment(
        loader=PackageLoader("endodecide", "render/templates"),
        undefined=StrictUndefined,
        autoescape=fmt == "html",
        finalize=_md_escape if fmt == "md" else None,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["met"] = lambda value: _MET[value]
    env.filters["url"] = lambda value: Markup(value)  # our own PubMed/DOI links, never user text
    return env
