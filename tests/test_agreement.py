"""The panel's results read from a session record: tallies, consensus at the threshold, movement
between rounds, Krippendorff's alpha with its meaning or its reason for being undefined, and the
dissent and proposed edits the minutes quote."""

from __future__ import annotations

import datetime as dt

import pytest

from endodecide.workshop.agreement import (
    NO_UNITS,
    NO_VARIATION,
    agreement,
    alpha_meaning,
    dissent,
    proposed_edits,
    tally,
)
from endodecide.workshop.panel import Ballot, Participant, RoundState, SessionRecord

T0 = dt.datetime(2025, 3, 4, 10, 0)
T1 = dt.datetime(2025, 3, 4, 10, 30)
A, W, D = "agree", "agree_with_changes", "disagree"


def _record(
    votes: dict[tuple[str, int], list[str | None]],
    *,
    threshold: int = 75,
    rounds: list[RoundState] | None = None,
    rule_ids: tuple[str, ...] = ("ED310", "ED320", "ED330"),
) -> SessionRecord:
    """A session whose ballots are given per (rule, round) as one vote per participant 1, 2, ...
    in order (None: that participant did not vote)."""
    ballots = [
        Ballot(participant_id=i, rule_id=rule, round=round_, vote=vote)
        for (rule, round_), column in votes.items()
        for i, vote in enumerate(column, start=1)
        if vote is not None
    ]
    people = max((len(column) for column in votes.values()), default=0)
    return SessionRecord(
        id="s1",
        title="Panel",
        threshold=threshold,
        as_of="2014-12-10",
        created=T0,
        rule_ids=list(rule_ids),
        profile_ids=[],
        participants=[Participant(i, f"P{i}", "oncologist") for i in range(1, people + 1)],
        ballots=ballots,
        rounds=rounds or [],
    )


def _closed(rule: str, round_: int) -> RoundState:
    return RoundState(rule, round_, T0, T1)


# -- tallies --------------------------------------------------------------------------------------
@pytest.mark.parametrize("threshold,expected", [(75, True), (76, False), (74, True)])
def test_three_of_four_agree_is_consensus_up_to_a_75_percent_threshold(
    threshold: int, expected: bool
) -> None:
    """3 plain agrees of 4 ballots is exactly 75%: consensus at 74 and 75, not at 76."""
    record = _record({("ED310", 1): [A, A, A, W]}, threshold=threshold)
    (first,) = tally(record)[0].rounds
    assert first.counts == {"agree": 3, "agree_with_changes": 1, "disagree": 0}
    assert first.voters == 4
    assert first.agree_share == 0.75
    assert first.consensus is expected


def test_agree_with_changes_does_not_count_towards_consensus() -> None:
    """2 agree and 2 agree-with-changes is a 50% share, short of a 51% threshold."""
    record = _record({("ED310", 1): [A, A, W, W]}, threshold=51)
    (first,) = tally(record)[0].rounds
    assert first.agree_share == 0.5
    assert not first.consensus


def test_tally_keeps_the_session_order_and_lists_opened_rounds_without_ballots() -> None:
    """Rules come in rule_ids order; an opened round with no ballot shows with no share."""
    record = _record(
        {("ED330", 1): [A, D]},
        rounds=[RoundState("ED320", 1, T0)],
    )
    results = tally(record)
    assert [r.rule_id for r in results] == ["ED310", "ED320", "ED330"]
    assert results[0].rounds == []
    (opened,) = results[1].rounds
    assert (opened.voters, opened.agree_share, opened.consensus, opened.closed) == (
        0,
        None,
        False,
        False,
    )
    assert opened.counts == {"agree": 0, "agree_with_changes": 0, "disagree": 0}
    assert results[2].rounds[0].agree_share == 0.5


def test_change_and_switched_between_rounds() -> None:
    """2 of 4 agree, then 3 of 3: +50 points; 2 of the 3 who voted twice changed their vote."""
    record = _record({("ED310", 1): [A, D, W, A], ("ED310", 2): [A, A, A, None]})
    result = tally(record)[0]
    assert [t.agree_share for t in result.rounds] == [0.5, 1.0]
    assert result.change == pytest.approx(50.0)
    assert result.switched == 2


def test_change_is_none_without_ballots_in_both_rounds() -> None:
    """An opened but empty second round gives no change and no switch."""
    record = _record(
        {("ED310", 1): [A, D]}, rounds=[_closed("ED310", 1), RoundState("ED310", 2, T1)]
    )
    result = tally(record)[0]
    assert [t.round for t in result.rounds] == [1, 2]
    assert result.change is None
    assert result.switched == 0


