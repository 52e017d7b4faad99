"""Rules every assessment shares: who may answer on a step, and what makes a choice of options.

Services call these with rows read from the database, whoever calls them (a page, a command,
the API), so that a learner can answer only for themselves, in their own run, on a week
that is open in that run; the course team sees and previews but never answers.
"""

from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.courses.models import ChoiceMode, Step
from stoa.learning import selectors as learning
from stoa.learning.models import Enrolment
from stoa.lib.refusals import Invalid, NotAllowed


def require_learner(*, user: User, step: Step) -> Enrolment:
    """The user's active enrolment, if they may answer on this step today."""
    course = step.week.course
    if learning.is_course_team(user=user, course=course):
        raise NotAllowed(
            _("The course team sees what learners answer here, but only learners answer.")
        )
    enrolment = learning.enrolment_for(user=user, course=course)
    if enrolment is None:
        raise NotAllowed(_("Join the course to take part in this step."))
    run = enrolment.run
    if not run.is_week_open(step.week.number, today=timezone.localdate()):
        raise NotAllowed(
            _("This step opens on %(date)s, when week %(week)d begins.")
            % {"date": f"{run.week_opens_on(step.week.number):%-d %B %Y}", "week": step.week.number}
        )
    return enrolment


def clean_choices(choices: Sequence[int], *, choose: str, option_count: int) -> list[int]:
    """The chosen 1-based option positions, sorted and once each, if they make an answer to a
    question (or a vote in a poll) that takes `choose` of `option_count` options."""
    positions = sorted(set(choices))
    if not positions:
        raise Invalid(
            _("Choose an option.") if choose == ChoiceMode.ONE else _("Choose at least one option.")
        )
    if choose == ChoiceMode.ONE and len(positions) > 1:
        raise Invalid(_("Choose only one option: this question takes one answer."))
    if any(position < 1 or position > option_count for position in positions):
        raise Invalid(_("Choose from the options shown."))
    return positions
