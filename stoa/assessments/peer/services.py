"""Writes of peer review: a learner's work, the reviews they give, their reports to the course
team, and the team's decisions on those reports.

Every write checks its rules here, from the database, whoever calls (the page now, the API
later), and raises a Refused (stoa.lib.refusals) otherwise: only an active learner of the
course writes and reviews, for themselves, in their own run, on a week open in that run
(stoa.assessments.rules.require_learner); the course team reads everything and moderates but
never submits or reviews.

Work is a draft until submitted, then fixed. A learner reviews once they have submitted,
up to the step's reviews_required; the step is complete when both are done.

Allocation is per run: learners review the work of their own run's cohort, as they talk in
their own run's conversation, and a run with too little work waits for more. The rule
(reserve_work): of the run's submitted, visible work, the piece with the fewest reviews given
or reserved (PeerSubmission.assigned), oldest first among equals; never the reviewer's own,
never work they have reviewed. A reservation counts in `assigned` at once, so the next
reviewer is given other work while this one writes, and two reviewers never both take the
last piece that needs a review. Reservations last RESERVATION; the next allocation on the
step releases lapsed ones and gives their count back, so work someone walked away from goes
to someone else. A review sent after its reservation was released still counts, if the work
is still open to the reviewer and they hold no other: slow writing is never thrown away. So
as long as others keep reviewing, every submission is reviewed, and the least reviewed first.

Counters change in the transaction that changes what they count: `assigned` is reviews given
plus reservations held, `review_count` the visible reviews. A hidden review leaves both, so
its work is offered to another reviewer and its author still gets a review that counts.

Locks, always in this order, so that concurrent writes queue instead of deadlocking: the
reviewer's enrolment (one review write at a time per learner, so two tabs cannot give more
reviews than asked), then the step's peer-review settings (when allocating), then allocations,
then the submission reviewed. Allocations on one step take turns on its settings row: each
then reads `assigned` as the one before left it, so concurrent reviewers spread over the work
exactly as if they had asked one after another (locking only the candidate row, a reviewer
could pick by counts another had just changed). An allocation is a few short statements, so
the turn is brief; SQLite runs writes one at a time anyway.
"""

import datetime
import logging
import re
from collections.abc import Sequence

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from stoa.accounts.limits import Limit
from stoa.accounts.models import User
from stoa.assessments.models import PeerAllocation, PeerReport, PeerReview, PeerSubmission
from stoa.assessments.peer.selectors import open_work
from stoa.assessments.rules import require_learner
from stoa.conversation import rules as conversation_rules
from stoa.conversation.models import Notification
from stoa.conversation.notifications.services import notify
from stoa.courses.models import Course, PeerReviewSettings, Step, StepType
from stoa.learning import services as learning_services
from stoa.learning.models import Enrolment
from stoa.lib.refusals import AlreadyDone, Invalid, NotAllowed, NotFound, TooMany

logger = logging.getLogger(__name__)

# Long enough to read a piece of work and write a review; a lapsed one costs nothing but a
# piece of work offered once more than the rule would (see the module's docstring).
RESERVATION = datetime.timedelta(minutes=30)
MAX_CHARS = 20_000  # PeerSubmission.text's max_length
MAX_ANSWER_CHARS = 5_000
REASON_MAX_LENGTH = 500  # PeerReport.reason and hidden_reason
RELEASE_BATCH = 100
WRITES = Limit("peer-write-minute", limit=10, window_seconds=60)
REPORTS = Limit("peer-report-hour", limit=10, window_seconds=60 * 60)

# Words as people count them: runs of anything but spaces and dashes that hold a letter or a
# digit, so "don't", "well-known", "3.5%" and "£18,000" are one word each and a dash standing
# between words ("—") is none. Scripts written without spaces (Chinese, Japanese) count a word
# per character, as word processors count them.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_UNSPACED}]|[^\s\u2012-\u2015\u2e3a\u2e3b{_UNSPACED}]+")


