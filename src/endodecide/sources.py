"""Reading YAML and JSON files safely into plain data, remembering the line of every key.

Everything user-supplied (profiles, rule files, the evidence catalogue) is read here, so that
every later check can name the file and line of the field it rejects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from endodecide.errors import Problem, display_path

__all__ = ["MAX_FILE_BYTES", "MAX_STRING_CHARS", "Document", "Loc", "format_loc", "read_document"]

MAX_FILE_BYTES = 1_000_000
MAX_STRING_CHARS = 10_000
MAX_DEPTH = 32
SUFFIXES = (".yaml", ".yml", ".json")

Loc = tuple[str | int, ...]


def format_loc(loc: Loc) -> str:
    """``('endocrine_history', 0, 'agents')`` → ``endocrine_history[0].agents``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class Document:
    """A file's content as plain Python data, with the 1-based line of every key and item."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return display_path(self.path)

    def line_of(self, loc: Loc) -> int | None:
        """Line of the deepest known prefix of ``loc`` (a missing key is reported at its parent)."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None

    def problem(self, loc: Loc, message: str, code: str) -> Problem:
        return Problem(self.name, self.line_of(loc), format_loc(loc), message, code)


class _Unreadable(Exception):
    def __init__(self, message: str, line: int | None = None, loc: Loc = ()) -> None:
        super().__init__(message)
        self.message, self.line, self.loc = message, line, loc


def read_document(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Document | Problem:
    """Read one YAML or JSON file; return the document, or the one problem that stops reading."""
    name = display_path(path)
    try:
        if path.stat().st_size > max_bytes:
            return Problem(name, None, "", f"file is larger than {max_bytes:,} bytes", "E101")
        raw = path.read_bytes()
    except OSError as exc:
        return Problem(name, None, "", f"cannot read file: {exc.strerror or exc}", "E100")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Problem(name, None, "", f"not UTF-8 text (bad byte at offset {exc.start})", "E102")
    if not text.strip():
        return Problem(name, None, "", "file is empty", "E103")
    try:
        loaded = YAML(typ="rt", pure=True).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = "duplicate key" if "duplicate key" in str(exc.problem) else "syntax error"
        detail = str(exc.problem or exc.context or "").strip()
        return Problem(name, line, "", f"{what}: {detail}", "E104")
    except (YAMLError, RecursionError, ValueError) as exc:
        return Problem(name, None, "", f"not valid YAML or JSON: {exc}", "E104")
    if loaded is None:
        return Problem(name, None, "", "file holds no data (only comments?)", "E103")
    doc = Document(path, None)
    try:
        doc.data = _plain(loaded, (), doc.lines, set(), 0)
    except _Unreadable as exc:
        line = exc.line if exc.line is not None else doc.line_of(exc.loc)
        return Problem(name, line, format_loc(exc.loc), exc.message, "E105")
    return doc


def _plain(node: Any, loc: Loc, lines: dict[Loc, int], seen: set[int], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise _Unreadable(f"nested deeper than {MAX_DEPTH} levels", loc=loc)
    if isinstance(node, TaggedScalar) or (
        isinstance(node, CommentedMap | CommentedSeq) and getattr(node.tag, "value", None)
    ):
        raise _Unreadable("YAML tags (such as !!python/...) are not allowed", loc=loc)
    if isinstance(node, CommentedMap | CommentedSeq):
        if id(node) in seen:
            raise _Unreadable("YAML anchors and aliases (&, *) are not allowed", loc=loc)
        seen.add(id(node))
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if not isinstance(key, str):
                raise _Unreadable(f"keys must be text, found {key!r}", loc=loc)
            child = (*loc, key)
            lines[child] = node.lc.key(key)[0] + 1
            out[key] = _plain(value, child, lines, seen, depth + 1)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            child = (*loc, index)
            lines[child] = node.lc.item(index)[0] + 1
            items.append(_plain(value, child, lines, seen, depth + 1))
        return items
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        if len(node) > MAX_STRING_CHARS:
            raise _Unreadable(f"text longer than {MAX_STRING_CHARS:,} characters", loc=loc)
        return str(node)
    if isinstance(node, dt.date | dt.datetime):
        return node.isoformat()  # review dates in rule files; profiles have no date fields
    raise _Unreadable(f"unsupported value {node!r}", loc=loc)
