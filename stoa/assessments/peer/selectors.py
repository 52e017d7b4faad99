"""Reads of peer review shared by the step page, the moderation queue and (later) the API.
Each runs a fixed number of queries, however much work and how many reviews there are."""

import datetime
from dataclasses import dataclass, field
from itertools import zip_longest

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from stoa.accounts.models import User
from stoa.assessments.models import PeerAllocation, PeerReport, PeerReview, PeerSubmission
from stoa.courses.models import Course, CourseRun, PeerReviewSettings, Step, StepType
from stoa.learning.extensions import StepState
from stoa.learning.models import Enrolment
from stoa.lib.i18n import Words
from stoa.lib.keyset import EPOCH, Cursor, after_descending
from stoa.lib.prepared import PreparedQuery

TEAM_PAGE_SIZE = 20
REVIEWS_SHOWN = 10  # per piece of work in the team's list
RECEIVED_SHOWN = 50  # reviews of one's own work: far more than any step asks for
REPORTS_READ = 200  # open reports the moderation queue reads, oldest first
REPORTED_SHOWN = 25  # pieces of work or reviews with open reports
REASONS_SHOWN = 5
HIDDEN_SHOWN = 10


def open_work(*, step: Step, run: CourseRun, reviewer: User) -> QuerySet[PeerSubmission]:
    """The work of the run a reviewer may be given: submitted, visible, not theirs, not
    reviewed by them. Read through the allocation index (step, run, assigned, submitted_at)."""
    reviewed = PeerReview.objects.filter(reviewer=reviewer, step=step).values("submission_id")
    return (
        PeerSubmission.objects.filter(
            step=step, run=run, submitted_at__isnull=False, hidden_at__isnull=True
        )
        .exclude(user=reviewer)
        .exclude(pk__in=reviewed)
    )


@dataclass
class Answer:
    question: str
    text: str


def answers_of(review: PeerReview, rubric: list[str]) -> list[Answer]:
    """A review's answers beside the questions they answer. A rubric changed since (by a
    re-imported package) keeps every answer, under "Question N" where its line has gone."""
    return [
        Answer(
            question=question or _("Question %(number)d") % {"number": number},
            text=text or "",
        )
        for number, (question, text) in enumerate(zip_longest(rubric, review.answers), start=1)
        if text is not None
    ]


@dataclass
class ShownReview:
    review: PeerReview
    answers: list[Answer]
    reported: bool = False


@dataclass
class LearnerPeerReview:
    """Peer review on a step as one learner sees it."""

    settings: PeerReviewSettings
    may_take_part: bool
    work: PeerSubmission | None = None
    reviews_given: int = 0
    reviewing: PeerSubmission | None = None  # the work reserved for them to review
    reported_reviewing: bool = False
    work_waiting: bool = False
    received: list[ShownReview] = field(default_factory=list)

    @property
    def submitted(self) -> bool:
        return self.work is not None and self.work.is_submitted

    @property
    def reviews_done(self) -> bool:
        return self.reviews_given >= self.settings.reviews_required

    @property
    def may_review(self) -> bool:
        return self.may_take_part and self.submitted and not self.reviews_done