class AlreadySubmitted(AlreadyDone):
    """The work is submitted: it can no longer change."""


_SUBMITTED = _lazy("You have submitted your work: it can no longer be changed.")


class AlreadyReported(AlreadyDone):
    """This person has reported this before; a report is made once."""


class NothingToDo(AlreadyDone):
    """The decision is already in effect (a double submit): nothing changed."""


def count_words(text: str) -> int:
    return sum(1 for token in _TOKEN.findall(text) if any(ch.isalnum() for ch in token))


def settings_of(step: Step) -> PeerReviewSettings:
    """The step's peer-review settings, if it is a peer-review step."""
    if step.type != StepType.PEER_REVIEW:
        raise NotFound(_("This step has no peer review."))
    try:
        return step.peer_review
    except ObjectDoesNotExist as exc:
        raise NotFound(_("This step has no peer review.")) from exc


def clean_work(text: str) -> str:
    """The work as typed, with its line endings made one kind and its ends trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise Invalid(_("Write your work in the box before saving or submitting it."))
    if len(text) > MAX_CHARS:
        raise Invalid(
            _("Your work can be up to %(max)s characters; it has %(count)s.")
            % {"max": f"{MAX_CHARS:,}", "count": f"{len(text):,}"}
        )
    return text


def clean_answers(answers: Sequence[str], *, rubric: Sequence[str]) -> list[str]:
    """One answer per rubric line, in order, none of them empty."""
    if len(answers) != len(rubric):
        raise Invalid(_("Answer each question of the review."))
    cleaned = [answer.replace("\r\n", "\n").replace("\r", "\n").strip() for answer in answers]
    for number, answer in enumerate(cleaned, start=1):
        if not answer:
            raise Invalid(_("Answer question %(number)d of the review.") % {"number": number})
        if len(answer) > MAX_ANSWER_CHARS:
            raise Invalid(
                _("Answer question %(number)d in up to %(max)s characters.")
                % {"number": number, "max": f"{MAX_ANSWER_CHARS:,}"}
            )
    return cleaned


def clean_reason(reason: str) -> str:
    """The forms say this kindly; here it guards other callers, such as the API."""
    reason = reason.strip()
    if not reason:
        raise Invalid(_("A reason is required."))
    if len(reason) > REASON_MAX_LENGTH:
        raise Invalid(_("A reason has at most %(max)d characters.") % {"max": REASON_MAX_LENGTH})
    return reason


def _count_against(limit: Limit, user: User, message: str) -> None:
    result = limit.hit(str(user.pk))
    if not result.allowed:
        minutes = result.retry_after_minutes
        wait = ngettext("about a minute", "about %(count)d minutes", minutes) % {"count": minutes}
        raise TooMany(message % {"wait": wait}, retry_after=result.retry_after)


def _count_write(user: User) -> None:
    _count_against(
        WRITES,
        user,
        _(
            "You have saved or sent a lot in the last minute. Your text is kept: "
            "try again in %(wait)s."
        ),
    )


def _complete_if_done(*, enrolment: Enrolment, step: Step, settings: PeerReviewSettings) -> None:
    """The step is complete once the learner has submitted and given the reviews it asks."""
    submitted = PeerSubmission.objects.filter(
        user_id=enrolment.user_id, step=step, submitted_at__isnull=False
    ).exists()
    given = PeerReview.objects.filter(reviewer_id=enrolment.user_id, step=step).count()
    if submitted and given >= settings.reviews_required:
        learning_services.complete_step(enrolment=enrolment, step=step)


# --- A learner's work ------------------------------------------------------------------------


@transaction.atomic
def save_draft(*, user: User, step: Step, text: str) -> PeerSubmission:
    """Keeps the learner's work as a draft, which only they see, to finish later."""
    return _write_work(user=user, step=step, text=text, submit=False)


@transaction.atomic
def submit_work(*, user: User, step: Step, text: str) -> PeerSubmission:
    """Submits the learner's work for review: from now on it cannot change. Invalid when it
    is shorter than the step's min_words; nothing is stored then, and the caller shows the
    text again."""
    return _write_work(user=user, step=step, text=text, submit=True)