def test_the_last_closed_round_with_ballots_decides() -> None:
    """Round 1 closed with consensus and round 2 still open: round 1 decides, consensus holds."""
    votes: dict[tuple[str, int], list[str | None]] = {
        ("ED310", 1): [A, A, A, A],
        ("ED310", 2): [A, D, D, D],
    }
    still_open = tally(_record(votes, rounds=[_closed("ED310", 1), RoundState("ED310", 2, T1)]))
    assert (still_open[0].decided_round, still_open[0].consensus) == (1, True)
    both_closed = tally(_record(votes, rounds=[_closed("ED310", 1), _closed("ED310", 2)]))
    assert (both_closed[0].decided_round, both_closed[0].consensus) == (2, False)
    never_closed = tally(_record(votes))
    assert (never_closed[0].decided_round, never_closed[0].consensus) == (None, False)


def test_a_reopened_round_is_open() -> None:
    """A round closed and then opened again counts by its latest state."""
    record = _record(
        {("ED310", 1): [A, A]}, rounds=[_closed("ED310", 1), RoundState("ED310", 1, T1)]
    )
    assert not tally(record)[0].rounds[0].closed
    assert tally(record)[0].decided_round is None


def test_a_resubmitted_ballot_replaces_the_earlier_one() -> None:
    """Participant 1 votes disagree then agree on the same round: one agree is counted."""
    record = _record({("ED310", 1): [D, A]})
    record.ballots.append(Ballot(participant_id=1, rule_id="ED310", round=1, vote=A))
    (first,) = tally(record)[0].rounds
    assert first.counts == {"agree": 2, "agree_with_changes": 0, "disagree": 0}


def test_an_unknown_vote_is_refused() -> None:
    """A vote outside the vocabulary is an error, not a silently dropped ballot."""
    record = _record({("ED310", 1): ["maybe"]})
    with pytest.raises(ValueError, match="unknown vote 'maybe'"):
        tally(record)


# -- Krippendorff's alpha --------------------------------------------------------------------------
def test_perfect_agreement_with_variation_is_alpha_one() -> None:
    """Both members agree on ED310 and both disagree on ED320: alpha 1, reliable."""
    found = agreement(_record({("ED310", 1): [A, A], ("ED320", 1): [D, D]}), 1)
    assert found.alpha == pytest.approx(1.0)
    assert (found.units, found.coders, found.ballots) == (2, 2, 4)
    assert found.reason_if_none == ""
    assert found.meaning.endswith(": reliable agreement.")


def test_alpha_of_a_small_matrix_matches_the_hand_computation() -> None:
    """Three members on three rules; nominal alpha computed by hand is 0.6."""
    # ED310 a,a,a  ED320 a,a,d  ED330 d,d,d. Coincidences (pairs weighted 1/(m-1) = 1/2):
    # o(a,a) = 3 + 1 = 4, o(a,d) = o(d,a) = 1, o(d,d) = 3; n = 9, n_a = 5, n_d = 4.
    # alpha = 1 - (n - 1) * (o(a,d) + o(d,a)) / (2 * n_a * n_d) = 1 - 8 * 2 / 40 = 0.6.
    record = _record({("ED310", 1): [A, A, A], ("ED320", 1): [A, A, D], ("ED330", 1): [D, D, D]})
    found = agreement(record, 1)
    assert found.alpha == pytest.approx(0.6)
    assert found.meaning == (
        "Krippendorff's alpha is 0.600 across 3 rules and 3 panel members: "
        "agreement too low to rely on."
    )


def test_alpha_allows_missing_ballots() -> None:
    """Member 3 skips ED310 and a fourth rule has one ballot only; alpha is 12/19."""
    # ED310 a,a,-  ED320 d,d,d  ED330 a,w,a  ED340 -,-,d (one ballot: not a unit).
    # o(a,a) = 2 (m=2, weight 1) + 1 = 3, o(d,d) = 3, o(a,w) = o(w,a) = 1; n = 8,
    # n_a = 4, n_w = 1, n_d = 3; sum over c != k of n_c n_k = 2 * (4 + 12 + 3) = 38.
    # alpha = 1 - 7 * 2 / 38 = 12/19 = 0.632: too low to rely on.
    record = _record(
        {
            ("ED310", 1): [A, A, None],
            ("ED320", 1): [D, D, D],
            ("ED330", 1): [A, W, A],
            ("ED340", 1): [None, None, D],
        },
        rule_ids=("ED310", "ED320", "ED330", "ED340"),
    )
    found = agreement(record, 1)
    assert found.alpha == pytest.approx(12 / 19)
    assert (found.units, found.coders, found.ballots) == (3, 3, 8)
    assert found.meaning == (
        "Krippendorff's alpha is 0.632 across 3 rules and 3 panel members: "
        "agreement too low to rely on."
    )


def test_opposite_votes_are_systematic_disagreement() -> None:
    """Two members split both rules the opposite way: alpha -0.5."""
    # o(a,d) = o(d,a) = 2, n = 4, n_a = n_d = 2: alpha = 1 - 3 * 4 / 8 = -0.5.
    found = agreement(_record({("ED310", 1): [A, D], ("ED320", 1): [D, A]}), 1)
    assert found.alpha == pytest.approx(-0.5)
    assert found.meaning.endswith("systematic disagreement, worse than chance.")


