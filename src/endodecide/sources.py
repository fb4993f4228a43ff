"""Reading YAML and JSON files safely into plain data, remembering the line of every key.

Everything user-supplied (profiles, rule files, the evidence catalogue) is read here, so that
every later check can name the file and line of the field it rejects.

Codes of the problems that stop a file from being read:
E100 the file or folder cannot be read (does not exist, no permission)
E101 larger than MAX_FILE_BYTES
E102 not UTF-8 text
E103 empty, or only comments
E104 not valid YAML or JSON (syntax error, duplicate key, a character YAML does not allow)
E105 a construct refused on purpose: tags, anchors, aliases, merge keys, nesting deeper than
     MAX_DEPTH, text longer than MAX_STRING_CHARS, numbers longer than MAX_NUMBER_CHARS, keys
     that are not text
E106 a folder holds no .yaml, .yml or .json file
E107 not a regular file: a FIFO, socket or device, a broken symbolic link or a link loop (never
     opened, so reading cannot hang)
E108 reading or checking the file failed unexpectedly (a bug; the other files are still read)
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import Node, ScalarNode
from ruamel.yaml.reader import ReaderError

from endodecide.errors import Problem, display_path
from endodecide.textsafe import clip, describe_control, quote

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_STRING_CHARS",
    "SUFFIXES",
    "Document",
    "Loc",
    "format_loc",
    "has_suffix",
    "not_regular",
    "read_document",
]

MAX_FILE_BYTES = 1_000_000
MAX_STRING_CHARS = 10_000
MAX_NUMBER_CHARS = 100
MAX_DEPTH = 32
SUFFIXES = (".yaml", ".yml", ".json")

Loc = tuple[str | int, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def has_suffix(path: Path) -> bool:
    """Whether ``path`` is named like a profile or rule file (.yaml, .yml, .json, any case)."""
    return path.suffix.lower() in SUFFIXES


def not_regular(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file, found without opening it: ``not a regular file (a
    FIFO)`` (or a socket, a device, a folder), ``broken symbolic link``, ``symbolic link loop``.
    None for a regular file, and for a path that is missing or cannot be looked at."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        if exc.errno == errno.ENOENT and path.is_symlink():
            return "broken symbolic link (its target does not exist)"
        return None
    return _irregular(mode)


def _irregular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((what for test, what in _KINDS if test(mode)), "an unknown kind")
    return f"not a regular file ({kind})"


def format_loc(loc: Loc) -> str:
    """``('endocrine_history', 0, 'agents')`` → ``endocrine_history[0].agents``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:  # keys come from the file: shown printable and cut short
            text += f".{clip(part)}" if text else clip(part)
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
    raw = _read_bytes(path, name, max_bytes)
    if isinstance(raw, Problem):
        return raw
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Problem(name, None, "", f"not UTF-8 text (bad byte at offset {exc.start})", "E102")
    if not text.strip():
        return Problem(name, None, "", "file is empty", "E103")
    yaml = YAML(typ="rt", pure=True)
    yaml.Composer = _StrictComposer
    try:
        loaded = yaml.load(text)
    except _Unreadable as exc:
        return Problem(name, exc.line, format_loc(exc.loc), exc.message, "E105")
    except ReaderError as exc:
        return Problem(name, _line_at(text, exc.position), "", _reader_message(exc), "E104")
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = "duplicate key" if "duplicate key" in str(exc.problem) else "syntax error"
        detail = _one_line(str(exc.problem or exc.context or ""))
        return Problem(name, line, "", f"{what}: {detail}", "E104")
    except RecursionError:
        return Problem(name, None, "", f"nested deeper than {MAX_DEPTH} levels", "E105")
    except (YAMLError, ValueError) as exc:
        return Problem(name, None, "", f"not valid YAML or JSON: {_one_line(str(exc))}", "E104")
    if loaded is None:
        return Problem(name, None, "", "file holds no data (only comments?)", "E103")
    doc = Document(path, None)
    try:
        doc.data = _plain(loaded, (), doc.lines)
    except _Unreadable as exc:
        line = exc.line if exc.line is not None else doc.line_of(exc.loc)
        return Problem(name, line, format_loc(exc.loc), exc.message, "E105")
    return doc