def _write_work(*, user: User, step: Step, text: str, submit: bool) -> PeerSubmission:
    settings = settings_of(step)
    enrolment = require_learner(user=user, step=step)
    text = clean_work(text)
    words = count_words(text)
    if submit and words < settings.min_words:
        raise Invalid(
            ngettext(
                "Your work has %(count)d word; write at least %(min)d before submitting it.",
                "Your work has %(count)d words; write at least %(min)d before submitting it.",
                words,
            )
            % {"count": words, "min": settings.min_words}
        )
    work = PeerSubmission.objects.select_for_update().filter(user=user, step=step).first()
    if work is not None and work.is_submitted:
        raise AlreadySubmitted(_SUBMITTED)
    _count_write(user)
    now = timezone.now()
    fields = {
        # A draft goes with its writer: into the run they are in when they save or submit it.
        "run": enrolment.run,
        "text": text,
        "word_count": words,
        "updated_at": now,
        "submitted_at": now if submit else None,
    }
    if work is None:
        try:
            with transaction.atomic():
                work = PeerSubmission.objects.create(user=user, step=step, created_at=now, **fields)
        except IntegrityError:  # written in another tab at the same moment: this one wins
            work = PeerSubmission.objects.select_for_update().get(user=user, step=step)
            if work.is_submitted:
                raise AlreadySubmitted(_SUBMITTED) from None
            _update(work, fields)
    else:
        _update(work, fields)
    if submit:
        logger.info("User %s submitted peer-review work on step %s", user.pk, step.pk)
        _complete_if_done(enrolment=enrolment, step=step, settings=settings)
    return work


def _update(work: PeerSubmission, fields: dict) -> None:
    for name, value in fields.items():
        setattr(work, name, value)
    work.save(update_fields=list(fields))


# --- Reviewing -----------------------------------------------------------------------------


def _reviewer(*, user: User, step: Step) -> tuple[PeerReviewSettings, Enrolment, int]:
    """The reviewer's settings, enrolment (locked: their writes queue) and reviews given so
    far, if they may review on this step now."""
    settings = settings_of(step)
    enrolment = require_learner(user=user, step=step)
    # Only the enrolment's row: locking its run too would queue every reviewer of the run.
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",)).select_related("run").get(pk=enrolment.pk)
    )
    if not PeerSubmission.objects.filter(user=user, step=step, submitted_at__isnull=False).exists():
        raise NotAllowed(_("Submit your own work first: then you can review others' work."))
    given = PeerReview.objects.filter(reviewer=user, step=step).count()
    if given >= settings.reviews_required:
        raise AlreadyDone(
            ngettext(
                "You have given the %(count)d review this step asks for.",
                "You have given the %(count)d reviews this step asks for.",
                settings.reviews_required,
            )
            % {"count": settings.reviews_required}
        )
    return settings, enrolment, given


def release_lapsed(
    *, step: Step, now: datetime.datetime | None = None, keep: User | None = None
) -> int:
    """Releases the step's reservations that have lapsed, but `keep`'s (who is asking again
    and renews theirs), giving their count back to their work, so that it is offered again.
    Each in a short transaction of its own, holding no other lock (see the lock order above).
    Returns how many it released."""
    now = now or timezone.now()
    lapsed = PeerAllocation.objects.filter(step=step, reserved_until__lte=now)
    if keep is not None:
        lapsed = lapsed.exclude(reviewer=keep)
    released = 0
    for allocation_id, submission_id in list(
        lapsed.values_list("pk", "submission_id")[:RELEASE_BATCH]
    ):
        with transaction.atomic():
            deleted, _by_model = PeerAllocation.objects.filter(
                pk=allocation_id, reserved_until__lte=now
            ).delete()
            if deleted:  # else released at the same moment by someone else, or renewed
                _change_assigned(submission_id, -1)
                released += 1
    return released


