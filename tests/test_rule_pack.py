"""The complete rule pack: every strategy of the review has its rule, evidence and teaching case."""

from __future__ import annotations

import re

import pytest

from endodecide.evaluate import Evaluator
from endodecide.profile import load_profile
from endodecide.render.evidence import cited_by
from endodecide.result import ProfileResult
from endodecide.rulepack import RulePack
from tests.goldens import profile_files

OE, STD, INV, AGAINST = "optimise-endocrine", "standard", "investigational", "evidence_against"

# The review's strategies as the rule-pack issue lists them: (topic, rule, strategy, status,
# evidence the rule must cite). "flag" marks the ESR1 note, which is information, not an option.
REVIEW_STRATEGIES = [
    ("aromatase inhibitor first line", "ED101", OE, STD, "mouridsen-2003"),
    ("tamoxifen", "ED102", OE, STD, "tamrad"),
    ("aromatase inhibitor after tamoxifen", "ED103", OE, STD, "mauri-2006"),
    ("fulvestrant 500 vs 250 mg", "ED110", OE, STD, "confirm-os"),
    ("fulvestrant vs anastrozole first line", "ED111", OE, INV, "first"),
    ("AI + fulvestrant, positive trial", "ED112", OE, INV, "swog-s0226"),
    ("AI + fulvestrant, negative trial", "ED112", OE, INV, "fact"),
    ("steroidal AI after non-steroidal AI", "ED113", OE, STD, "sofea"),
    ("high- vs low-dose estradiol", "ED115", OE, INV, "estradiol-6-vs-30"),
    ("ovarian function suppression", "ED120", OE, STD, "klijn-2001"),
    ("everolimus + exemestane", "ED210", "mtor", STD, "bolero-2-pfs"),
    ("tamoxifen + everolimus after AI", "ED211", "mtor", INV, "tamrad"),
    ("temsirolimus + letrozole", "ED212", "mtor", AGAINST, "horizon"),
    ("PI3K/AKT inhibitors", "ED250", "pi3k-akt", INV, "fergi"),
    ("palbociclib + letrozole", "ED310", "cell-cycle", INV, "paloma-1"),
    ("trastuzumab + AI", "ED410", "growth-factor", STD, "tandem"),
    ("lapatinib + AI", "ED411", "growth-factor", STD, "egf30008"),
    ("gefitinib + tamoxifen or AI", "ED420", "growth-factor", INV, "gefitinib-anastrozole"),
    ("gefitinib after an AI", "ED421", "growth-factor", AGAINST, "gefitinib-tamoxifen"),
    ("ganitumab (IGF-1R)", "ED430", "growth-factor", AGAINST, "ganitumab"),
    ("Src inhibitors", "ED440", "growth-factor", INV, "bosutinib-exemestane"),
    ("entinostat + exemestane", "ED510", "epigenetic", INV, "encore-301"),
    ("vorinostat", "ED511", "epigenetic", INV, "vorinostat-tamoxifen"),
    ("bevacizumab", "ED610", "angiogenesis", INV, "calgb-40503"),
    ("ESR1 mutations", "ED710", "esr1", "flag", "esr1-toy-2013"),
]  # fmt: skip

# Identifiers the fact sheets mark unverified: never shipped. (22149876, 25524798 and 19786670
# were verified in 2026-11 and now ship.)
UNCONFIRMED_PMIDS = {
    "23233719", "20855825", "22853014", "23902874", "18316794"
}  # fmt: skip
UNCONFIRMED_DOIS = {"10.1200/JCO.2010.28.8415", "10.1056/NEJMoa1201622", "10.1200/JCO.2007.13.5822"}

HER2_DIRECTED = re.compile(r"trastuzumab|lapatinib", re.IGNORECASE)


@pytest.fixture(scope="module")
def teaching_results(evaluator: Evaluator) -> list[tuple[object, ProfileResult, set[str]]]:
    found = []
    for path in profile_files():
        loaded = load_profile(path)
        found.append(
            (
                loaded.profile,
                evaluator.evaluate(loaded.profile, loaded.source),
                evaluator.fired_rules(loaded.profile),
            )
        )
    return found


@pytest.mark.parametrize(
    ("topic", "rule_id", "strategy", "status", "evidence"),
    REVIEW_STRATEGIES,
    ids=[row[0] for row in REVIEW_STRATEGIES],
)
def test_every_strategy_of_the_review_has_its_rule(
    pack: RulePack, topic: str, rule_id: str, strategy: str, status: str, evidence: str
) -> None:
    rule = pack.rules.get(rule_id)
    assert rule is not None, f"no rule for '{topic}'"
    assert rule.card.strategy == strategy
    then = rule.card.then
    if status == "flag":
        assert then.flag is not None
    else:
        assert then.option is not None and then.option.status == status
    assert evidence in (*rule.card.evidence, *rule.card.contrary_evidence)


