"""Who may see and do what in the conversation: the one place these rules live.

Services ask here before every write and raise a Refused (stoa.lib.refusals) with the answer;
selectors build their queries from visible_comments() and readable_comments(); the comment
renderer asks the same predicates to decide which buttons to draw. Pages, commands, tasks and
the API therefore share one answer.

The rules:
- Taking part (posting, replying, liking, saving, following from a comment, reporting,
  editing and deleting one's own) is for the active learners of the comment's run, and for
  the course team (its members with accounts, and staff), in any run of their course.
- A run's conversation may close (CourseRun.conversation_closes_on): from the day after, it
  is read-only for everyone, the team included. Everyone who could read it still can;
  learners may still report a comment, since what stays readable must stay reportable.
- A comment is visible to a learner, or a visitor reading along, only if it is in the run
  whose conversation they see, on a week open for them in that run, and neither hidden nor
  deleted. Its author also sees it while hidden, with the reason. The team sees every comment
  of its course, hidden ones included. Pages that gather comments from many steps and
  courses (notifications, the digest, profiles, bookmarks) apply the same rule to every run
  the person is in (readable_comments), and authors always read their own.
- A deleted comment with replies stays as a placeholder so its thread reads on; nothing can
  be done to it. A hidden comment takes no likes, replies or reports.
- Comments are edited by their authors only, within EDIT_WINDOW of posting.
- Moderating (hide, restore, dismiss reports) is for the course team and staff.
- Test and peer-review steps have no conversation (has_conversation).
"""

import datetime
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.courses.models import Course, CourseRun, CourseTeamMember, Step, StepType
from stoa.courses.permissions import Can, may
from stoa.learning import selectors as learning
from stoa.learning.access import StepAccess
from stoa.learning.models import Enrolment
from stoa.lib.refusals import NotAllowed, NotFound

EDIT_WINDOW = datetime.timedelta(minutes=15)
NO_CONVERSATION = {StepType.TEST, StepType.PEER_REVIEW}


class CommentFacts(Protocol):
    """What the rules read of a comment: a Comment, or a row a page lists."""

    author_id: int
    created_at: datetime.datetime
    deleted_at: datetime.datetime | None
    hidden_at: datetime.datetime | None


@dataclass(frozen=True)
class Viewer:
    """A person in one course's conversation, and their place in it.

    run is the run whose conversation they see and write in: a learner's own run; for the
    team, the run they are looking at; for visitors, the run they would join. is_enrolled
    means an active enrolment in that run, not merely in the course.
    """

    user: User | AnonymousUser
    course_id: int
    run: CourseRun | None = None
    is_team: bool = False
    is_enrolled: bool = False

    # Cached: a page asks these of every comment, and request.user is a lazy object whose
    # every attribute costs a wrapper call.
    @cached_property
    def user_id(self) -> int | None:
        return self.user.pk

    @cached_property
    def takes_part(self) -> bool:
        return may_take_part(self)

    def sees_week(self, number: int, *, today: datetime.date | None = None) -> bool:
        """Whether week `number` is open for this person in their run."""
        if self.is_team:
            return True
        if self.run is None:
            return False
        return self.run.is_week_open(number, today=today or timezone.localdate())


def viewer_in(*, user: User | AnonymousUser, run: CourseRun) -> Viewer:
    """The person's place in this run's conversation, looked up: for services, which decide
    from the database rather than from what a page passed them. Two queries."""
    course = run.course
    enrolment = learning.enrolment_for(user=user, course=course)
    return Viewer(
        user=user,
        course_id=course.pk,
        run=run,
        is_team=learning.is_course_team(user=user, course=course),
        is_enrolled=enrolment is not None and enrolment.run_id == run.pk,
    )


def viewer_of(*, user: User | AnonymousUser, course: Course) -> Viewer:
    """The person's place in the course's conversation, as a step page decides it (their
    enrolment's run, else the next open run): for pages reached without a step, such as a
    comment's report page, so that they find exactly the comments the step pages show."""
    enrolment = learning.enrolment_for(user=user, course=course)
    return Viewer(
        user=user,
        course_id=course.pk,
        run=enrolment.run if enrolment else learning.next_open_run(course=course),
        is_team=learning.is_course_team(user=user, course=course),
        is_enrolled=enrolment is not None,
    )