def test_alpha_reads_only_the_round_asked_for() -> None:
    """Round 2's ballots do not enter round 1's alpha, and round 2 alone has one unit."""
    record = _record(
        {("ED310", 1): [A, A], ("ED320", 1): [D, D], ("ED310", 2): [A, D], ("ED320", 2): [A]}
    )
    assert agreement(record, 1).alpha == pytest.approx(1.0)
    second = agreement(record, 2)
    assert (second.alpha, second.units, second.ballots) == (None, 1, 2)
    assert second.reason_if_none == NO_UNITS


@pytest.mark.parametrize(
    "votes,reason",
    [
        ({}, NO_UNITS),
        ({("ED310", 1): [A, D, W]}, NO_UNITS),
        ({("ED310", 1): [A], ("ED320", 1): [D]}, NO_UNITS),
        ({("ED310", 1): [A, A], ("ED320", 1): [A, A, A]}, NO_VARIATION),
        ({("ED310", 1): [D, D], ("ED320", 1): [D, D], ("ED330", 1): [A]}, NO_VARIATION),
    ],
)
def test_undefined_alpha_says_why(
    votes: dict[tuple[str, int], list[str | None]], reason: str
) -> None:
    """No ballots, one rule, single ballots or one vote throughout: no alpha, and the reason."""
    found = agreement(_record(votes), 1)
    assert found.alpha is None
    assert found.reason_if_none == reason
    assert found.meaning == f"Alpha is not defined for round 1: {reason}."


@pytest.mark.parametrize(
    "alpha,band",
    [
        (1.0, "reliable agreement"),
        (0.800, "reliable agreement"),
        (0.799, "tentative agreement: draw only tentative conclusions"),
        (0.667, "tentative agreement: draw only tentative conclusions"),
        (2 / 3, "tentative agreement: draw only tentative conclusions"),  # shown as 0.667
        (0.666, "agreement too low to rely on"),
        (0.2, "agreement too low to rely on"),
        (0.01, "agreement no better than chance, too low to rely on"),
        (-0.04, "agreement no better than chance, too low to rely on"),
        (-0.3, "systematic disagreement, worse than chance"),
    ],
)
def test_meaning_follows_krippendorffs_guideline(alpha: float, band: str) -> None:
    """The meaning sentence names the band of the alpha as printed (3 decimals)."""
    assert alpha_meaning(alpha, 4, 5) == (
        f"Krippendorff's alpha is {alpha:.3f} across 4 rules and 5 panel members: {band}."
    )


# -- dissent and proposed edits --------------------------------------------------------------------
def _commented() -> SessionRecord:
    record = _record({}, rule_ids=("ED310", "ED320"))
    record.participants.extend(
        [Participant(2, "Bea", "pharmacist"), Participant(1, "Ann", "nurse")]
    )
    record.ballots.extend(
        [
            Ballot(2, "ED320", 1, D, "threshold-wrong", "Cut-off too high", proposed_edit=True),
            Ballot(1, "ED320", 1, W, "caution-missing", "Add a caution", proposed_edit=True),
            Ballot(2, "ED310", 2, W, "other", "", proposed_edit=True),
            Ballot(1, "ED310", 2, A, None, "Typo in title", proposed_edit=True),
            Ballot(1, "ED310", 1, D, "evidence-out-of-date", "Old trial"),
            Ballot(9, "ED310", 1, A),
        ]
    )
    return record


def test_dissent_lists_every_ballot_short_of_agree_in_rule_round_participant_order() -> None:
    """Non-agree ballots, ED310 before ED320, round 1 before 2, participant 1 before 2."""
    notes = dissent(_commented())
    assert [(n.rule_id, n.round, n.participant_id) for n in notes] == [
        ("ED310", 1, 1),
        ("ED310", 2, 2),
        ("ED320", 1, 1),
        ("ED320", 1, 2),
    ]
    first = notes[0]
    assert (first.name, first.role, first.vote_label, first.reason_label, first.comment) == (
        "Ann",
        "nurse",
        "disagree",
        "evidence out of date",
        "Old trial",
    )
    assert notes[2].vote_label == "agree with changes"
    assert notes[3].reason_label == "threshold wrong"


def test_proposed_edits_need_the_flag_and_a_comment() -> None:
    """An edit flagged without words is left out; an agree ballot's edit is kept."""
    edits = proposed_edits(_commented())
    assert [(e.rule_id, e.round, e.participant_id, e.comment) for e in edits] == [
        ("ED310", 2, 1, "Typo in title"),
        ("ED320", 1, 1, "Add a caution"),
        ("ED320", 1, 2, "Cut-off too high"),
    ]
    assert edits[0].vote_label == "agree"
    assert edits[0].reason_label == ""


def test_a_ballot_from_an_unlisted_participant_is_named_by_its_id() -> None:
    """A ballot whose participant is not in the record still shows, as "participant N"."""
    record = _record({}, rule_ids=("ED310",))
    record.ballots.append(Ballot(7, "ED310", 1, D))
    (note,) = dissent(record)
    assert (note.name, note.role) == ("participant 7", "unknown")
