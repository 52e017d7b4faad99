import datetime

from django.db.models import Prefetch, QuerySet

from stoa.courses.models import Course, CourseOrganisation, CourseRun, Week


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