def viewer_at(access: StepAccess) -> Viewer:
    """The person's place in the conversation of the step they are on, as learning decided it
    (no queries)."""
    enrolment = access.enrolment
    return Viewer(
        user=access.user,
        course_id=access.course.pk,
        run=access.run,
        is_team=access.is_team,
        is_enrolled=enrolment is not None and enrolment.run_id == getattr(access.run, "pk", None),
    )


def has_conversation(step: Step) -> bool:
    """As on the reference platform, test and peer-review steps have no conversation beside
    them: it would give answers away before learners have given theirs."""
    return step.type not in NO_CONVERSATION


# --- Predicates, for pages and the renderer ------------------------------------------------


def may_take_part(viewer: Viewer) -> bool:
    return is_participant(viewer) and not is_read_only(viewer.run)


def is_participant(viewer: Viewer) -> bool:
    """A learner of the run or a member of the team, whether or not its conversation is open."""
    return viewer.user.is_authenticated and (viewer.is_team or viewer.is_enrolled)


def is_read_only(run: CourseRun | None, *, today: datetime.date | None = None) -> bool:
    """The run's conversation has closed: nobody posts, replies or likes in it any more."""
    return run is not None and not run.conversation_is_open(today=today or timezone.localdate())


def is_live(comment: CommentFacts) -> bool:
    """Neither deleted nor hidden: something people may respond to."""
    return comment.deleted_at is None and comment.hidden_at is None


def is_own(viewer: Viewer, comment: CommentFacts) -> bool:
    return comment.author_id == viewer.user_id


def can_see_hidden(viewer: Viewer, comment: CommentFacts) -> bool:
    return viewer.is_team or is_own(viewer, comment)


def can_see(viewer: Viewer, comment) -> bool:
    """The comment is in the run whose conversation the viewer sees, on a week open for them,
    and not hidden from them. `comment` is a Comment with its step's week loaded; lists ask
    the same of the database with visible_comments()."""
    run = viewer.run
    if run is None or comment.run_id != run.pk:
        return False
    if not viewer.sees_week(comment.step.week.number):
        return False
    return comment.hidden_at is None or can_see_hidden(viewer, comment)


def can_respond(viewer: Viewer, comment: CommentFacts) -> bool:
    """Reply, like, save: for those who take part, to a comment that is live."""
    return viewer.takes_part and is_live(comment)


def can_like(viewer: Viewer, comment: CommentFacts) -> bool:
    return can_respond(viewer, comment) and not is_own(viewer, comment)


def can_follow_author(viewer: Viewer, comment: CommentFacts) -> bool:
    return can_respond(viewer, comment) and not is_own(viewer, comment)


def can_report(viewer: Viewer, comment: CommentFacts) -> bool:
    """Learners of the comment's run report to the team; the team moderates instead."""
    return viewer.is_enrolled and is_live(comment) and not is_own(viewer, comment)


def edit_window_open(posted_at: datetime.datetime, *, now: datetime.datetime | None = None) -> bool:
    return (now or timezone.now()) - posted_at < EDIT_WINDOW


def can_edit(viewer: Viewer, comment: CommentFacts) -> bool:
    return (
        viewer.takes_part
        and is_own(viewer, comment)
        and is_live(comment)
        and edit_window_open(comment.created_at)
    )


def can_delete(viewer: Viewer, comment: CommentFacts) -> bool:
    return viewer.takes_part and is_own(viewer, comment) and comment.deleted_at is None


def may_moderate(*, user: User | AnonymousUser, course: Course) -> bool:
    """Whoever the course's permission table lets moderate (stoa.courses.permissions: lead
    educators, educators and mentors; not hosts, who only carry a badge) and staff. Educators
    of other courses may not."""
    return may(user=user, course=course, action=Can.MODERATE)


