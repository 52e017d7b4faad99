"""Template tags for sharing pages: {% load sharing %}.

Used by stoa/templates/_share_links.html and _meta.html, and by the course and step pages for
their descriptions. They live in the learning app because template tag libraries must belong to
an installed app; any app's templates may load them (the certificate page, for one).
"""

from collections.abc import Iterable

from django import template
from django.http import HttpRequest

from stoa.courses.models import Course, CourseOrganisation
from stoa.learning.access import StepAccess
from stoa.lib import sharing

register = template.Library()


@register.simple_tag(takes_context=True)
def absolute_url(context: template.Context, location: str) -> str:
    """`location` (a path, or already a whole URL) as a whole URL on this site, as links
    posted elsewhere need."""
    request: HttpRequest | None = context.get("request")
    return request.build_absolute_uri(location) if request is not None else location


@register.simple_tag(takes_context=True)
def share_links(
    context: template.Context, location: str, title: str, text: str = ""
) -> list[sharing.ShareLink]:
    return sharing.share_links(absolute_url(context, location), title, text or "")


def _names(partners: Iterable[CourseOrganisation]) -> list[str]:
    return [partner.organisation.name for partner in partners]


@register.simple_tag
def course_description(course: Course, partners: Iterable[CourseOrganisation]) -> str:
    """`partners`: the course's CourseOrganisation rows with their organisations, in order."""
    return sharing.course_description(course.summary, partners=_names(partners))


@register.simple_tag
def step_description(access: StepAccess, partners: Iterable[CourseOrganisation]) -> str:
    """A step not open to this reader gives no words of its body: a preview shows no more
    than the page does."""
    body = "" if access.is_locked else access.step.body
    return sharing.step_description(body, course=access.course.title, partners=_names(partners))
