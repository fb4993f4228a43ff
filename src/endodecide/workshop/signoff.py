"""Writing a workshop panel's sign-off into a rule's YAML file.

This module owns the one place where endodecide writes a rule file: the ``review`` record of a
rule the panel reached consensus on. Only the lines of that record change; every other byte of
the file (comments, key order, quoting, line breaks) is kept as written, and the result is read
back and checked before it replaces the original.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import io
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from endodecide.errors import Problem, display_path
from endodecide.rulepack.load import content_hash
from endodecide.rulepack.schema import Review, RuleFile, WorkshopRecord
from endodecide.sources import read_document
from endodecide.workshop.panel import ROLES

__all__ = ["REVIEWER_ROLE", "PanelVerdict", "SignOffError", "rule_file", "sign_off"]

REVIEWER_ROLE = "workshop panel"

_RULE_ID = re.compile(r"^ED[0-9]{3}$")
# the line breaks ruamel counts lines by, so that its line numbers index this split
_LINE_END = re.compile(r"(?<=\r\n)|(?<=[\n\x85\u2028\u2029])|(?<=\r)(?!\n)")


class SignOffError(Exception):
    """A sign-off that was refused; the message is one sentence naming the rule or file."""


@dataclass(frozen=True)
class PanelVerdict:
    """What the panel decided on one rule in one round of a workshop session."""

    session: str
    round: int
    panel: dict[str, int]  # role -> how many of that role voted in the round
    agree: int
    voters: int
    threshold: int  # percent of the ballots that must be "agree"
    day: dt.date


def rule_file(rules_root: Path, rule_id: str) -> Path:
    """The YAML file of rule ``rule_id`` under ``rules_root`` (named ``<ID>-<slug>.yaml``)."""
    if not _RULE_ID.match(rule_id):
        raise SignOffError(f"'{rule_id}' is not a rule id (ED followed by three digits).")
    if not rules_root.is_dir():
        raise SignOffError(f"the rule folder {display_path(rules_root)} does not exist.")
    found = sorted(path for path in rules_root.rglob(f"{rule_id}-*.yaml") if path.is_file())
    if len(found) != 1:
        names = ", ".join(display_path(path) for path in found) or "none"
        raise SignOffError(
            f"{rule_id} needs exactly one file {rule_id}-<slug>.yaml under "
            f"{display_path(rules_root)}, found {len(found)} ({names})."
        )
    return found[0]


def sign_off(rules_root: Path, rule_id: str, expected_hash: str, verdict: PanelVerdict) -> Path:
    """Record the panel's sign-off of ``rule_id`` in its file; return the path written.

    Refused (SignOffError, the file untouched) when the panel did not reach consensus, when the
    rule's content hash on disk is not ``expected_hash`` (the version the panel voted on), or
    when the rewritten file would differ from the original in anything but its review record.
    Existing review comments are kept.
    """
    path = rule_file(rules_root, rule_id)
    record = _record(rule_id, verdict)
    try:
        _sign(path, rule_id, expected_hash, record, verdict.day)
    except OSError as exc:
        raise SignOffError(
            f"{display_path(path)} could not be signed off ({exc.strerror or exc}): "
            "the file was left as it was."
        ) from exc
    return path


def _sign(
    path: Path, rule_id: str, expected_hash: str, record: WorkshopRecord, day: dt.date
) -> None:
    """Check the file on disk is the version the panel voted on, then write its new review."""
    raw = path.read_bytes()
    card = _card(path, rule_id)
    # ruamel reads ``raw`` without the reader's refusals (aliases, tags), so ``raw`` must be
    # the very text the reader just checked
    _unchanged(path, raw, rule_id)
    actual = content_hash(card)
    if actual != expected_hash:
        raise SignOffError(
            f"{rule_id} has changed on disk since the session showed it (hash {actual}, signed "
            f"{expected_hash}): reload and vote again."
        )
    review = Review(
        status="reviewed",
        reviewer_role=REVIEWER_ROLE,
        date=day.isoformat(),
        content_hash=expected_hash,
        workshop=record,
        comments=card.review.comments,
    )
    _write_checked(path, raw, _with_review(raw, review), rule_id, review)


def _record(rule_id: str, verdict: PanelVerdict) -> WorkshopRecord:
    """The verdict as the record the file will hold, refused unless it is a consensus."""
    if verdict.voters < 1 or verdict.agree * 100 < verdict.threshold * verdict.voters:
        raise SignOffError(
            f"{rule_id} did not reach consensus in round {verdict.round} of {verdict.session} "
            f"({verdict.agree} of {verdict.voters} agreed, threshold {verdict.threshold}%): "
            "nothing was written."
        )
    try:
        return WorkshopRecord.model_validate(
            {
                "session": verdict.session,
                "round": verdict.round,
                "panel": verdict.panel,
                "agree": verdict.agree,
                "voters": verdict.voters,
                "threshold": verdict.threshold,
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise SignOffError(
            f"the verdict on {rule_id} is not a valid workshop record ({where}: "
            f"{first['msg'].removeprefix('Value error, ')})."
        ) from None


def _card(path: Path, rule_id: str) -> RuleFile:
    """The rule card in ``path``, read and validated as the pack loader reads it."""
    doc = read_document(path)
    if isinstance(doc, Problem):
        raise SignOffError(f"{display_path(path)} cannot be read: {doc.message}.")
    try:
        card = RuleFile.model_validate(doc.data)
    except ValidationError as exc:
        raise SignOffError(
            f"{display_path(path)} is not a valid rule ({exc.error_count()} problems; "
            "'endodecide rules lint' lists them): fix it before signing it off."
        ) from None
    if card.id != rule_id:
        raise SignOffError(f"{display_path(path)} holds rule {card.id}, not {rule_id}.")
    return card


def _with_review(raw: bytes, review: Review) -> bytes:
    """``raw`` with its review record's lines replaced by ``review`` (appended before
    ``examples``, or at the end, when the file has none); every other line kept as it is."""
    bom = raw.startswith(codecs.BOM_UTF8)
    text = raw.decode("utf-8-sig")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    data = _yaml().load(text)
    start, end = _review_span(data, lines)
    old = data.get("review")
    comments = old.get("comments") if isinstance(old, CommentedMap) else None
    block = _dump_review(review, comments).replace("\n", newline)
    if start > 0 and not lines[start - 1].endswith(("\n", "\r")):
        lines[start - 1] += newline  # the file's last line had no line break
    new_text = "".join(lines[:start]) + block + "".join(lines[end:])
    return (codecs.BOM_UTF8 if bom else b"") + new_text.encode("utf-8")


def _review_span(data: CommentedMap, lines: list[str]) -> tuple[int, int]:
    """The 0-based lines [start, end) the review record occupies: from its key to its last
    line of content. Comments and blank lines after it stay where they are: ruamel attaches
    them to the last value of the review, but they introduce what follows."""
    keys = list(data)
    if "review" not in data:
        start = data.lc.key("examples")[0] if "examples" in data else len(lines)
        return start, start
    start = data.lc.key("review")[0]
    after = keys.index("review") + 1
    end = data.lc.key(keys[after])[0] if after < len(keys) else len(lines)
    while end > start + 1 and _blank_or_comment(lines[end - 1]):
        end -= 1
    return start, end


def _blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _dump_review(review: Review, comments: Any) -> str:
    """The ``review:`` block as YAML text, comments in the style they were written in."""
    block = CommentedMap(
        [
            ("status", review.status),
            ("reviewer_role", review.reviewer_role),
            ("date", review.date),
            ("content_hash", review.content_hash),
        ]
    )
    if review.workshop is not None:
        block["workshop"] = _workshop(review.workshop)
    if comments is not None:
        block["comments"] = _comments(comments)
    out = io.StringIO()
    _yaml().dump(CommentedMap([("review", block)]), out)
    return out.getvalue()


def _workshop(record: WorkshopRecord) -> CommentedMap:
    """The workshop record in the order the README documents, its panel on one line."""
    panel = CommentedMap(sorted(record.panel.items(), key=lambda item: ROLES.index(item[0])))
    panel.fa.set_flow_style()
    return CommentedMap(
        [
            ("session", record.session),
            ("round", record.round),
            ("panel", panel),
            ("agree", record.agree),
            ("voters", record.voters),
            ("threshold", record.threshold),
        ]
    )


def _comments(old: Any) -> CommentedSeq:
    """The review's comments as they were written (folded, quoted, flow), without the YAML
    comments ruamel attached to them: those are kept in place in the original lines."""
    seq = CommentedSeq(list(old))
    if not seq or (isinstance(old, CommentedSeq) and old.fa.flow_style()):
        seq.fa.set_flow_style()
    return seq


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)  # the rule files' style
    yaml.width = 96
    return yaml


def _write_checked(path: Path, raw: bytes, new: bytes, rule_id: str, review: Review) -> None:
    """Replace ``path`` by ``new`` atomically, once ``new`` is proven to be the same card with
    the new review; on any failure the original is untouched and no temporary file is left."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(new)
            stream.flush()
            os.fsync(stream.fileno())
        temp.chmod(stat.S_IMODE(path.stat().st_mode))
        _check_written(temp, rule_id, review)
        _unchanged(path, raw, rule_id)
        temp.replace(path)  # os.replace: atomic within one folder
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


def _unchanged(path: Path, raw: bytes, rule_id: str) -> None:
    if path.read_bytes() != raw:
        raise SignOffError(
            f"{display_path(path)} changed while {rule_id} was being signed off: "
            "reload and vote again."
        )


def _check_written(temp: Path, rule_id: str, review: Review) -> None:
    """The rewritten file must hold the signed content (same hash) and exactly ``review``."""
    doc = read_document(temp)
    card = None
    if not isinstance(doc, Problem):
        with contextlib.suppress(ValidationError):
            card = RuleFile.model_validate(doc.data)
    if card is None or content_hash(card) != review.content_hash or card.review != review:
        raise SignOffError(
            f"writing the sign-off of {rule_id} would change more than its review record, so "
            "nothing was written: record it by hand (see rules/README.md)."
        )
