from django.db.models import Count, Prefetch, QuerySet

from stoa.courses.models import Course, CourseOrganisation, Week


def catalogue_courses() -> QuerySet[Course]:
    """Every course with what the catalogue shows, in a fixed number of queries."""
    return Course.objects.annotate(week_count=Count("weeks", distinct=True)).prefetch_related(
        Prefetch(
            "courseorganisation_set",
            queryset=CourseOrganisation.objects.select_related("organisation"),
            to_attr="partners",
        )
    )


def course_outline(course: Course) -> list[Week]:
    return list(course.weeks.annotate(step_count=Count("steps")).order_by("number"))