def _change_assigned(submission_id: int, by: int) -> None:
    PeerSubmission.objects.filter(pk=submission_id).update(assigned=F("assigned") + by)


def reserve_work(*, user: User, step: Step) -> PeerAllocation | None:
    """The work the learner is to review next, reserved for them for RESERVATION; None when
    no work is waiting for them. Asking again while holding a reservation, even a lapsed one
    nobody has released yet, renews it and gives the same work (a double click, a second tab,
    a reviewer back from a break)."""
    settings_of(step)
    release_lapsed(step=step, keep=user)
    return _reserve(user=user, step=step)


@transaction.atomic
def _reserve(*, user: User, step: Step) -> PeerAllocation | None:
    settings, enrolment, _given = _reviewer(user=user, step=step)
    run = enrolment.run
    now = timezone.now()
    # NO KEY: rows that merely refer to the settings are not held up.
    list(
        PeerReviewSettings.objects.select_for_update(no_key=True)
        .filter(pk=settings.pk)
        .values_list("pk")
    )
    held = PeerAllocation.objects.select_for_update().filter(reviewer=user, step=step).first()
    if held is not None:
        still_open = PeerSubmission.objects.filter(
            pk=held.submission_id, run=run, submitted_at__isnull=False, hidden_at__isnull=True
        ).exists()
        if still_open:
            held.reserved_until = now + RESERVATION
            held.save(update_fields=["reserved_until"])
            return held
        # Work from a run the learner has since left: let it go.
        held.delete()
        _change_assigned(held.submission_id, -1)
    candidates = open_work(step=step, run=run, reviewer=user).order_by(
        "assigned", "submitted_at", "pk"
    )
    work = candidates.first()
    if work is None:
        return None
    _change_assigned(work.pk, +1)
    return PeerAllocation.objects.create(
        reviewer=user, step=step, submission=work, reserved_until=now + RESERVATION
    )


@transaction.atomic
def give_review(
    *, reviewer: User, submission: PeerSubmission, answers: Sequence[str]
) -> PeerReview:
    """The reviewer's review of the work: one answer per rubric line. Its author is told.
    The work must be open to the reviewer: submitted and visible, in their run, not their own,
    not reviewed by them before, and reserved for them (or, once their reservation lapsed and
    was released, not given to them in its place)."""
    step = submission.step
    settings, enrolment, given = _reviewer(user=reviewer, step=step)
    held = PeerAllocation.objects.select_for_update().filter(reviewer=reviewer, step=step).first()
    work = (
        PeerSubmission.objects.select_for_update()
        .filter(
            pk=submission.pk,
            step=step,
            run=enrolment.run,
            submitted_at__isnull=False,
            hidden_at__isnull=True,
        )
        .exclude(user=reviewer)
        .select_related("user")
        .first()
    )
    if work is None:
        raise NotFound(_("This work is not open to you for review."))
    if PeerReview.objects.filter(submission=work, reviewer=reviewer).exists():
        raise AlreadyDone(_("You have already reviewed this work."))
    if held is not None and held.submission_id != work.pk:
        raise NotAllowed(
            _("This work is no longer reserved for you: review the work the step shows you now.")
        )
    # Only now, once the work is known to be open to them: a page that shows the answers
    # again beside the work may show it.
    answers = clean_answers(answers, rubric=settings.rubric)
    _count_write(reviewer)
    try:
        with transaction.atomic():
            review = PeerReview.objects.create(
                submission=work,
                reviewer=reviewer,
                run=enrolment.run,
                step=step,
                answers=answers,
                created_at=timezone.now(),
            )
    except IntegrityError as exc:  # the same review sent twice at the same moment
        raise AlreadyDone(_("You have already reviewed this work.")) from exc
    if held is not None:
        held.delete()  # the reservation becomes the review: `assigned` stays as it is
        PeerSubmission.objects.filter(pk=work.pk).update(review_count=F("review_count") + 1)
    else:
        PeerSubmission.objects.filter(pk=work.pk).update(
            review_count=F("review_count") + 1, assigned=F("assigned") + 1
        )
    notify(recipient=work.user, kind=Notification.Kind.PEER_REVIEW, actor=reviewer, step=step)
    logger.info("User %s reviewed peer-review work %s", reviewer.pk, work.pk)
    if given + 1 >= settings.reviews_required:
        _complete_if_done(enrolment=enrolment, step=step, settings=settings)
    return review


