"""Writes of assessments: voting in a poll.

A vote is checked here, from the database, whoever calls (the page now, the API later): only
an active learner of the course votes, in their own run, on a week open in that run; the
course team sees results but does not vote. A vote changes its run's tallies in the same
transaction, so results are read from a row per option and never counted from the votes.
"""

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.assessments.models import PollTally, PollTurnout, PollVote
from stoa.assessments.rules import clean_choices, require_learner
from stoa.courses.models import CourseRun, Option, Step, StepType
from stoa.learning import services as learning_services
from stoa.learning.models import Enrolment
from stoa.lib.refusals import NotFound


def _voter_run(*, user: User, step: Step) -> tuple[CourseRun, Enrolment]:
    """The run the user votes in, if they may vote in this poll at all."""
    if step.type != StepType.POLL:
        raise NotFound(_("This step has no poll."))
    enrolment = require_learner(user=user, step=step)
    return enrolment.run, enrolment


def _change_tallies(run_id: int, option_ids: Sequence[int], by: int) -> None:
    if not option_ids:
        return
    if by > 0:  # a run's tallies are made as its first votes need them
        PollTally.objects.bulk_create(
            [PollTally(run_id=run_id, option_id=option_id) for option_id in option_ids],
            ignore_conflicts=True,
        )
    PollTally.objects.filter(run_id=run_id, option_id__in=option_ids).update(votes=F("votes") + by)


def _locked_turnout(*, run_id: int, step: Step) -> PollTurnout:
    PollTurnout.objects.bulk_create([PollTurnout(run_id=run_id, step=step)], ignore_conflicts=True)
    return PollTurnout.objects.select_for_update().get(run_id=run_id, step=step)


@transaction.atomic
def vote_in_poll(*, user: User, step: Step, choices: Sequence[int]) -> PollVote:
    """Votes in the poll, or changes the user's vote; marks the step complete for them.

    `choices` are 1-based option positions. The same choices again change nothing (a double
    submit, a second tab): the vote is returned as it was.
    """
    run, enrolment = _voter_run(user=user, step=step)
    options = list(
        Option.objects.filter(question__step=step, question__position=1)
        .select_related("question")
        .order_by("position")
    )
    if not options:
        raise NotFound(_("This poll has no options."))
    positions = clean_choices(choices, choose=options[0].question.choose, option_count=len(options))
    option_id = {option.position: option.pk for option in options}
    text = ",".join(map(str, positions))

    # The turnout row first, in every vote of this run's poll: it queues them (see PollTurnout).
    turnout = _locked_turnout(run_id=run.pk, step=step)
    vote = PollVote.objects.select_for_update().filter(user=user, step=step).first()
    now = timezone.now()
    if vote is None:
        try:
            with transaction.atomic():
                vote = PollVote.objects.create(
                    user=user, run=run, step=step, choices=text, voted_at=now
                )
        except IntegrityError:  # belt and braces: the turnout lock already queues two tabs
            vote = PollVote.objects.select_for_update().get(user=user, step=step)
        else:
            _change_tallies(run.pk, [option_id[p] for p in positions], +1)
            PollTurnout.objects.filter(pk=turnout.pk).update(voters=F("voters") + 1)
            learning_services.complete_step(enrolment=enrolment, step=step)
            return vote
    if vote.choices == text and vote.run_id == run.pk:
        return vote

    before = vote.positions
    if vote.run_id == run.pk:
        removed = [option_id[p] for p in before if p not in positions and p in option_id]
        added = [option_id[p] for p in positions if p not in before]
        _change_tallies(run.pk, removed, -1)
    else:  # rejoined on a later run: the vote leaves the old run's results for this one's
        _locked_turnout(run_id=vote.run_id, step=step)
        _change_tallies(vote.run_id, [option_id[p] for p in before if p in option_id], -1)
        PollTurnout.objects.filter(run_id=vote.run_id, step=step).update(voters=F("voters") - 1)
        PollTurnout.objects.filter(pk=turnout.pk).update(voters=F("voters") + 1)
        added = [option_id[p] for p in positions]
    _change_tallies(run.pk, added, +1)
    vote.run, vote.choices, vote.changed_at = run, text, now
    vote.save(update_fields=["run", "choices", "changed_at"])
    learning_services.complete_step(enrolment=enrolment, step=step)
    return vote