def test_every_manifest_strategy_is_used(pack: RulePack) -> None:
    used = {rule.card.strategy for rule in pack.every_rule.values()}
    assert {s.id for s in pack.manifest.strategies} == used


def test_every_rule_cites_and_every_entry_is_cited(pack: RulePack) -> None:
    for rule in pack.rules.values():
        assert rule.card.evidence, rule.id
        for ref in (*rule.card.evidence, *rule.card.contrary_evidence):
            assert ref in pack.evidence.entries, (rule.id, ref)
    for entry_id in pack.evidence.entries:
        assert cited_by(pack, entry_id), f"{entry_id} is not cited"


def test_no_unconfirmed_identifier_is_shipped(pack: RulePack) -> None:
    for entry in pack.evidence.entries.values():
        assert entry.pmid not in UNCONFIRMED_PMIDS, entry.id
        assert entry.doi not in UNCONFIRMED_DOIS, entry.id
        assert entry.pmid or entry.doi


def test_evidence_against_options_name_their_negative_trial(pack: RulePack) -> None:
    for rule in pack.rules.values():
        option = rule.card.then.option
        if option is not None and option.status == AGAINST:
            met = [pack.evidence.entries[ref].primary_endpoint_met for ref in rule.card.evidence]
            assert set(met) & {"no", "mixed"}, rule.id


def test_at_least_fifteen_teaching_profiles_with_title_and_learning_point(
    teaching_results: list,
) -> None:
    assert len(teaching_results) >= 15
    for profile, _, _ in teaching_results:
        assert profile.label and len(profile.teaching_note) > 40, profile.label


def test_every_rule_fires_on_some_teaching_profile(pack: RulePack, teaching_results: list) -> None:
    fired = set().union(*(rules for _, _, rules in teaching_results))
    assert sorted(set(pack.rules) - fired) == []


def test_every_teaching_profile_gets_a_non_empty_answer(teaching_results: list) -> None:
    for profile, result, _ in teaching_results:
        assert result.options or result.flags, profile.label


def test_teaching_profiles_respect_the_safety_rules(teaching_results: list) -> None:
    for profile, result, _ in teaching_results:
        regimens = [o.regimen for o in result.options]
        if not profile.hormone_receptor_positive:
            assert result.options == []
        if profile.receptors.her2 != "positive":
            assert not any(HER2_DIRECTED.search(r) for r in regimens), profile.label
        met_nsai = any(
            {"anastrozole", "letrozole"} & set(line.agents) for line in profile.endocrine_history
        )
        if not met_nsai:
            assert "ED210" not in {o.rule for o in result.options}, profile.label


def test_the_conflicting_trials_are_shown_side_by_side(teaching_results: list) -> None:
    option = next(
        o for _, result, _ in teaching_results for o in result.options if o.rule == "ED112"
    )
    assert [c.id for c in option.evidence] == ["swog-s0226"]
    assert [c.id for c in option.contrary_evidence] == ["fact"]
    assert option.contrary_evidence[0].primary_endpoint_met == "no"


def test_later_publications_are_marked(teaching_results: list) -> None:
    citations = {
        c.id: c for _, result, _ in teaching_results for o in result.options for c in o.evidence
    }
    assert citations["paloma-1"].after_evidence_date
    assert not citations["bolero-2-pfs"].after_evidence_date


def test_evidence_hygiene_of_the_clinical_review(pack: RulePack) -> None:
    """Issue 11, correction 8: statements refer to the catalogue instead of repeating its
    figures; endpoint values are honest; BOLERO-2's NEJM report is cited directly; ENCORE 301
    records its negative phase III."""
    figure = re.compile(r"\d+(\.\d+)?\s*%|\d+(\.\d+)?\s+vs\.?\s+\d")
    assert [r.id for r in pack.rules.values() if figure.search(r.card.statement)] == []
    entries = pack.evidence.entries
    assert entries["gefitinib-anastrozole"].primary_endpoint_met == "not_formally_tested"
    assert "at least as effective" in entries["first"].result + entries["first"].notes
    assert entries["bolero-2"].pmid == "22149876"
    assert "bolero-2" in pack.rules["ED210"].card.evidence
    assert "E2112" in entries["encore-301"].notes and "2021" in entries["encore-301"].notes
    assert "SABCS" in entries["ganitumab"].notes and "1.17" not in entries["ganitumab"].result