def _read_bytes(path: Path, name: str, max_bytes: int) -> bytes | Problem:
    """The file's bytes. A FIFO, socket or device is refused before it is opened, and opening
    never blocks, so a file swapped for a FIFO in between cannot hang the read either."""
    what = not_regular(path)
    if what is not None:
        return Problem(name, None, "", what, "E107")
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return Problem(name, None, "", f"cannot read file: {exc.strerror or exc}", "E100")
    try:
        info = os.fstat(handle)
        what = _irregular(info.st_mode)
        if what is not None:  # swapped since it was looked at
            return Problem(name, None, "", what, "E107")
        if info.st_size > max_bytes:
            return Problem(name, None, "", f"file is larger than {max_bytes:,} bytes", "E101")
        with os.fdopen(handle, "rb", closefd=False) as stream:
            raw = stream.read(max_bytes + 1)
    except OSError as exc:
        return Problem(name, None, "", f"cannot read file: {exc.strerror or exc}", "E100")
    finally:
        os.close(handle)
    if len(raw) > max_bytes:  # it grew after the size was checked
        return Problem(name, None, "", f"file is larger than {max_bytes:,} bytes", "E101")
    return raw


def _one_line(text: str) -> str:
    """A parser's message on one line (ruamel's span several)."""
    return " ".join(text.split())


def _line_at(text: str, position: object) -> int | None:
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else None


def _reader_message(exc: ReaderError) -> str:
    if isinstance(exc.character, int):
        return f"character {describe_control(chr(exc.character))} is not allowed in YAML or JSON"
    return f"not valid YAML or JSON: {_one_line(str(exc.reason))}"


class _StrictComposer(Composer):
    """Builds the node tree, refusing before anything is constructed: anchors and aliases (an
    alias bomb can expand a small file into gigabytes), merge keys, nesting deeper than
    MAX_DEPTH and integers longer than MAX_NUMBER_CHARS (Python refuses to convert them). Each
    refusal names the line and field it is on."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self._locs: list[Loc] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        line = event.start_mark.line + 1
        loc = self._loc_of(parent, index)
        if isinstance(event, AliasEvent):
            raise _Unreadable(
                f"YAML anchors and aliases are not allowed (alias *{clip(str(event.anchor))}); "
                "write the value out in full",
                line,
                loc,
            )
        if event.anchor is not None:
            raise _Unreadable(
                f"YAML anchors and aliases are not allowed (anchor &{clip(str(event.anchor))}); "
                "write the value out in full",
                line,
                loc,
            )
        if len(self._locs) > MAX_DEPTH:
            raise _Unreadable(f"nested deeper than {MAX_DEPTH} levels", line, loc)
        self._locs.append(loc)
        node = super().compose_node(parent, index)
        self._locs.pop()
        if isinstance(node, ScalarNode):
            if index is None and parent is not None and node.tag == _MERGE_TAG:
                raise _Unreadable(
                    "YAML merge keys (<<) are not allowed; write each key out in full", line, loc
                )
            if node.tag == _INT_TAG and len(node.value) > MAX_NUMBER_CHARS:
                raise _Unreadable(
                    f"number too large ({len(node.value):,} digits; at most "
                    f"{MAX_NUMBER_CHARS} allowed)",
                    line,
                    loc,
                )
        return node

    def _loc_of(self, parent: Node | None, index: Any) -> Loc:
        """Where the node about to be composed sits: a key is reported at its mapping."""
        if parent is None or not self._locs:
            return ()
        here = self._locs[-1]
        if isinstance(index, int):
            return (*here, index)
        if isinstance(index, ScalarNode) and isinstance(index.value, str):
            return (*here, index.value)
        return here


def _kind(value: Any) -> str:
    """A key that is not text, in words: ``a list``, ``a date``, ``1.5``."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dt.date):
        return "a date"
    return "nothing (null)" if value is None else quote(value)


def _plain(node: Any, loc: Loc, lines: dict[Loc, int]) -> Any:
    if isinstance(node, TaggedScalar) or (
        isinstance(node, CommentedMap | CommentedSeq) and getattr(node.tag, "value", None)
    ):
        raise _Unreadable("YAML tags (such as !!python/...) are not allowed", loc=loc)
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            line = node.lc.key(key)[0] + 1
            if not isinstance(key, str):
                raise _Unreadable(f"keys must be text, found {_kind(key)}", line, loc)
            child = (*loc, key)
            lines[child] = line
            out[key] = _plain(value, child, lines)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            child = (*loc, index)
            lines[child] = node.lc.item(index)[0] + 1
            items.append(_plain(value, child, lines))
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
    raise _Unreadable(f"unsupported value {quote(node)}", loc=loc)
