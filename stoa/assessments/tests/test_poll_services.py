"""Voting in a poll: who may, what a vote changes, and that tallies always match the votes."""

import pytest
from django.contrib.auth.models import AnonymousUser

from stoa.assessments.models import PollTally, PollTurnout, PollVote
from stoa.assessments.polls.services import vote_in_poll
from stoa.learning.models import StepCompletion
from stoa.learning.selectors import enrolment_for
from stoa.learning.services import enrol, leave
from stoa.lib.refusals import Invalid, NotAllowed, NotFound
from stoa.testing import make_poll, make_user, step_of

pytestmark = pytest.mark.django_db


def tallies(step, run) -> dict[int, int]:
    """Votes by option position in the run, leaving out options with none."""
    rows = PollTally.objects.filter(run=run, option__question__step=step, votes__gt=0)
    return dict(rows.values_list("option__position", "votes").order_by("option__position"))


def turnout(step, run) -> int:
    row = PollTurnout.objects.filter(run=run, step=step).first()
    return row.voters if row else 0


def test_a_learner_votes_and_the_run_s_tally_counts_it(enrolled, learner, poll, course):
    vote = vote_in_poll(user=learner, step=poll, choices=[2])

    run = course.runs.get()
    assert (vote.run, vote.choices, vote.changed_at) == (run, "2", None)
    assert tallies(poll, run) == {2: 1}
    assert turnout(poll, run) == 1


def test_changing_a_vote_moves_it_from_the_old_option_to_the_new(enrolled, learner, poll, course):
    vote_in_poll(user=learner, step=poll, choices=[2])

    vote = vote_in_poll(user=learner, step=poll, choices=[3])

    run = course.runs.get()
    assert vote.choices == "3" and vote.changed_at is not None
    assert PollVote.objects.count() == 1
    assert tallies(poll, run) == {3: 1}
    assert turnout(poll, run) == 1


def test_voting_the_same_choices_again_changes_nothing(enrolled, learner, poll, course):
    first = vote_in_poll(user=learner, step=poll, choices=[1])

    again = vote_in_poll(user=learner, step=poll, choices=[1])

    assert again.pk == first.pk and again.changed_at is None
    assert tallies(poll, course.runs.get()) == {1: 1}
    assert turnout(poll, course.runs.get()) == 1


def test_a_choose_many_vote_counts_once_for_each_option_and_once_as_a_voter(
    enrolled, learner, course
):
    poll = make_poll(course, choose="many")

    vote_in_poll(user=learner, step=poll, choices=[3, 1, 3])
    vote_in_poll(user=learner, step=poll, choices=[1, 2])

    run = course.runs.get()
    assert PollVote.objects.get().choices == "1,2"
    assert tallies(poll, run) == {1: 1, 2: 1}
    assert turnout(poll, run) == 1


def test_voting_marks_the_poll_step_complete(enrolled, learner, poll):
    vote_in_poll(user=learner, step=poll, choices=[1])

    assert StepCompletion.objects.filter(step=poll, enrolment__user=learner).count() == 1


def test_tallies_add_up_to_the_votes_after_many_votes_and_changes(enrolled, course):
    poll = make_poll(course, choose="many")
    learners = [make_user(f"v{n}@example.org") for n in range(6)]
    for learner in learners:
        enrol(user=learner, course=course)
    for n, learner in enumerate(learners):
        vote_in_poll(user=learner, step=poll, choices=[n % 3 + 1])
    for n, learner in enumerate(learners[:4]):
        vote_in_poll(user=learner, step=poll, choices=[1, n % 2 + 2])

    run = course.runs.get()
    votes = list(PollVote.objects.filter(step=poll, run=run))
    expected = {p: sum(p in v.positions for v in votes) for p in (1, 2, 3)}
    assert tallies(poll, run) == {p: n for p, n in expected.items() if n}
    assert turnout(poll, run) == len(votes) == 6


def test_each_run_has_its_own_results(enrolled, learner, other_run_learner, poll, course):
    vote_in_poll(user=learner, step=poll, choices=[1])
    vote_in_poll(user=other_run_learner, step=poll, choices=[2])

    first, second = course.runs.order_by("pk")
    assert tallies(poll, first) == {1: 1}
    assert tallies(poll, second) == {2: 1}
    assert PollVote.objects.get(user=other_run_learner).run == second


# --- Refusals ---------------------------------------------------------------------------------


def test_a_visitor_cannot_vote(poll):
    with pytest.raises(NotAllowed, match="Join the course"):
        vote_in_poll(user=AnonymousUser(), step=poll, choices=[1])  # type: ignore[arg-type]


def test_someone_not_on_the_course_cannot_vote(outsider, poll):
    with pytest.raises(NotAllowed, match="Join the course"):
        vote_in_poll(user=outsider, step=poll, choices=[1])
    assert not PollVote.objects.exists() and not PollTally.objects.exists()


def test_a_learner_who_left_cannot_vote(enrolled, learner, poll, course):
    leave(enrolment=enrolment_for(user=learner, course=course))

    with pytest.raises(NotAllowed):
        vote_in_poll(user=learner, step=poll, choices=[1])


def test_the_course_team_sees_results_but_does_not_vote(educator, poll):
    with pytest.raises(NotAllowed, match="course team"):
        vote_in_poll(user=educator, step=poll, choices=[1])
    assert not PollVote.objects.exists()


def test_nobody_votes_on_a_week_not_open_in_their_run(enrolled, learner, locked_poll):
    with pytest.raises(NotAllowed, match="opens on"):
        vote_in_poll(user=learner, step=locked_poll, choices=[1])
    assert not PollVote.objects.exists() and not PollTally.objects.exists()


def test_a_learner_votes_only_in_their_own_run(other_run_learner, poll, course):
    """The run is the voter's own, from the database: there is no way to name another."""
    vote_in_poll(user=other_run_learner, step=poll, choices=[1])

    first, second = course.runs.order_by("pk")
    assert tallies(poll, first) == {}
    assert tallies(poll, second) == {1: 1}


def test_a_step_that_is_not_a_poll_takes_no_votes(enrolled, learner, course):
    with pytest.raises(NotFound):
        vote_in_poll(user=learner, step=step_of(course, 1, 2), choices=[1])


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ([], "Choose an option"),
        ([1, 2], "Choose only one option"),
        ([4], "Choose from the options shown"),
        ([0], "Choose from the options shown"),
    ],
)
def test_choices_that_do_not_make_a_vote_are_refused(enrolled, learner, poll, choices, message):
    with pytest.raises(Invalid, match=message):
        vote_in_poll(user=learner, step=poll, choices=choices)
    assert not PollVote.objects.exists() and not PollTally.objects.exists()


def test_a_choose_many_poll_needs_at_least_one_choice(enrolled, learner, course):
    poll = make_poll(course, choose="many")

    with pytest.raises(Invalid, match="at least one"):
        vote_in_poll(user=learner, step=poll, choices=[])