# --- Queries: the visibility rule as a filter ----------------------------------------------


def visible_comments(viewer: Viewer) -> Q:
    """The comments of the viewer's run they may see: all of them for the team; for others,
    not hidden (unless their own). For one step's conversation: the caller has checked that
    the step's week is open for them (a step page does); pages gathering comments from many
    steps use readable_comments(). Deleted ones stay for the caller to show as placeholders or
    leave out."""
    if viewer.run is None:
        return Q(pk__in=[])
    return Q(run_id=viewer.run.pk) & not_hidden_from(viewer)


def not_hidden_from(viewer: Viewer) -> Q:
    """The part of visible_comments() about hiding alone: for the replies of threads already
    found visible, which are in the same run (one condition less in every subquery of a
    page's first replies)."""
    if viewer.is_team:
        return Q()
    if viewer.user_id is not None:
        return Q(hidden_at__isnull=True) | Q(author_id=viewer.user_id)
    return Q(hidden_at__isnull=True)


def readable_comments(user: User, *, prefix: str = "", today: datetime.date | None = None) -> Q:
    """Every comment the user may read, in any course: in their runs (as active learners) on
    weeks open in those runs and not hidden; their own, wherever they are (hidden ones with
    the reason); every comment of the courses on whose team they are, hidden ones included;
    never a deleted one. Staff read everything. For the
    pages that gather comments from many steps: notifications, the digest, profiles,
    bookmarks. `prefix` applies it through a relation ("comment__")."""
    if user.is_staff:
        return Q(**{f"{prefix}deleted_at__isnull": True})
    today = today or timezone.localdate()
    readable = Q(pk__in=[])  # nothing, until a run or a course adds to it
    for run in CourseRun.objects.filter(
        enrolments__user=user, enrolments__left_at__isnull=True
    ).only("id", "starts_on", "release"):
        open_weeks = run.open_week_count(today=today)
        if open_weeks:
            readable |= Q(
                **{f"{prefix}run_id": run.pk, f"{prefix}step__week__number__lte": open_weeks}
            )
    own = Q(**{f"{prefix}author_id": user.pk})
    teams = CourseTeamMember.objects.filter(user=user).values("course_id")
    return Q(**{f"{prefix}deleted_at__isnull": True}) & (
        (readable & Q(**{f"{prefix}hidden_at__isnull": True}))
        | own
        | Q(**{f"{prefix}run__course_id__in": teams})
    )


def active_learners_of(run_id: int):
    """The ids of a run's active learners, as a subquery."""
    return Enrolment.objects.filter(run_id=run_id, left_at__isnull=True).values("user_id")


# --- Checks, for services: each raises a Refused with a message for the person ---------------


def require_part(viewer: Viewer) -> None:
    if not is_participant(viewer):
        raise NotAllowed(_("Join this course to take part in the conversation."))
    if viewer.run is not None and is_read_only(viewer.run):
        raise NotAllowed(
            _(
                "This run's conversation closed on %(date)s. You can still read it, but no "
                "longer post, reply or like."
            )
            % {"date": f"{viewer.run.conversation_closes_on:%-d %B %Y}"}
        )


def require_week_open(viewer: Viewer, week_number: int) -> None:
    if not viewer.sees_week(week_number):
        # The run is set: sees_week is False without one only for people who take no part.
        opens_on = viewer.run.week_opens_on(week_number) if viewer.run else None
        if opens_on is None:
            raise NotFound(_("This step has no conversation yet."))
        raise NotAllowed(
            _("This step opens on %(date)s; its conversation opens then too.")
            % {"date": f"{opens_on:%-d %B %Y}"}
        )


def require_visible(viewer: Viewer, comment) -> None:
    """NotFound unless can_see: to the viewer, a comment they may not see is not there."""
    if not can_see(viewer, comment):
        raise NotFound(_("No such comment."))


def require_moderator(*, user: User, course: Course) -> None:
    if not may_moderate(user=user, course=course):
        raise NotAllowed(_("Only this course's team can moderate its conversation."))
