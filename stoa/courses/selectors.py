import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from stoa.courses.models import Course, CourseOrganisation, CourseRun, Week
from stoa.lib.refusals import NotFound


def catalogue_courses(*, today: datetime.date) -> QuerySet[Course]:
    """Every course with its partners and open runs, in three queries whatever their number."""
    return Course.objects.prefetch_related(
        Prefetch(
            "courseorganisation_set",
            queryset=CourseOrganisation.objects.select_related("organisation"),
            to_attr="partners",
        ),
        Prefetch(
            "runs", queryset=CourseRun.objects.open_for_joining(today=today), to_attr="open_runs"
        ),
    )


def course_outline(course: Course) -> list[Week]:
    return list(course.weeks.order_by("number"))


def runs_of(*, course: Course) -> list[CourseRun]:
    """The course's runs, earliest first, each with its learner count (kept on the row)."""
    return list(course.runs.order_by("starts_on"))


def current_run(course: Course, *, today: datetime.date | None = None) -> CourseRun | None:
    """The run the team's pages open on: the latest that has started, else the first to come;
    None when the course has no run."""
    today = today or timezone.localdate()
    runs = CourseRun.objects.filter(course=course)
    started = runs.filter(starts_on__lte=today).order_by("-starts_on", "-pk").first()
    return started or runs.order_by("starts_on", "pk").first()


def chosen_run(course: Course, run_id: str | None) -> CourseRun | None:
    """The run a team page's ?run= names, else current_run. NotFound for anything that is not
    the id of one of this course's runs (garbage included: a 404, never a 500)."""
    if not run_id:
        return current_run(course)
    if not (run_id.isascii() and run_id.isdigit() and len(run_id) <= 18):
        raise NotFound(_("There is no such run of this course."))
    run = CourseRun.objects.filter(course=course, pk=int(run_id)).first()
    if run is None:
        raise NotFound(_("There is no such run of this course."))
    return run