def learner_peer_review(
    *, step: Step, settings: PeerReviewSettings, user: User, run: CourseRun | None, enrolled: bool
) -> LearnerPeerReview:
    """The learner's work, their progress in reviewing, the work reserved for them in `run`
    (their run) and the visible reviews of their work. Five queries at most."""
    view = LearnerPeerReview(settings=settings, may_take_part=enrolled and run is not None)
    view.work = PeerSubmission.objects.filter(user=user, step=step).first()
    if view.work is None or not view.work.is_submitted:
        return view
    view.reviews_given = PeerReview.objects.filter(reviewer=user, step=step).count()
    if view.may_review and run is not None:
        held = (
            PeerAllocation.objects.filter(
                reviewer=user,
                step=step,
                submission__run=run,
                submission__submitted_at__isnull=False,
                submission__hidden_at__isnull=True,
            )
            .select_related("submission__user")
            .first()
        )
        if held is not None:
            view.reviewing = held.submission
        else:
            view.work_waiting = open_work(step=step, run=run, reviewer=user).exists()
    received = list(
        PeerReview.objects.filter(submission=view.work, hidden_at__isnull=True)
        .select_related("reviewer")
        .order_by("created_at", "pk")[:RECEIVED_SHOWN]
    )
    if received or view.reviewing:
        reported = set(
            PeerReport.objects.filter(reporter=user)
            .filter(
                submission_id__in=[view.work.pk, *([view.reviewing.pk] if view.reviewing else [])]
            )
            .values_list("submission_id", "review_id")
        )
        view.reported_reviewing = view.reviewing is not None and (
            (view.reviewing.pk, None) in reported
        )
    else:
        reported = set()
    view.received = [
        ShownReview(
            review=review,
            answers=answers_of(review, settings.rubric),
            reported=(view.work.pk, review.pk) in reported,
        )
        for review in received
    ]
    return view


# --- The course team's view of a step ----------------------------------------------------------


def cursor_of(work: PeerSubmission) -> Cursor:
    """After this work, in the team's list by submission time, newest first."""
    assert work.submitted_at is not None
    return Cursor((work.submitted_at - EPOCH) // datetime.timedelta(microseconds=1), work.pk)


@dataclass
class TeamItem:
    work: PeerSubmission
    reviews: list[ShownReview] = field(default_factory=list)
    more_reviews: bool = False


@dataclass
class TeamPeerReview:
    settings: PeerReviewSettings
    items: list[TeamItem]
    next_cursor: Cursor | None
    is_first_page: bool


def team_peer_review(
    *, step: Step, settings: PeerReviewSettings, cursor: Cursor | None
) -> TeamPeerReview:
    """Every run's submitted work on the step, newest first, TEAM_PAGE_SIZE a page, each with
    its first REVIEWS_SHOWN reviews; hidden ones included (the template marks them). Two
    queries, through the (step, submitted_at) index."""
    works = PeerSubmission.objects.filter(step=step, submitted_at__isnull=False).select_related(
        "user", "run"
    )
    if cursor is not None:
        works = works.filter(after_descending("submitted_at", cursor.time, cursor.id))
    rows = list(works.order_by("-submitted_at", "-pk")[: TEAM_PAGE_SIZE + 1])
    next_cursor = cursor_of(rows[TEAM_PAGE_SIZE - 1]) if len(rows) > TEAM_PAGE_SIZE else None
    items = {work.pk: TeamItem(work=work) for work in rows[:TEAM_PAGE_SIZE]}
    reviews = (
        PeerReview.objects.filter(submission_id__in=list(items))
        .select_related("reviewer")
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("submission_id"),
                order_by=[F("created_at").asc(), F("pk").asc()],
            )
        )
        .filter(rank__lte=REVIEWS_SHOWN + 1)  # one more says whether there are more
        .order_by("submission_id", "created_at", "pk")
    )
    for review in reviews if items else []:
        item = items[review.submission_id]
        if len(item.reviews) < REVIEWS_SHOWN:
            item.reviews.append(ShownReview(review, answers_of(review, settings.rubric)))
        else:
            item.more_reviews = True
    return TeamPeerReview(
        settings=settings,
        items=list(items.values()),
        next_cursor=next_cursor,
        is_first_page=cursor is None,
    )


# --- The moderation queue ------------------------------------------------------------------


@dataclass
class ReportedItem:
    """Work, or one review of it, with open reports."""

    work: PeerSubmission
    review: PeerReview | None
    reasons: list[PeerReport] = field(default_factory=list)
    open_reports: int = 0
    answers: list[Answer] = field(default_factory=list)

    @property
    def more_reasons(self) -> int:
        return self.open_reports - len(self.reasons)


@dataclass
class PeerModeration:
    reported: list[ReportedItem]
    hidden_work: list[PeerSubmission]
    hidden_reviews: list[ShownReview]


