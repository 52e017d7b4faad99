"""A course's structure, held in each process and keyed by the course's version.

Every page of a course reads the same rows, and they change only when the course team imports
the package or edits the course: the course itself, its weeks and steps in order (with their
media and peer-review settings), the team, the partners and the media files. A million learners
read them millions of times a day, so each process keeps them once per course:
structure_of(slug) reads the course's id and version in one small query and returns the
structure built for that version, building it (a few queries) when the version is new to this
process. Pages also keep here what they make from it that is the same for every reader (a
step's rendered body, its cues, a rendered fragment): see CourseStructure.memo.

Course.version is a random token, replaced by bump_version (stoa.courses.models) in the same
transaction as every change to these rows: the package import, team changes
(CourseTeamMember.save and delete) and the admin. App servers agree without talking to each
other: each reads the version from the shared database. Being random rather than a counter, a
version never names two different states, even across a database restored from a backup or a
test's rolled-back transaction.

The objects here are shared by every request of the process: read them, never change them.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection

from stoa.courses.models import (
    Course,
    CourseOrganisation,
    CourseTeamMember,
    Step,
    Week,
    bump_version,
)
from stoa.lib.refusals import NotFound

T = TypeVar("T")


@dataclass
class CourseStructure:
    course: Course
    weeks: list[Week]
    steps: list[Step]  # in course order; each with .week (and .week.course) set
    team: list[CourseTeamMember]  # in order
    partners: list[CourseOrganisation]  # in order, with .organisation
    media_urls: dict[str, str]  # package path ("media/a.png") -> URL
    _index: dict[tuple[int, int], int] = field(default_factory=dict, repr=False)
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = {(step.week.number, step.position): n for n, step in enumerate(self.steps)}
        self.team_user_ids = frozenset(m.user_id for m in self.team if m.user_id is not None)

    def step(self, week: int, position: int) -> Step:
        """The step numbered week.position, or NotFound."""
        index = self._index.get((week, position))
        if index is None:
            raise NotFound("No such step")
        return self.steps[index]

    def neighbours(self, step: Step) -> tuple[Step | None, Step | None]:
        """The steps before and after this one in the course, across week boundaries."""
        index = self._index[(step.week.number, step.position)]
        previous = self.steps[index - 1] if index > 0 else None
        following = self.steps[index + 1] if index + 1 < len(self.steps) else None
        return previous, following

    def steps_of(self, week: Week) -> list[Step]:
        return [step for step in self.steps if step.week_id == week.pk]

    def memo(self, key: Any, make: Callable[[], T]) -> T:
        """What `make` returns for `key`, made once per process and version of the course:
        for what a page makes from the structure that is the same for every reader. A key
        names everything the value depends on besides the structure (the language, say)."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = make()
            return value


_structures: dict[int, tuple[str, CourseStructure]] = {}
_building = threading.Lock()


def structure_of(slug: str) -> CourseStructure:
    """The structure of the course with this slug, as of its current version; NotFound if
    there is no such course. One query when this process has the version already."""
    with connection.cursor() as cursor:
        # Raw: this runs on every page of a course, and the ORM would cost more than the query.
        cursor.execute("SELECT id, version FROM courses_course WHERE slug = %s", [slug])
        row = cursor.fetchone()
    if row is None:
        raise NotFound("No such course")
    return structure_at(row[0], row[1])


def structure_at(course_id: int, version: Any) -> CourseStructure:
    """The structure of the course with this id at this version (a UUID, or its text), as
    read from the course's row by the caller in the same request: no query when this process
    has the version already. For pages that read the version with other rows (the learner's
    enrolment, stoa.learning.selectors.course_and_enrolment)."""
    version = str(version).replace("-", "")
    held = _structures.get(course_id)
    if held is not None and held[0] == version:
        return held[1]
    with _building:
        held = _structures.get(course_id)
        if held is not None and held[0] == version:
            return held[1]
        structure = _build(course_id)
        _structures[course_id] = (structure.course.version.hex, structure)
        return structure


def _build(course_id: int) -> CourseStructure:
    course = Course.objects.get(pk=course_id)
    weeks = list(course.weeks.order_by("number"))
    week_by_id = {week.pk: week for week in weeks}
    for week in weeks:
        week.course = course
    steps = list(
        Step.objects.filter(week__course=course)
        .select_related("media_file", "peer_review")
        .order_by("week__number", "position")
    )
    for step in steps:
        step.week = week_by_id[step.week_id]
    team = list(course.team.order_by("position"))
    partners = list(
        CourseOrganisation.objects.filter(course=course)
        .select_related("organisation")
        .order_by("position")
    )
    media_urls = {media.path: media.file.url for media in course.media_files.all()}
    return CourseStructure(
        course=course,
        weeks=weeks,
        steps=steps,
        team=team,
        partners=partners,
        media_urls=media_urls,
    )


def forget_structures() -> None:
    """Drops every structure this process holds (for tests that change rows behind the
    services' backs)."""
    _structures.clear()


__all__ = [
    "CourseStructure",
    "bump_version",
    "forget_structures",
    "structure_at",
    "structure_of",
]
