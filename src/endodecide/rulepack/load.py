"""Reading ``rules/``: manifest, evidence catalogue and rule files, checked and compiled."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from datetime import date
from pathlib import Path

from endodecide.dates import PartialDate
from endodecide.errors import Problem, RulePackError, display_path
from endodecide.evidence import EvidenceCatalogue, load_evidence
from endodecide.profile import profile_from_data
from endodecide.rulepack.cache import cache_key, load_cached, store
from endodecide.rulepack.check import check_pack, check_rule
from endodecide.rulepack.compile import compile_program, compute_strata
from endodecide.rulepack.conditions import Condition, ConditionError, Group, parse_when
from endodecide.rulepack.invariants import INVARIANTS, InvariantSet, load_invariants
from endodecide.rulepack.model import Example, Limitation, Rule, RulePack
from endodecide.rulepack.program import Program
from endodecide.rulepack.schema import PackManifest, RuleFile
from endodecide.rulepack.timeline import check_directions, check_timeline, in_force, rule_at
from endodecide.sources import Document, read_document
from endodecide.validation import validate_model

__all__ = [
    "CATALOGUE",
    "MANIFEST",
    "default_rules_dir",
    "load_pack",
    "pack_at",
    "rule_files",
]

MANIFEST, CATALOGUE = "pack.yaml", "evidence.yaml"
_NOT_RULES = {MANIFEST, CATALOGUE, INVARIANTS}


def rule_files(root: Path) -> list[Path]:
    """Every rule file under ``root``, in a stable order."""
    return sorted(
        path
        for path in root.rglob("*.yaml")
        if path.is_file() and path.relative_to(root).as_posix() not in _NOT_RULES
    )


def _manifest(root: Path) -> tuple[PackManifest, Document] | list[Problem]:
    doc = read_document(root / MANIFEST)
    if isinstance(doc, Problem):
        return [doc]
    manifest = validate_model(doc, PackManifest, doc.data)
    return manifest if isinstance(manifest, list) else (manifest, doc)


def _strategies_without_rules(
    manifest: PackManifest, doc: Document, rules: list[Rule]
) -> list[Problem]:
    used = {r.card.strategy for r in rules}
    return [
        doc.problem(
            ("strategies", index, "id"),
            f"strategy '{strategy.id}' has no rule; every strategy of the pack needs one",
            "E434",
        )
        for index, strategy in enumerate(manifest.strategies)
        if strategy.id not in used
    ]


def content_hash(card: RuleFile) -> str:
    """A hash of everything a reviewer signs off: the card without its review record."""
    payload = card.model_dump(mode="json", exclude={"review"})
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]


def _read_rule(doc: Document) -> Rule | list[Problem]:
    card = (
        validate_model(doc, RuleFile, doc.data)
        if isinstance(doc.data, dict)
        else [doc.problem((), "a rule file is a mapping with id, title, when, then, ...", "E400")]
    )
    if isinstance(card, list):
        return card
    try:
        when = parse_when(card.when, ("when",))
    except ConditionError as exc:
        return [doc.problem(exc.loc, exc.message, exc.code)]
    problems: list[Problem] = []
    examples: list[Example] = []
    for group, fires in (("fires", True), ("does_not_fire", False)):
        for index, raw in enumerate(getattr(card.examples, group)):
            loc = ("examples", group, index)
            profile = profile_from_data(doc, raw, loc)
            if isinstance(profile, list):
                problems.extend(profile)
            else:
                examples.append(Example(profile, fires, doc.line_of(loc)))
    if problems:
        return problems
    field_lines = {
        key: line for (key, *rest), line in doc.lines.items() if not rest and isinstance(key, str)
    }
    return Rule(
        card,
        doc.name,
        doc.line_of(("id",)) or 1,
        when,
        content_hash(card),
        examples,
        field_lines=field_lines,
    )


def _fingerprint(root: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def load_pack(root: Path, as_of: date | None = None) -> RulePack:
    """Load, check and compile a rule pack; raise RulePackError listing every problem.

    The pack answers as the evidence stood on ``as_of`` (default: the pack's evidence date,
    ``evidence_as_of`` in pack.yaml). A pack that loaded cleanly before, with the same files and
    code, comes from the cache.
    """
    pack = _load_cached(root)
    return pack if as_of is None or as_of == pack.evidence_date else pack_at(pack, as_of)


def _load_cached(root: Path) -> RulePack:
    if not root.is_dir():
        raise RulePackError(
            [Problem(display_path(root), None, "", "rule folder not found", "E100")]
        )
    files = [root / MANIFEST, root / CATALOGUE, *_invariants_file(root), *rule_files(root)]
    key = None
    if all(path.is_file() for path in files[:2]):
        key = cache_key(root, files)
        cached = load_cached(key)
        if cached is not None:
            return cached
    pack = _load(root)
    if key is not None:
        store(key, pack)
    return pack


def _load(root: Path) -> RulePack:
    read = _manifest(root)
    evidence: EvidenceCatalogue | list[Problem] = load_evidence(root / CATALOGUE)
    problems: list[Problem] = []
    for part in (read, evidence):
        if isinstance(part, list):
            problems.extend(part)
    if isinstance(read, list) or isinstance(evidence, list):
        raise RulePackError(problems)
    manifest, manifest_doc = read
    files = rule_files(root)
    rules: list[Rule] = []
    for path in files:
        doc = read_document(path)
        rule = [doc] if isinstance(doc, Problem) else _read_rule(doc)
        if isinstance(rule, list):
            problems.extend(rule)
        else:
            problems.extend(check_rule(rule, manifest, evidence))
            rules.append(rule)
    complete = len(rules) == len(files)
    evidence_date = date.fromisoformat(manifest.evidence_as_of)
    # ids as written and as file names say (a misnamed file is its own error, E420, not a
    # cascade of unknown-rule errors wherever the id is named)
    rule_ids = {r.id for r in rules} | {path.name.split("-", 1)[0] for path in files}
    for rule in rules:
        problems.extend(
            check_timeline(rule, evidence_date, evidence, rule_ids if complete else None)
        )
    problems.extend(
        check_directions(
            manifest,
            evidence,
            rule_ids if complete else None,
            manifest_doc.name,
            manifest_doc.line_of,
        )
    )
    invariants = load_invariants(
        root,
        evidence,
        {
            r.id: (r.card.then.derive.value, r.when)
            for r in rules
            if r.card.then.derive is not None and r.card.then.derive.fact == "progressed_on"
        },
    )
    if isinstance(invariants, list):
        problems.extend(invariants)
        invariants = InvariantSet()
    cited_by_invariants = frozenset(
        ref for invariant in invariants.invariants for ref in invariant.spec.evidence
    ) | frozenset(
        ref
        for refs in (
            *(change.evidence for r in rules for change in r.card.timeline),
            *(direction.evidence for direction in manifest.directions),
        )
        for ref in refs
    )
    problems.extend(check_pack(rules, evidence, complete, cited_by_invariants))
    if complete and rules:
        problems.extend(_strategies_without_rules(manifest, manifest_doc, rules))
    if not rules and not problems:
        problems.append(Problem(display_path(root), None, "", "no rule files found", "E401"))
    if problems:
        raise RulePackError(problems)
    when = {r.id: r.when for r in rules}
    derives = {r.id: r.card.then.derive.fact for r in rules if r.card.then.derive}
    strata = compute_strata(when, derives)
    if isinstance(strata, list):
        # one problem per cycle, at the first rule on it; rules downstream are not to blame
        rule_by_id = {r.id: r for r in rules}
        raise RulePackError(
            [
                Problem(
                    rule_by_id[cycle.first].source,
                    rule_by_id[cycle.first].line,
                    "when",
                    cycle.message,
                    "E433",
                )
                for cycle in strata
            ]
        )
    every = {r.id: _with_stratum(r, strata[r.id]) for r in sorted(rules, key=lambda r: r.id)}
    all_files = [root / MANIFEST, root / CATALOGUE, *_invariants_file(root), *files]
    return _at(
        RulePack(
            display_path(root),
            manifest,
            evidence,
            every,
            _compile(manifest.name, list(every.values())),
            _fingerprint(root, all_files),
            _limitations(manifest, manifest_doc),
            invariants,
            all_rules=every,
            all_limitations=_limitations(manifest, manifest_doc),
        ),
        evidence_date,
    )


def _compile(name: str, rules: list[Rule]) -> Program:
    when = {r.id: r.when for r in rules}
    values = {
        r.id: (r.card.then.derive.fact, r.card.then.derive.value)
        for r in rules
        if r.card.then.derive
    }
    reasons = {r.id: r.card.then.derive.reason for r in rules if r.card.then.derive}
    return compile_program(name, when, values, {r.id: r.stratum for r in rules}, reasons)


def pack_at(pack: RulePack, day: date) -> RulePack:
    """The pack as the evidence stood on ``day``: only rules in force then, each with the
    status, cautions and message its timeline gives it by then (see rulepack/timeline.py)."""
    if day == pack.date:
        return pack
    return _at(pack, day)


def _at(pack: RulePack, day: date) -> RulePack:
    every = pack.every_rule
    chosen = {rule_id: rule for rule_id, rule in every.items() if in_force(rule.card, day)}
    derivable = {
        (rule.card.then.derive.fact, rule.card.then.derive.value)
        for rule in chosen.values()
        if rule.card.then.derive is not None
    }
    rules = {
        rule_id: dataclasses.replace(
            rule,
            card=rule_at(rule.card, day),
            when=[item for item in rule.when if not _vacuous(item, derivable)],
        )
        for rule_id, rule in chosen.items()
    }
    limitations = [
        limitation
        for limitation in pack.all_limitations or pack.limitations
        if limitation.since is None or PartialDate.parse(limitation.since).known_by(day)
    ]
    return dataclasses.replace(
        pack,
        rules=rules,
        limitations=limitations,
        all_limitations=pack.all_limitations or pack.limitations,
        program=_compile(pack.manifest.name, list(rules.values())),
        all_rules=every,
        as_of="" if day == pack.evidence_date else day.isoformat(),
    )


def _invariants_file(root: Path) -> list[Path]:
    path = root / INVARIANTS
    return [path] if path.is_file() else []


def _limitations(manifest: PackManifest, doc: Document) -> list[Limitation]:
    found, problems = [], []
    for index, spec in enumerate(manifest.known_limitations):
        base = ("known_limitations", index, "when")
        try:
            found.append(
                Limitation(
                    spec.id, spec.title, spec.summary, parse_when(spec.when, base), spec.since
                )
            )
        except ConditionError as exc:
            problems.append(doc.problem(exc.loc, exc.message, exc.code))
    if problems:
        raise RulePackError(problems)
    return found


def _with_stratum(rule: Rule, stratum: int) -> Rule:
    return dataclasses.replace(rule, stratum=stratum)


def _vacuous(item: Condition | Group, derivable: set[tuple[str, str]]) -> bool:
    """A negated condition on derived values no rule in force can conclude on this date (a
    rule of 2014 excluding progression on a drug class whose derive rule starts later): it
    always holds then, so it is left out of the program and of the explanation."""
    return (
        isinstance(item, Condition)
        and item.fact.source == "derived"
        and item.negated
        and not any((item.fact.name, str(value)) in derivable for value in item.values)
    )


def default_rules_dir() -> Path:
    """``$ENDODECIDE_RULES``, else ``./rules`` when it holds a pack, else the repository's rules."""

    if os.environ.get("ENDODECIDE_RULES"):
        return Path(os.environ["ENDODECIDE_RULES"])
    here = Path.cwd() / "rules"
    if (here / MANIFEST).is_file():
        return here
    return Path(__file__).resolve().parents[3] / "rules"
