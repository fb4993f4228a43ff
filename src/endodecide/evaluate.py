"""The pipeline for one profile: facts → engine → derived facts, flags, options with citations."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from endodecide.engine import Engine, Evaluation, Firing
from endodecide.facts import VOCABULARY, describe_value, line_facts, patient_fact
from endodecide.nearmiss import near_misses
from endodecide.profile import Profile
from endodecide.result import (
    Citation,
    DerivedFact,
    Flag,
    Option,
    PackInfo,
    ProfileResult,
    Reason,
)
from endodecide.rulebook import RulePack
from endodecide.rulebook.check import PLACEHOLDER
from endodecide.rulebook.compile import LINE, PATIENT
from endodecide.rulebook.conditions import plain_words
from endodecide.summary import summarise

__all__ = ["Evaluator", "pack_info"]

_STATUS_ORDER = {"standard": 0, "investigational": 1, "evidence_against": 2}
_SEVERITY_ORDER = {"out_of_scope": 0, "warning": 1, "info": 2}


def pack_info(pack: RulePack) -> PackInfo:
    m = pack.manifest
    return PackInfo(
        name=m.name,
        title=m.title,
        version=m.version,
        evidence_as_of=m.evidence_as_of,
        fingerprint=pack.fingerprint,
    )


class Evaluator:
    """Evaluates profiles against one compiled rule pack, one after another."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self.engine = Engine(pack.program)
        evidence_year = int(pack.manifest.evidence_as_of[:4])
        self._citations = {
            entry_id: Citation(
                id=e.id,
                short_name=e.short_name,
                citation=e.citation,
                year=e.year,
                after_evidence_date=e.year > evidence_year,
                pmid=e.pmid,
                doi=e.doi,
                url=e.url,
                design=e.design,
                n=e.n,
                result=e.result,
                primary_endpoint_met=e.primary_endpoint_met,
            )
            for entry_id, e in pack.catalogue.entries.items()
        }

    def run_engine(self, profile: Profile, label: str = "profile") -> Evaluation:
        return self.engine.evaluate([patient_fact(profile), *line_facts(profile)], label)

    def fired_rules(self, profile: Profile) -> set[str]:
        """Ids of every rule that fired on ``profile`` (derive, option and flag rules)."""
        return {firing.rule_id for firing in self.run_engine(profile).firings}

    def evaluate(self, profile: Profile, source: str = "<profile>") -> ProfileResult:
        patient, lines = patient_fact(profile), line_facts(profile)
        evaluation = self.engine.evaluate([patient, *lines], source)
        reasons = self._reasons(evaluation.firings)
        by_rule: dict[str, list[Firing]] = defaultdict(list)
        for firing in evaluation.firings:
            by_rule[firing.rule_id].append(firing)
        options, flags = [], []
        for rule_id in sorted(by_rule):
            rule = self.pack.rules[rule_id]
            then = rule.card.then
            if then.option is not None:
                options.append(self._option(rule_id, by_rule[rule_id], reasons))
            elif then.flag is not None:
                flags.append(
                    Flag(
                        rule=rule_id,
                        title=rule.card.title,
                        severity=then.flag.severity,
                        message=then.flag.message,
                        evidence=self._cite(rule.card.evidence),
                    )
                )
        options.sort(
            key=lambda o: (_STATUS_ORDER[o.status], self.pack.strategy_rank(o.strategy), o.rule)
        )
        flags.sort(key=lambda f: (_SEVERITY_ORDER[f.severity], f.rule))
        return ProfileResult(
            source=source,
            label=profile.label,
            teaching_note=profile.teaching_note,
            summary=summarise(profile),
            derived_facts=self._derived(evaluation, reasons),
            flags=flags,
            options=options,
            near_misses=near_misses(
                self.pack,
                set(by_rule),
                patient,
                lines,
                frozenset((fact["name"], fact["value"]) for fact in evaluation.derived),
                self._cite,
            ),
        )

    def _cite(self, ids: list[str]) -> list[Citation]:
        return [self._citations[i] for i in ids]

    def _reasons(self, firings: list[Firing]) -> dict[tuple[str, str, int], Reason]:
        """(fact, value, line) → the reason of the derive firing that concluded it."""
        found: dict[tuple[str, str, int], Reason] = {}
        for firing in firings:
            derive = self.pack.rules[firing.rule_id].card.then.derive
            if derive is None:
                continue
            line = firing.facts.get(LINE, {}).get("index", -1)
            text = _render(derive.reason, firing.facts)
            found.setdefault(
                (derive.fact, derive.value, line), Reason(rule=firing.rule_id, text=text)
            )
        return found

    def _derived(
        self, evaluation: Evaluation, reasons: dict[tuple[str, str, int], Reason]
    ) -> list[DerivedFact]:
        grouped: dict[tuple[str, str], list[Reason]] = defaultdict(list)
        for fact in evaluation.derived:
            key = (fact["name"], fact["value"], fact["line"])
            reason = reasons[key]
            if reason not in grouped[key[:2]]:
                grouped[key[:2]].append(reason)
        order = list(VOCABULARY)
        facts = []
        for (name, value), because in sorted(
            grouped.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])
        ):
            facts.append(
                DerivedFact(
                    name=name,
                    label=VOCABULARY[name].label,
                    value=value,
                    value_label=describe_value(value),
                    because=sorted(because, key=lambda r: (r.rule, r.text)),
                )
            )
        return facts

    def _option(
        self, rule_id: str, firings: list[Firing], reasons: dict[tuple[str, str, int], Reason]
    ) -> Option:
        rule = self.pack.rules[rule_id]
        spec = rule.card.then.option
        assert spec is not None
        based_on: list[Reason] = []
        for firing in firings:
            for alias, fact in firing.facts.items():
                if alias.startswith("d"):
                    reason = reasons[(fact["name"], fact["value"], fact["line"])]
                    if reason not in based_on:
                        based_on.append(reason)
        strategy = self.pack.strategy(rule.card.strategy)
        return Option(
            rule=rule_id,
            title=rule.card.title,
            strategy=strategy.id,
            strategy_title=strategy.title,
            regimen=spec.regimen,
            mechanism=spec.mechanism,
            status=spec.status,
            cautions=list(spec.cautions),
            evidence=self._cite(rule.card.evidence),
            contrary_evidence=self._cite(rule.card.contrary_evidence),
            matched_conditions=[plain_words(item) for item in rule.when],
            based_on=sorted(based_on, key=lambda r: (r.rule, r.text)),
        )


def _render(template: str, bound: dict[str, dict[str, Any]]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        spec = VOCABULARY[name]
        fact = bound.get(LINE if spec.source == "line" else PATIENT, {})
        return describe_value(fact.get(spec.field, "?"))

    return PLACEHOLDER.sub(value, template)
