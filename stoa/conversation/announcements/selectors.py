"""Reads of announcements: the workspace's list, and a learner's course email settings."""

from dataclasses import dataclass

from stoa.accounts.models import User
from stoa.conversation.models import Announcement, CourseEmailOptOut
from stoa.courses.models import Course
from stoa.learning.models import Enrolment

LIST_SIZE = 100


def announcements_of(*, course: Course) -> list[Announcement]:
    """The course's latest announcements, newest first, with their run and author (none for
    an automatic one): the counts are the rows' own, never counted here."""
    return list(
        Announcement.objects.filter(course=course)
        .select_related("run", "author")
        .order_by("-created_at", "-id")[:LIST_SIZE]
    )


@dataclass(frozen=True)
class CourseEmails:
    course: Course
    on: bool


def course_emails_of(*, user: User) -> list[CourseEmails]:
    """Each course the person is or was on, and whether its announcements reach them."""
    enrolments = Enrolment.objects.filter(user=user).select_related("course")
    opted_out = set(CourseEmailOptOut.objects.filter(user=user).values_list("course_id", flat=True))
    courses = sorted((e.course for e in enrolments), key=lambda course: course.title)
    return [CourseEmails(course=course, on=course.pk not in opted_out) for course in courses]
