"""The pipeline for one profile: facts → engine → derived facts, flags, options with citations."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from endodecide.engine import Engine, Evaluation, Firing
from endodecide.facts import VOCABULARY, describe_value, line_facts, patient_fact
from endodecide.nearmiss import near_misses
from endodecide.profile import Profile
from endodecide.result import (
    Change,
    Citation,
    DerivedFact,
    Flag,
    Option,
    PackInfo,
    ProfileResult,
    Reason,
)
from endodecide.rulepack import RulePack
from endodecide.rulepack.conditions import plain_words
from endodecide.rulepack.schema import OptionAdjustment
from endodecide.rulepack.timeline import history
from endodecide.summary import summarise

__all__ = ["CACHE_LIMIT", "Evaluator", "pack_info"]

CACHE_LIMIT = 8_192  # entries per result cache: about 30 MB when all are full
_STATUS_ORDER = {"standard": 0, "investigational": 1, "deferred": 2, "evidence_against": 3}
_SEVERITY_ORDER = {"out_of_scope": 0, "warning": 1, "info": 2}


def pack_info(pack: RulePack) -> PackInfo:
    m = pack.manifest
    info = PackInfo(
        name=m.name,
        title=m.title,
        version=m.version,
        evidence_as_of=pack.date.isoformat(),
        fingerprint=pack.fingerprint,
    )
    if pack.as_of:
        info._later_date = pack.as_of
    return info


class Evaluator:
    """Evaluates profiles against one compiled rule pack, one after another."""

    def __init__(self, pack: RulePack, cache_limit: int = CACHE_LIMIT) -> None:
        self.pack = pack
        self.cache_limit = cache_limit
        derives = {
            rule_id: rule.card.then.derive
            for rule_id, rule in pack.rules.items()
            if rule.card.then.derive is not None
        }
        program = pack.program  # reasons compiled in by the compiler at load
        self.engine = Engine(program)
        self._citations = {
            entry_id: Citation(
                id=e.id,
                short_name=e.short_name,
                citation=e.citation,
                year=e.year,
                after_evidence_date=pack.after_evidence_date(e),
                pmid=e.pmid,
                doi=e.doi,
                url=e.url,
                design=e.design,
                n=e.n,
                result=e.result,
                primary_endpoint_met=e.primary_endpoint_met,
            )
            for entry_id, e in pack.evidence.entries.items()
        }
        # What does not depend on the profile is built (and validated) once per rule; results
        # are then assembled with model_copy / model_construct, which skip re-validation.
        self._option_templates = {
            rule_id: self._option_template(rule_id)
            for rule_id, rule in pack.rules.items()
            if rule.card.then.option is not None
        }
        self._flags = {
            rule_id: Flag(
                rule=rule_id,
                title=rule.card.title,
                severity=rule.card.then.flag.severity,
                message=rule.card.then.flag.message,
                evidence=self._cite(rule.card.evidence),
                timeline=self._timeline(rule_id),
            )
            for rule_id, rule in pack.rules.items()
            if rule.card.then.flag is not None
        }
        self._adjustments = {
            rule_id: rule.card.then.flag.adjusts_options
            for rule_id, rule in pack.rules.items()
            if rule.card.then.flag is not None and rule.card.then.flag.adjusts_options
        }
        self._agents = {
            rule_id: frozenset(rule.card.then.option.agents)
            for rule_id, rule in pack.rules.items()
            if rule.card.then.option is not None
        }
        self._order = {name: index for index, name in enumerate(VOCABULARY)}
        self._option_rank = {  # after the status it is shown with (a flag may defer it)
            rule_id: (pack.strategy_rank(option.strategy), rule_id)
            for rule_id, option in self._option_templates.items()
        }
        # Per derive rule: its compiled reason, the (fact, value) it concludes, and the alias of
        # its matched line (None: the rule has no line condition).
        self._derive_rules = {
            rule_id: (program.reasons[rule_id], (d.fact, d.value), program.bindings[rule_id].line)
            for rule_id, d in derives.items()
        }
        # Per option rule: the aliases of the derived facts it requires (what it is based on).
        self._required = {
            rule_id: program.bindings[rule_id].derived for rule_id in self._option_templates
        }
        # Results repeat across profiles: identical pieces are built once and shared (they are
        # immutable). Each cache is emptied when it reaches cache_limit, so memory stays bounded.
        # Invariant of every cache: its key is made of values only (rule ids, fact names and
        # values, reason texts; never an object's identity) and holds everything its entry is
        # built from, so equal keys mean equal entries, whichever profile built the entry.
        self._reason_cache: dict[tuple[Any, ...], Reason] = {}
        self._derived_cache: dict[tuple[Any, ...], DerivedFact] = {}
        self._option_cache: dict[tuple[Any, ...], Option] = {}
        self._derived_lists: dict[tuple[Any, ...], list[DerivedFact]] = {}

    def run_engine(self, profile: Profile, label: str = "profile") -> Evaluation:
        return self.engine.evaluate([patient_fact(profile), *line_facts(profile)], label)

    def fired_rules(self, profile: Profile) -> set[str]:
        """Ids of every rule that fired on ``profile`` (derive, option and flag rules)."""
        return {firing.rule_id for firing in self.run_engine(profile).firings}

    def evaluate(
        self, profile: Profile, source: str = "<profile>", explain: bool = False
    ) -> ProfileResult:
        """The result for one profile; ``explain`` adds near misses (considered, not offered)."""
        return self.evaluate_traced(profile, source, explain)[0]

    def evaluate_traced(
        self, profile: Profile, source: str = "<profile>", explain: bool = False
    ) -> tuple[ProfileResult, Evaluation]:
        """The result and the engine's trace it was built from (every firing, every derived
        fact), for tools that need both, such as coverage."""
        for cache in (
            self._reason_cache,
            self._derived_cache,
            self._option_cache,
            self._derived_lists,
        ):
            if len(cache) >= self.cache_limit:
                cache.clear()
        patient, lines = patient_fact(profile), line_facts(profile)
        evaluation = self.engine.evaluate([patient, *lines], source)
        reasons = self._reasons(evaluation.firings)
        by_rule: dict[str, list[Firing]] = defaultdict(list)
        for firing in evaluation.firings:
            by_rule[firing.rule_id].append(firing)
        options, flags = [], []
        for rule_id in sorted(by_rule):
            if rule_id in self._option_templates:
                options.append(self._option(rule_id, by_rule[rule_id], reasons))
            elif rule_id in self._flags:
                flags.append(self._flags[rule_id])
        flags.sort(key=lambda f: (_SEVERITY_ORDER[f.severity], f.rule))
        for flag in flags:
            adjustment = self._adjustments.get(flag.rule)
            if adjustment is not None:
                options = [self._adjusted(o, flag.rule, adjustment) for o in options]
        options.sort(key=lambda o: (_STATUS_ORDER[o.status], *self._option_rank[o.rule]))
        misses = (
            near_misses(
                self.pack,
                set(by_rule),
                patient,
                lines,
                frozenset((fact["name"], fact["value"]) for fact in evaluation.derived),
                self._cite,
            )
            if explain
            else []
        )
        result = ProfileResult.model_construct(
            source=source,
            label=profile.label,
            teaching_note=profile.teaching_note,
            summary=summarise(profile),
            derived_facts=self._derived(evaluation, reasons),
            flags=flags,
            options=options,
            near_misses=misses,
        )
        return result, evaluation

    def _adjusted(self, option: Option, flag_rule: str, adjustment: OptionAdjustment) -> Option:
        """``option`` as a fired flag adjusts it (status, an added caution), or unchanged."""
        agents = self._agents[option.rule]
        own_status = option.status_before_adjustment or option.status  # flags commute
        if (
            own_status not in adjustment.statuses
            or agents.intersection(adjustment.skip_if_agents_include)
            or (
                adjustment.only_if_agents_within
                and not agents.issubset(adjustment.only_if_agents_within)
            )
        ):
            return option
        update: dict[str, Any] = {
            "cautions": [*option.cautions, f"{adjustment.caution} [{flag_rule}]"],
            "adjusted_by": [*option.adjusted_by, flag_rule],
        }
        if adjustment.to_status is not None:
            update["status"] = adjustment.to_status
            update["status_before_adjustment"] = own_status
        return option.model_copy(update=update)

    def _cite(self, ids: list[str]) -> list[Citation]:
        return [self._citations[i] for i in ids]

    def _reasons(self, firings: list[Firing]) -> dict[tuple[str, str, int], Reason]:
        """(fact, value, line) → the reason of the derive firing that concluded it."""
        found: dict[tuple[str, str, int], Reason] = {}
        derive_rules, cache = self._derive_rules, self._reason_cache
        for rule_id, facts in firings:
            spec = derive_rules.get(rule_id)
            if spec is None:
                continue  # not a derive rule
            reason_format, (fact, value), line_alias = spec
            values = [facts[alias].get(name, "?") for alias, name in reason_format.fields]
            key = (rule_id, *map(_hashable, values))  # the text depends on these alone
            reason = cache.get(key)
            if reason is None:
                text = reason_format.fill([describe_value(v) for v in values])
                reason = cache[key] = Reason.model_construct(rule=rule_id, text=text)
            line = facts[line_alias]["index"] if line_alias is not None else -1
            found.setdefault((fact, value, line), reason)
        return found

    def _derived(
        self, evaluation: Evaluation, reasons: dict[tuple[str, str, int], Reason]
    ) -> list[DerivedFact]:
        # Each derived fact (name, value, line) with the rule and text of its reason, in the
        # engine's order: everything the list is built from.
        signature = []
        for derived in evaluation.derived:
            concluded = (derived["name"], derived["value"], derived["line"])
            reason = reasons[concluded]
            signature.append((concluded, reason.rule, reason.text))
        cached = self._derived_lists.get(tuple(signature))
        if cached is not None:
            return list(cached)  # a list of its own: results never share a mutable list
        grouped: dict[tuple[str, str], dict[tuple[str, str], Reason]] = defaultdict(dict)
        for concluded, rule, text in signature:
            grouped[concluded[:2]].setdefault((rule, text), reasons[concluded])
        facts: list[DerivedFact] = []
        for (name, value), because in sorted(
            grouped.items(), key=lambda kv: (self._order[kv[0][0]], kv[0][1])
        ):
            named = sorted(because)  # (rule, text) of each reason
            key = (name, value, *named)
            fact = self._derived_cache.get(key)
            if fact is None:
                fact = self._derived_cache[key] = DerivedFact.model_construct(
                    name=name,
                    label=VOCABULARY[name].label,
                    value=value,
                    value_label=describe_value(value),
                    because=[because[k] for k in named],
                )
            facts.append(fact)
        self._derived_lists[tuple(signature)] = facts
        return list(facts)

    def _option_template(self, rule_id: str) -> Option:
        rule = self.pack.rules[rule_id]
        spec = rule.card.then.option
        assert spec is not None
        strategy = self.pack.strategy(rule.card.strategy)
        return Option(
            rule=rule_id,
            title=rule.card.title,
            strategy=strategy.id,
            strategy_title=strategy.title,
            regimen=spec.regimen,
            agents=list(spec.agents),
            mechanism=spec.mechanism,
            status=spec.status,
            cautions=list(spec.cautions),
            evidence=self._cite(rule.card.evidence),
            contrary_evidence=self._cite(rule.card.contrary_evidence),
            matched_conditions=[plain_words(item) for item in rule.when],
            based_on=[],
            timeline=self._timeline(rule_id),
        )

    def _timeline(self, rule_id: str) -> list[Change]:
        """The rule's changes known by the pack's date (a rule in force has not retired)."""
        return [
            Change(
                date=str(event.when),
                kind=event.kind,  # type: ignore[arg-type]
                status=event.status,  # type: ignore[arg-type]
                why=event.why if event.kind != "since" else "came into force",
                evidence=list(event.evidence),
            )
            for event in history(self.pack.every_rule[rule_id].card)
            if event.when.known_by(self.pack.date) and event.kind != "retired"
        ]

    def _option(
        self, rule_id: str, firings: list[Firing], reasons: dict[tuple[str, str, int], Reason]
    ) -> Option:
        based_on: dict[tuple[str, str], Reason] = {}
        required = self._required[rule_id]
        for firing in firings:
            for alias in required:
                fact = firing.facts[alias]
                reason = reasons[(fact["name"], fact["value"], fact["line"])]
                based_on.setdefault((reason.rule, reason.text), reason)
        named = sorted(based_on)  # (rule, text) of each reason
        key = (rule_id, *named)
        option = self._option_cache.get(key)
        if option is None:
            option = self._option_cache[key] = self._option_templates[rule_id].model_copy(
                update={"based_on": [based_on[k] for k in named]}
            )
        return option


def _hashable(value: Any) -> Any:
    return tuple(value) if type(value) is list else value
