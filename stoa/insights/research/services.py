"""The research data's one write: the pseudonyms that stand for people in a course's datasets.

A pseudonym is made the first time an export names someone, and kept: the same person has
the same learner_id in every export of the course, so that analyses join across runs and
across downloads. Each batch is its own short write (bulk_create that ignores conflicts), not
one transaction over the whole run, so that an export of 100,000 learners never holds the
database's write lock for long; two exports at once make each missing pseudonym once (the
unique constraint), and both then read the one that was kept.
"""

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.courses.models import Course, CourseRun, CourseTeamMember
from stoa.courses.permissions import Can, require
from stoa.insights.models import Pseudonym
from stoa.learning.models import Enrolment
from stoa.lib.refusals import NotFound

BATCH = 1000


def make_pseudonyms(*, run: CourseRun) -> int:
    """Makes the missing pseudonyms of the run's learners and of its course's team, a batch
    at a time; returns how many it made. Anyone else a dataset names (a staff member who
    commented without joining) gets theirs from pseudonyms_for as the export meets them."""
    course = run.course
    made = 0
    last = 0
    while True:
        batch = list(
            Enrolment.objects.filter(run=run, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "user_id")[:BATCH]
        )
        if not batch:
            break
        made += _make_missing(course, [user_id for _pk, user_id in batch])
        last = batch[-1][0]
    team = CourseTeamMember.objects.filter(course=course, user__isnull=False)
    made += _make_missing(course, team.values_list("user_id", flat=True))
    return made


def pseudonyms_for(*, course: Course, user_ids: Iterable[int]) -> dict[int, str]:
    """The learner ids of these users in the course's datasets (canonical UUID strings),
    made for those who have none yet: one query when all have one."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    found = _read(course, wanted)
    if len(found) < len(wanted):
        _create(course, wanted - found.keys())
        found = _read(course, wanted)
    return found


def _read(course: Course, user_ids: set[int]) -> dict[int, str]:
    rows = Pseudonym.objects.filter(course=course, user_id__in=user_ids)
    return {user: str(learner_id) for user, learner_id in rows.values_list("user_id", "learner_id")}


def _make_missing(course: Course, user_ids: Iterable[int]) -> int:
    wanted = set(user_ids)
    if not wanted:
        return 0
    have = set(
        Pseudonym.objects.filter(course=course, user_id__in=wanted).values_list(
            "user_id", flat=True
        )
    )
    return _create(course, wanted - have)


def _create(course: Course, user_ids: set[int]) -> int:
    # ignore_conflicts: another export may make the same pseudonym meanwhile; its one stays.
    Pseudonym.objects.bulk_create(
        [Pseudonym(course=course, user_id=user_id) for user_id in sorted(user_ids)],
        ignore_conflicts=True,
    )
    return len(user_ids)


def prepare_export(*, user: User | AnonymousUser, course: Course, run_id: int) -> CourseRun:
    """The run of the course whose datasets the user may download, its pseudonyms made (before
    the files stream, so that streaming mostly reads). NotAllowed for anyone but the team
    members who may download the research data and staff; NotFound for another course's run."""
    require(user=user, course=course, action=Can.EXPORT_DATA)
    run = CourseRun.objects.filter(course=course, pk=run_id).select_related("course").first()
    if run is None:
        raise NotFound(_("There is no such run of this course."))
    make_pseudonyms(run=run)
    return run