# --- Reports -------------------------------------------------------------------------------


def require_reporter(
    *, reporter: User, submission: PeerSubmission, review: PeerReview | None = None
) -> None:
    """Refuses unless the person may report this work or review: a learner of its run who has
    been shown it. Work is shown to the learners reviewing it; a review to the author of the
    work it reviews. Anything else, or anything hidden, is not found."""
    step = submission.step
    settings_of(step)
    enrolment = require_learner(user=reporter, step=step)
    if submission.run_id != enrolment.run_id or submission.submitted_at is None:
        raise NotFound(_("No such work."))
    if review is None:
        shown = (
            PeerAllocation.objects.filter(reviewer=reporter, submission=submission).exists()
            or PeerReview.objects.filter(reviewer=reporter, submission=submission).exists()
        )
        if submission.user_id == reporter.pk or submission.hidden_at is not None or not shown:
            raise NotFound(_("No such work."))
    elif (
        review.submission_id != submission.pk
        or submission.user_id != reporter.pk
        or review.hidden_at is not None
    ):
        raise NotFound(_("No such review."))


@transaction.atomic
def report(
    *, reporter: User, submission: PeerSubmission, review: PeerReview | None = None, reason: str
) -> PeerReport:
    """Reports work, or a review of it, to the course team, once per person and thing."""
    require_reporter(reporter=reporter, submission=submission, review=review)
    reason = clean_reason(reason)
    already = _("You have already reported this.")
    if PeerReport.objects.filter(reporter=reporter, submission=submission, review=review).exists():
        raise AlreadyReported(already)
    _count_against(
        REPORTS, reporter, _("You have sent a lot of reports this hour. Try again in %(wait)s.")
    )
    try:
        with transaction.atomic():
            return PeerReport.objects.create(
                reporter=reporter,
                submission=submission,
                review=review,
                reason=reason,
                created_at=timezone.now(),
            )
    except IntegrityError as exc:  # reported in another tab at the same moment
        raise AlreadyReported(already) from exc


# --- The course team's decisions -----------------------------------------------------------


def require_moderator(*, user: User, course: Course) -> None:
    """The conversation's moderators (the course team and staff) moderate peer review too."""
    if not conversation_rules.may_moderate(user=user, course=course):
        raise NotAllowed(_("Only this course's team can moderate its peer review."))


def _resolve(*, submission: PeerSubmission, review: PeerReview | None) -> int:
    return PeerReport.objects.filter(
        submission=submission, review=review, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())


def _tell(*, recipient_id: int, moderator: User, step: Step, text: str) -> None:
    notify(
        recipient=User.objects.get(pk=recipient_id),
        kind=Notification.Kind.MODERATION,
        actor=moderator,
        step=step,
        text=text[:500],
    )


@transaction.atomic
def hide_work(*, moderator: User, submission: PeerSubmission, reason: str) -> None:
    """Hides work from learners: it leaves allocation, reviewers holding it let it go, its
    author sees it hidden with the reason (and is told). Resolves its reports."""
    reason = clean_reason(reason)
    step = submission.step
    require_moderator(user=moderator, course=step.week.course)
    held = list(PeerAllocation.objects.select_for_update().filter(submission=submission))
    work = PeerSubmission.objects.select_for_update().get(pk=submission.pk)
    if work.hidden_at is not None:
        raise NothingToDo(_("This work is already hidden."))
    PeerAllocation.objects.filter(pk__in=[allocation.pk for allocation in held]).delete()
    PeerSubmission.objects.filter(pk=work.pk).update(
        hidden_at=timezone.now(), hidden_reason=reason, assigned=F("assigned") - len(held)
    )
    _resolve(submission=work, review=None)
    logger.info("User %s hid peer-review work %s", moderator.pk, work.pk)
    _tell(
        recipient_id=work.user_id,
        moderator=moderator,
        step=step,
        text=_("A moderator hid your work on step %(step)s. Reason: %(reason)s")
        % {"step": step.number, "reason": reason},
    )


