"""What learners tell the course team for its research data (stoa.insights.research), each
question optional and answered once:

- why they leave: asked in the leave form, recorded by services.leave in its transaction with
  where they had got to (record_leaving);
- how they found a week: asked on the week's last step, and only there (week_question,
  answer_week); whether it was answered is read with the step page's enrolment
  (selectors.course_and_enrolment), so the question costs step pages no query;
- what brings them to the course: asked once, on the page they land on after joining
  (wants_archetype, answer_archetype).

Answering twice (a double submit, a second tab) changes nothing: a constraint holds one weekly
answer per learner and week and one joining answer per enrolment, and the second insert is
dropped. The services check who may answer from the database, whoever calls them.
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.courses.models import Course, Step
from stoa.learning import selectors
from stoa.learning.forms import WEEK_REASON_MAX_LENGTH
from stoa.learning.models import (
    Archetype,
    ArchetypeResponse,
    Enrolment,
    LeavingReason,
    LeavingResponse,
    Sentiment,
    SentimentResponse,
    StepCompletion,
)
from stoa.lib.refusals import Invalid, NotAllowed

# --- Leaving ---------------------------------------------------------------------------------


def check_leaving_reason(reason: str) -> None:
    if reason and reason not in LeavingReason.values:
        raise Invalid(_("Choose a reason from the list, or none."))


def record_leaving(*, enrolment: Enrolment, reason: str, left_at: datetime.datetime) -> None:
    """Records why the learner left, with the last step they completed and when: called by
    services.leave inside its transaction, once the enrolment has been left."""
    check_leaving_reason(reason)
    last = (
        StepCompletion.objects.filter(enrolment=enrolment)
        .order_by("-completed_at", "-pk")
        .values_list("step_id", "completed_at")
        .first()
    )
    LeavingResponse.objects.create(
        enrolment=enrolment,
        left_at=left_at,
        reason=reason,
        last_completed_step_id=last[0] if last else None,
        last_completed_step_at=last[1] if last else None,
    )


# --- The end of each week --------------------------------------------------------------------


@dataclass(frozen=True)
class WeekQuestion:
    """The question at the end of a week, for its last step's page."""

    week: int
    answered: bool


def week_question(
    *, enrolment: Enrolment, step: Step, following: Step | None
) -> WeekQuestion | None:
    """The week's question on its last step (`following` is the step after it in the
    course), with whether the learner answered it: from the enrolment as the step page read
    it (.week_answered), or one query for an enrolment read without it."""
    if following is not None and following.week_id == step.week_id:
        return None
    week = step.week.number
    answered = getattr(enrolment, "week_answered", None)
    if answered is None:
        answered = SentimentResponse.objects.filter(enrolment=enrolment, week=week).exists()
    return WeekQuestion(week=week, answered=answered)


def _learner_in_week(*, user: User, step: Step) -> Enrolment:
    """The user's active enrolment, if the step's week is open in their run."""
    enrolment = selectors.enrolment_for(user=user, course=step.week.course)
    if enrolment is None:
        raise NotAllowed(_("Join the course to answer its questions."))
    week = step.week.number
    if not enrolment.run.is_week_open(week, today=timezone.localdate()):
        raise NotAllowed(
            _("Week %(week)d opens on %(date)s.")
            % {"week": week, "date": f"{enrolment.run.week_opens_on(week):%-d %B %Y}"}
        )
    return enrolment


@transaction.atomic
def answer_week(*, user: User, step: Step, rating: int, reason: str = "") -> bool:
    """Records how the learner found the step's week. Returns whether this call recorded it:
    a learner answers once a week, and a second answer changes nothing."""
    enrolment = _learner_in_week(user=user, step=step)
    if rating not in Sentiment.values:
        raise Invalid(_("Choose how the week was for you."))
    reason = reason.strip()
    if len(reason) > WEEK_REASON_MAX_LENGTH:
        raise Invalid(
            _("Your reason is too long: at most %(limit)d characters.")
            % {"limit": WEEK_REASON_MAX_LENGTH}
        )
    try:
        with transaction.atomic():
            SentimentResponse.objects.create(
                run_id=enrolment.run_id,
                enrolment=enrolment,
                week=step.week.number,
                rating=rating,
                reason=reason,
                responded_at=timezone.now(),
            )
    except IntegrityError:  # answered already (sentiment_once_a_week)
        return False
    return True


# --- Joining ---------------------------------------------------------------------------------


def wants_archetype(*, enrolment: Enrolment) -> bool:
    """Whether to ask the learner what brings them to the course: not once they have said."""
    return not ArchetypeResponse.objects.filter(enrolment=enrolment).exists()


@transaction.atomic
def answer_archetype(*, user: User, course: Course, archetype: str) -> bool:
    """Records what brings the learner to the course. Returns whether this call recorded it:
    the first answer stays."""
    enrolment = selectors.enrolment_for(user=user, course=course)
    if enrolment is None:
        raise NotAllowed(_("Join the course to answer its questions."))
    if archetype not in Archetype.values:
        raise Invalid(_("Choose one of the answers shown, or skip the question."))
    try:
        with transaction.atomic():
            ArchetypeResponse.objects.create(
                enrolment=enrolment, archetype=archetype, responded_at=timezone.now()
            )
    except IntegrityError:  # answered already: one answer per enrolment
        return False
    return True
