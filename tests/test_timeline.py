"""The evidence timeline: dated catalogue entries, rules that start or change after the review,
``--as-of`` on every command, and the review's answers left exactly as they were."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from endodecide.dates import PartialDate, parse_day
from endodecide.errors import RulePackError
from endodecide.evaluate import Evaluator
from endodecide.profile import load_profile
from endodecide.result import ProfileResult
from endodecide.rulepack import RulePack, load_pack, pack_at
from endodecide.rulepack.conditions import plain_words
from endodecide.rulepack.timeline import NOT_DIRECTIONS, history
from tests.conftest import PROFILES, RULES, cli, edit_rule, edit_text

SNAPSHOT = Path(__file__).parent / "golden" / "review-date"
_IDENTITY = (
    # The pack's identity changes with any edit of its files, by design: the fingerprint hashes
    # them, the version numbers them and the JSON schema version numbers the document's shape.
    (re.compile(r"fingerprint [0-9a-f]{12}"), "fingerprint <fingerprint>"),
    (re.compile(r'"fingerprint": "[^"]*"'), '"fingerprint": "<fingerprint>"'),
    (re.compile(r"milani-2014 \d+\.\d+\.\d+"), "milani-2014 <version>"),
    (re.compile(r'"version": "\d+\.\d+\.\d+"'), '"version": "<version>"'),
    (re.compile(r'"schema_version": "[0-9.]+"'), '"schema_version": "<schema>"'),
)


def _masked(text: str) -> str:
    for pattern, replacement in _IDENTITY:
        text = pattern.sub(replacement, text)
    return text


def _result(pack: RulePack, stem: str) -> ProfileResult:
    (path,) = PROFILES.glob(f"{stem}*.yaml")
    loaded = load_profile(path.relative_to(PROFILES.parent))
    return Evaluator(pack).evaluate(loaded.profile, loaded.source)


def _shown(result: ProfileResult) -> dict[str, str]:
    return {option.rule: option.status for option in result.options}


@pytest.fixture(scope="module")
def latest(pack: RulePack) -> RulePack:
    return pack_at(pack, pack.latest_date)


# -- the review's answers, unchanged ------------------------------------------------------------
@pytest.mark.parametrize("fmt,name", [("text", "run.txt.gz"), ("json", "run.json.gz")])
def test_run_at_the_review_date_is_byte_identical_to_before_the_timeline(
    fmt: str, name: str, tmp_path: Path
) -> None:
    """`run profiles/` at the default date prints what it printed before the timeline existed
    (tests/golden/review-date: written once, before this work, and never regenerated), apart
    from the pack's identity (fingerprint, version, schema version). It runs on the 27 teaching
    profiles that existed then (copied, so the timeline's new teaching profiles stay out)."""
    before = gzip.decompress((SNAPSHOT / name).read_bytes()).decode("utf-8")
    (tmp_path / "profiles").mkdir()
    for path in PROFILES.iterdir():
        if int(path.name[1:4]) <= 27:
            shutil.copy(path, tmp_path / "profiles" / path.name)
    done = cli("run", "profiles/", "--format", fmt, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    now = _masked(done.stdout)
    assert now.count("\n") == _masked(before).count("\n")
    assert now == _masked(before)


def test_the_default_date_is_the_review_date(pack: RulePack) -> None:
    assert pack.date == pack.evidence_date == date(2014, 12, 10)
    assert pack.as_of == ""
    assert pack_at(pack, pack.evidence_date) is pack
    assert load_pack(RULES, pack.evidence_date) is not None


def test_every_rule_starting_later_is_absent_at_the_review_date(pack: RulePack) -> None:
    later = {rule_id for rule_id, rule in pack.every_rule.items() if rule.card.since}
    assert later, "the pack has rules for strategies that came after the review"
    assert not later & set(pack.rules)


# -- a test per timeline entry: the day before and the day itself -------------------------------
def _events() -> list[tuple[str, int]]:
    pack = load_pack(RULES)
    return [
        (rule_id, index)
        for rule_id, rule in sorted(pack.every_rule.items())
        for index, _ in enumerate(history(rule.card))
    ]


@pytest.mark.parametrize("rule_id,index", _events())
def test_timeline_entry_takes_effect_on_its_date(pack: RulePack, rule_id: str, index: int) -> None:
    """One day before its date the rule reads as before; on its date, as the entry says."""
    event = history(pack.every_rule[rule_id].card)[index]
    day = event.when.end
    before, on = pack_at(pack, day - timedelta(days=1)), pack_at(pack, day)
    if event.kind == "since":
        assert rule_id not in before.rules and rule_id in on.rules
    elif event.kind == "retired":
        assert rule_id in before.rules and rule_id not in on.rules
    elif event.kind == "status":
        option = on.rules[rule_id].card.then.option
        assert option is not None and option.status == event.status
        earlier = before.rules[rule_id].card.then.option
        assert earlier is not None and earlier.status != event.status
        assert set(event.evidence) <= set(on.rules[rule_id].card.evidence)
    else:
        flag, earlier_flag = on.rules[rule_id].card.then.flag, before.rules[rule_id].card.then.flag
        assert flag is not None and earlier_flag is not None
        assert flag.message != earlier_flag.message


def test_every_dated_change_names_catalogue_evidence_published_that_day(pack: RulePack) -> None:
    for rule in pack.every_rule.values():
        for event in history(rule.card):
            published = {pack.evidence.entries[ref].publication for ref in event.evidence}
            assert event.when in published, (rule.id, event)
            assert event.when.start > pack.evidence_date


# -- teaching profiles that show the difference -------------------------------------------------
def test_progression_on_first_line_letrozole_gains_cdk46_with_fulvestrant_later(
    pack: RulePack, latest: RulePack
) -> None:
    then, now = _result(pack, "P004"), _result(latest, "P004")
    cdk = {"ED320", "ED323"}
    assert not cdk & set(_shown(then))
    assert cdk & {rule for rule, status in _shown(now).items() if status == "standard"}


def test_entinostat_turns_to_evidence_against(pack: RulePack, latest: RulePack) -> None:
    change = next(c for c in pack.every_rule["ED510"].card.timeline if c.status)
    assert change.status == "evidence_against" and "e2112" in change.evidence
    assert _shown(_result(pack, "P004")).get("ED510") == "investigational"
    assert _shown(_result(latest, "P004")).get("ED510") == "evidence_against"


def test_pik3ca_mutated_profile_gains_pi3k_options_only_from_their_dates(pack: RulePack) -> None:
    for rule_id in ("ED260", "ED261"):
        since = PartialDate.parse(str(pack.every_rule[rule_id].card.since)).end
        before = _result(pack_at(pack, since - timedelta(days=1)), "P028")
        after = _result(pack_at(pack, since), "P028")
        assert rule_id not in _shown(before) and rule_id in _shown(after), rule_id


def test_results_carry_their_timeline_and_date(pack: RulePack, latest: RulePack) -> None:
    from endodecide.evaluate import pack_info

    option = next(o for o in _result(latest, "P004").options if o.rule == "ED320")
    assert option.timeline[0].kind == "since" and "paloma-3" in option.timeline[0].evidence
    assert pack_info(latest).evidence_as_of == str(pack.latest_date)
    assert all(not o.timeline for o in _result(pack, "P004").options)
    dumped = json.loads(_result(pack, "P004").model_dump_json())
    assert all("timeline" not in o for o in dumped["options"])


# -- dates --------------------------------------------------------------------------------------
def test_partial_dates_count_from_the_end_of_their_period() -> None:
    assert PartialDate.parse("2019").end == date(2019, 12, 31)
    assert PartialDate.parse("2016-02").end == date(2016, 2, 29)
    assert PartialDate.parse("2015-06-01").end == date(2015, 6, 1)
    assert PartialDate.parse("2015").after(date(2014, 12, 10))
    assert not PartialDate.parse("2014").after(date(2014, 12, 10))
    assert str(PartialDate.parse("2018-07")) == "2018-07"
    for bad in ("2015-13", "2015-02-30", "15-01-01", "2015/01/01"):
        with pytest.raises(ValueError):
            PartialDate.parse(bad)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_day("2015-06")


# -- load errors --------------------------------------------------------------------------------
def _load_error(rules: Path) -> str:
    with pytest.raises(RulePackError) as caught:
        load_pack(rules)
    return str(caught.value)


def test_a_date_that_is_not_its_evidence_publication_is_refused(rules_copy: Path) -> None:
    path, line = edit_rule(rules_copy, "ED320", 'since: "2015-06-01"', 'since: "2015-06-02"')
    message = _load_error(rules_copy)
    assert f"{path.relative_to(rules_copy.parent)}:{line}: since: E436" in message
    assert "paloma-3 2015-06-01" in message


def test_a_date_before_the_evidence_date_is_refused(rules_copy: Path) -> None:
    edit_rule(rules_copy, "ED320", 'since: "2015-06-01"', 'since: "2014-01-01"')
    message = _load_error(rules_copy)
    assert "E435" in message and "not after the pack's evidence date (2014-12-10)" in message


def test_a_rule_citing_evidence_from_after_its_start_is_refused(rules_copy: Path) -> None:
    edit_rule(rules_copy, "ED320", "evidence: [paloma-3", "evidence: [paloma-3, emerald")
    message = _load_error(rules_copy)
    assert (
        "E436" in message and "'emerald'" in message and "add it as a timeline change" in (message)
    )


def test_a_direction_without_a_strategy_that_exists_is_refused(rules_copy: Path) -> None:
    edit_text(rules_copy / "pack.yaml", "strategy: epigenetic", "strategy: epigenetik")
    message = _load_error(rules_copy)
    assert "E421" in message and "epigenetik" in message


# -- directions and timeline --------------------------------------------------------------------
def test_every_strategy_that_proposes_has_a_scored_direction(pack: RulePack) -> None:
    named = {d.strategy for d in pack.manifest.directions}
    assert {s.id for s in pack.manifest.strategies} - NOT_DIRECTIONS <= named
    for direction in pack.manifest.directions:
        assert direction.evidence and direction.verdict


def test_directions_command_lists_every_direction_with_verdict(pack: RulePack) -> None:
    done = cli("directions")
    assert done.returncode == 0, done.stderr
    for direction in pack.manifest.directions:
        assert direction.title in done.stdout
    assert done.stdout.count("NOT CLINICAL ADVICE") >= 2


def test_directions_html_and_markdown(tmp_path: Path) -> None:
    done = cli("directions", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "directions.html").read_text()
    assert "<script" not in html and "NOT CLINICAL ADVICE" in html
    assert (tmp_path / "directions.md").read_text().startswith("> **EDUCATIONAL USE ONLY")


def test_timeline_works_for_every_rule_and_strategy(pack: RulePack, tmp_path: Path) -> None:
    from endodecide.evaluate import pack_info
    from endodecide.render.timeline import render_timeline

    info = pack_info(pack)
    for target in [*pack.every_rule, *(s.id for s in pack.manifest.strategies)]:
        text = render_timeline(pack, info, target, target, "md")
        assert "NOT CLINICAL ADVICE" in text, target
    done = cli("timeline", "ED310")
    assert done.returncode == 0, done.stderr
    assert "PALOMA-2" in done.stdout and "2014-12-10" in done.stdout
    done = cli("timeline", "cell-cycle", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert '<ol class="timeline">' in (tmp_path / "timeline.html").read_text()


def test_timeline_of_an_unknown_target_is_a_clear_error() -> None:
    done = cli("timeline", "cell-cycles")
    assert done.returncode == 1
    assert "no rule or strategy 'cell-cycles' (did you mean 'cell-cycle'?)" in done.stderr
    assert "Traceback" not in done.stderr


# -- the CLI ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value,message",
    [
        ("2013-05-01", "is before the pack's evidence date (2014-12-10)"),
        ("yesterday", "'yesterday' is not a date: write YYYY-MM-DD, 'latest' or 'review'"),
        ("2020-02-30", "'2020-02-30' is not a calendar date"),
    ],
)
def test_bad_as_of_is_a_usage_error(value: str, message: str) -> None:
    done = cli("run", "profiles/P004-progression-first-line-letrozole.yaml", "--as-of", value)
    assert done.returncode == 2
    assert message in " ".join(done.stderr.replace("│", " ").split())
    assert "Traceback" not in done.stderr


def test_run_states_the_date_it_shows(pack: RulePack) -> None:
    two = (
        "profiles/P004-progression-first-line-letrozole.yaml",
        "profiles/P001-de-novo-endocrine-naive.yaml",
    )
    done = cli("run", *two, "--as-of", "latest")
    assert done.returncode == 0, done.stderr
    assert f"evidence as of {pack.latest_date}" in done.stdout
    assert "NOT CLINICAL ADVICE" in done.stdout
    assert "--as-of latest" in done.stdout  # the suggested report command keeps the date


def test_report_then_and_now(tmp_path: Path) -> None:
    done = cli(
        "report",
        "profiles/P004-progression-first-line-letrozole.yaml",
        "--out",
        str(tmp_path),
        "--format",
        "both",
        "--as-of",
        "latest",
        "--compare-to",
        "review",
    )
    assert done.returncode == 0, done.stderr
    md = (tmp_path / "P004-progression-first-line-letrozole.md").read_text()
    assert "## Then and now: 2014-12-10 and " in md
    row = next(line for line in md.splitlines() if "\\[ED320\\]" in line and line.startswith("|"))
    assert "| not offered | standard |" in row and "PALOMA-3" in row
    html = (tmp_path / "P004-progression-first-line-letrozole.html").read_text()
    assert 'id="then-now"' in html and "Standard as of " in html


def test_rules_diff_between_two_dates_says_what_changed_and_why() -> None:
    done = cli("rules", "diff", "--as-of", "review", "--to", "latest")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Dated evidence between 2014-12-10 and " in out
    assert re.search(r"2015-06-01 ED320 comes into force \[paloma-3\]", out)
    assert "+ ED320" in out
    assert "P004" in out


def test_catalog_and_coverage_accept_a_date(tmp_path: Path, pack: RulePack) -> None:
    done = cli("rules", "catalog", "--out", str(tmp_path), "--as-of", "latest", "-f", "md")
    assert done.returncode == 0, done.stderr
    catalog = (tmp_path / "catalog.md").read_text()
    assert f"evidence as of **{pack.latest_date}**" in catalog and "ED320" in catalog
    review = cli("rules", "catalog", "--out", str(tmp_path / "r"), "-f", "md")
    assert "ED320" not in (tmp_path / "r" / "catalog.md").read_text(), review.stderr


def test_a_2014_rule_excludes_a_class_from_the_date_the_class_exists(
    pack: RulePack, latest: RulePack
) -> None:
    """ED310 (palbociclib + letrozole) excludes progression on a CDK4/6 inhibitor; before ED029
    exists (PALOMA-3) nothing can conclude it, so the condition is left out at the review's
    date (its answers stay as they were) and holds from then on."""
    from tests.conftest import make_profile

    relapsed = make_profile(
        disease={"setting": "recurrence", "extent": "bone_only"},
        endocrine_history=[
            {
                "agents": ["tamoxifen", "palbociclib"],
                "setting": "adjuvant",
                "months": 30,
                "ended": "relapse",
            }
        ],
    )
    review_rule = pack.rules["ED310"]
    assert not any("CDK4/6" in plain_words(item) for item in review_rule.when)
    assert any("CDK4/6" in plain_words(item) for item in latest.rules["ED310"].when)
    assert "ED310" not in Evaluator(latest).fired_rules(relapsed)
    assert "ED310" in Evaluator(pack_at(pack, date(2015, 5, 31))).fired_rules(relapsed)