@transaction.atomic
def restore_work(*, moderator: User, submission: PeerSubmission) -> None:
    """Shows hidden work again: back among the work offered for review."""
    step = submission.step
    require_moderator(user=moderator, course=step.week.course)
    work = PeerSubmission.objects.select_for_update().get(pk=submission.pk)
    if work.hidden_at is None:
        raise NothingToDo(_("This work is not hidden."))
    PeerSubmission.objects.filter(pk=work.pk).update(hidden_at=None, hidden_reason="")
    logger.info("User %s restored peer-review work %s", moderator.pk, work.pk)
    _tell(
        recipient_id=work.user_id,
        moderator=moderator,
        step=step,
        text=_("A moderator restored your work on step %(step)s.") % {"step": step.number},
    )


@transaction.atomic
def hide_review(*, moderator: User, review: PeerReview, reason: str) -> None:
    """Hides a review from the author of the work: it no longer counts among the work's
    reviews, so the work is offered to another reviewer. Its reviewer is told why."""
    reason = clean_reason(reason)
    step = review.step
    require_moderator(user=moderator, course=step.week.course)
    PeerSubmission.objects.select_for_update().filter(pk=review.submission_id).first()
    current = PeerReview.objects.select_for_update().get(pk=review.pk)
    if current.hidden_at is not None:
        raise NothingToDo(_("This review is already hidden."))
    PeerReview.objects.filter(pk=current.pk).update(hidden_at=timezone.now(), hidden_reason=reason)
    PeerSubmission.objects.filter(pk=current.submission_id).update(
        review_count=F("review_count") - 1, assigned=F("assigned") - 1
    )
    _resolve(submission=current.submission, review=current)
    logger.info("User %s hid peer review %s", moderator.pk, current.pk)
    _tell(
        recipient_id=current.reviewer_id,
        moderator=moderator,
        step=step,
        text=_("A moderator hid your review on step %(step)s. Reason: %(reason)s")
        % {"step": step.number, "reason": reason},
    )


@transaction.atomic
def restore_review(*, moderator: User, review: PeerReview) -> None:
    step = review.step
    require_moderator(user=moderator, course=step.week.course)
    PeerSubmission.objects.select_for_update().filter(pk=review.submission_id).first()
    current = PeerReview.objects.select_for_update().get(pk=review.pk)
    if current.hidden_at is None:
        raise NothingToDo(_("This review is not hidden."))
    PeerReview.objects.filter(pk=current.pk).update(hidden_at=None, hidden_reason="")
    PeerSubmission.objects.filter(pk=current.submission_id).update(
        review_count=F("review_count") + 1, assigned=F("assigned") + 1
    )
    logger.info("User %s restored peer review %s", moderator.pk, current.pk)
    _tell(
        recipient_id=current.reviewer_id,
        moderator=moderator,
        step=step,
        text=_("A moderator restored your review on step %(step)s.") % {"step": step.number},
    )


@transaction.atomic
def dismiss_reports(
    *, moderator: User, submission: PeerSubmission, review: PeerReview | None = None
) -> int:
    """Resolves the open reports of work (or of one review of it) and leaves it up. Nobody is
    told: nothing about it changes."""
    require_moderator(user=moderator, course=submission.step.week.course)
    dismissed = _resolve(submission=submission, review=review)
    if not dismissed:
        raise NothingToDo(_("There are no open reports on this."))
    logger.info(
        "User %s dismissed %d report(s) of peer-review work %s/%s",
        moderator.pk,
        dismissed,
        submission.pk,
        review.pk if review else "-",
    )
    return dismissed