def peer_moderation(*, course: Course) -> PeerModeration | None:
    """A course's peer-review work and reviews with open reports, longest waiting first, and
    the recently hidden ones; None for a course without peer review. Four queries."""
    if not Step.objects.filter(week__course=course, type=StepType.PEER_REVIEW).exists():
        return None
    reports = (
        PeerReport.objects.filter(submission__step__week__course=course, resolved_at__isnull=True)
        .select_related(
            "submission__user",
            "submission__step__week",
            "submission__step__peer_review",
            "review__reviewer",
        )
        .order_by("created_at", "pk")[:REPORTS_READ]
    )
    items: dict[tuple[int, int | None], ReportedItem] = {}
    for found in reports:
        key = (found.submission_id, found.review_id)
        item = items.get(key)
        if item is None:
            if len(items) == REPORTED_SHOWN:
                continue
            item = items[key] = ReportedItem(work=found.submission, review=found.review)
            if found.review is not None:
                rubric = found.submission.step.peer_review.rubric
                item.answers = answers_of(found.review, rubric)
        item.open_reports += 1
        if len(item.reasons) < REASONS_SHOWN:
            item.reasons.append(found)
    hidden_work = list(
        PeerSubmission.objects.filter(step__week__course=course, hidden_at__isnull=False)
        .select_related("user", "step__week")
        .order_by("-hidden_at", "-pk")[:HIDDEN_SHOWN]
    )
    hidden_reviews = [
        ShownReview(review, answers_of(review, review.step.peer_review.rubric))
        for review in PeerReview.objects.filter(step__week__course=course, hidden_at__isnull=False)
        .select_related("reviewer", "submission__user", "step__week", "step__peer_review")
        .order_by("-hidden_at", "-pk")[:HIDDEN_SHOWN]
    ]
    return PeerModeration(
        reported=list(items.values()), hidden_work=hidden_work, hidden_reviews=hidden_reviews
    )


# The to-do list's reads, compiled once (stoa.lib.prepared).
def _work_query(values) -> QuerySet:
    # The reviews given on each step with work: reviewing comes after submitting, and a step
    # without work shows "Not started" whatever was reviewed.
    given = (
        PeerReview.objects.filter(reviewer_id=OuterRef("user_id"), step_id=OuterRef("step_id"))
        .order_by()
        .values("step_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        PeerSubmission.objects.filter(user_id=values.user, step__week__course_id=values.course)
        .annotate(given=Coalesce(Subquery(given), 0))
        .values("step_id", "submitted_at", "step__peer_review__reviews_required", "given")
    )


# The to-do list's read of the learner's work, compiled once (stoa.lib.prepared).
_WORK = PreparedQuery(_work_query)


STATE_WORDS = Words(
    not_started=gettext_noop("Not started"),
    draft=gettext_noop("Draft saved"),
    submitted=gettext_noop("Submitted"),
)


def step_states(enrolment: Enrolment, steps: list[Step]) -> dict[int, StepState]:
    """The learner's state on each peer-review step among `steps`, for the to-do list: not
    started, a draft, or submitted with the reviews given so far. One query (their work, with
    the reviews given on each step), whether or not the course has peer review."""
    ids = [step.pk for step in steps if step.type == StepType.PEER_REVIEW]
    work = {
        row["step_id"]: (
            row["submitted_at"],
            row["step__peer_review__reviews_required"],
            row["given"],
        )
        for row in _WORK.run(user=enrolment.user_id, course=enrolment.course_id)
    }
    states = {}
    words = STATE_WORDS.now()
    for step_id in ids:
        if step_id not in work:
            states[step_id] = StepState(label=words["not_started"])
            continue
        submitted_at, required, given = work[step_id]
        if submitted_at is None:
            states[step_id] = StepState(label=words["draft"])
        else:
            states[step_id] = StepState(
                label=words["submitted"],
                detail=_("%(given)d of %(required)d reviews given")
                % {"given": given, "required": required or 1},
            )
    return states
