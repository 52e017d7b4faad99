"""Writes for courses: importing a course package and exporting a course as one; the course
team's accounts, invitations and roles."""

import datetime
import logging
import secrets
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.db.models import Count, Max, Q
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from stoa.accounts.models import User
from stoa.courses import search
from stoa.courses.models import (
    Course,
    CourseOrganisation,
    CourseRun,
    CourseTeamMember,
    MediaFile,
    Option,
    Organisation,
    PeerReviewSettings,
    Question,
    Release,
    Step,
    StepType,
    TeamInvitation,
    TeamRole,
    TranscriptCue,
    Week,
    bump_version,
    refresh_teaches,
)
from stoa.courses.package import (
    CourseSpec,
    CueSpec,
    MediaSpec,
    OrganisationSpec,
    PeerReviewSpec,
    Problem,
    QuestionSpec,
    StepSpec,
    TeamMemberSpec,
    WeekSpec,
    course_spec_from_models,
    read_package,
    render_package_files,
    step_spec_from_model,
    steps_for_specs,
)
from stoa.courses.permissions import PERMISSIONS, Can, require
from stoa.lib.refusals import AlreadyDone, Invalid, NotAllowed, NotFound, Refused

logger = logging.getLogger(__name__)


class PackageInvalid(Exception):
    """The package breaks the format; `problems` says where and how (and `warnings` what else
    was found, as on a valid package)."""

    def __init__(self, problems: Sequence[Problem], warnings: Sequence[Problem] = ()) -> None:
        self.problems = list(problems)
        self.warnings = list(warnings)
        count = len(self.problems)
        super().__init__(f"{count} problem{'' if count == 1 else 's'} found")


class ExportDestinationNotEmpty(Exception):
    """Export writes a whole package, so it refuses to mix it with existing files."""


@dataclass(frozen=True)
class LostAnswers:
    """A quiz or test question that the package changed or removed, and what learners had
    answered to it, which went with it."""

    step_number: str  # as the course shows it, "2.3"
    question_position: int  # in the step as it was
    prompt: str
    answers: int


@dataclass(frozen=True)
class ImportResult:
    course: Course
    created: bool  # a new course, rather than an update of the course with this slug
    steps_created: int = 0
    steps_updated: int = 0
    steps_unchanged: int = 0
    steps_deleted: int = 0
    lost_answers: tuple[LostAnswers, ...] = ()
    # What the package's files were read in spite of (stoa.courses.package.read_package).
    warnings: tuple[Problem, ...] = ()

    @property
    def steps(self) -> int:
        """How many steps the course now has."""
        return self.steps_created + self.steps_updated + self.steps_unchanged


@dataclass
class _StepCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    lost_answers: list[LostAnswers] = field(default_factory=list)
    changed: list[Step] = field(default_factory=list)  # created or updated, for search


def import_package(*, root: Path) -> ImportResult:
    """Create the course of a package, or update the course with its slug in place.

    Rows are matched, not replaced: weeks by number, steps by (week, slug), cues by position,
    and a quiz's or test's questions by what they ask (see _sync_scored_questions), so an
    unchanged step or question keeps its primary key and what learners have done on it.
    Steps that the package no longer has are deleted; questions that changed take their
    answers with them, and the result lists them.
    Raises PackageInvalid, having written nothing, if the package breaks the format.
    """
    warnings: list[Problem] = []
    package, problems = read_package(root, warnings=warnings)
    if problems or package is None:
        raise PackageInvalid(problems, warnings)
    spec = package.course

    # Storage is not transactional, so media is copied before the transaction; names are
    # content-addressed, so a copy left by an import that then fails is simply reused.
    stored_names = {
        media.path: _store_media(slug=spec.slug, media=media) for media in package.media
    }

    with transaction.atomic():
        course = Course.objects.select_for_update().filter(slug=spec.slug).first()
        created = course is None
        course = _save_course(course or Course(slug=spec.slug), spec)
        _sync_organisations(course, spec.organisations)
        _sync_team(course, spec.team)
        media_files = _sync_media_files(course, package.media, stored_names)
        counts = _sync_weeks(course, spec.weeks, media_files)
        search.index_steps(course=course, steps=counts.changed)
        _refresh_counts(course)
        # After the steps, which protect the media files they show.
        MediaFile.objects.filter(course=course).exclude(path__in=media_files).delete()
        bump_version(course.pk)

    logger.info(
        "Imported course %s from %s (%s): %d steps created, %d updated, %d unchanged, %d deleted",
        course.slug,
        root,
        "new" if created else "updated",
        counts.created,
        counts.updated,
        counts.unchanged,
        counts.deleted,
    )
    return ImportResult(
        course=course,
        created=created,
        steps_created=counts.created,
        steps_updated=counts.updated,
        steps_unchanged=counts.unchanged,
        steps_deleted=counts.deleted,
        lost_answers=tuple(counts.lost_answers),
        warnings=tuple(warnings),
    )


def _refresh_counts(course: Course) -> None:
    """Keeps the course's counts in step with its weeks, steps and tests, after every import.

    Runs' end dates follow week_count; certificates read test_count and test_question_count
    rather than count the tests of a course for every learner.
    """
    steps = Step.objects.filter(week__course=course).aggregate(
        steps=Count("pk"), tests=Count("pk", filter=Q(type=StepType.TEST))
    )
    counts = {
        "week_count": course.weeks.count(),
        "step_count": steps["steps"],
        "test_count": steps["tests"],
        "test_question_count": Question.objects.filter(
            step__week__course=course, step__type=StepType.TEST
        ).count(),
    }
    changed = [name for name, count in counts.items() if getattr(course, name) != count]
    if not changed:
        return
    for name in changed:
        setattr(course, name, counts[name])
    course.save(update_fields=changed)
    if "week_count" in changed:
        for run in course.runs.all():
            run.course = course
            run.save(update_fields=["ends_on"])


def _store_media(*, slug: str, media: MediaSpec) -> str:
    """Copy a media file into storage, unless it is there already; return its name."""
    name = f"courses/{slug}/{media.sha256[:16]}/{media.name}"
    if default_storage.exists(name):
        return name
    assert media.source is not None
    with media.source.open("rb") as file:
        return default_storage.save(name, File(file, name=media.name))


def _save_course(course: Course, spec: CourseSpec) -> Course:
    course.title = spec.title
    course.summary = spec.summary
    course.language = spec.language
    course.hours_per_week = spec.hours_per_week
    course.certificate_steps_completed_percent = spec.certificate.steps_completed_percent
    course.certificate_tests_score_percent = spec.certificate.tests_score_percent
    course.certificate_participation_percent = spec.certificate.participation_percent
    course.certificate_achievement = spec.certificate.achievement
    course.outcomes = list(spec.outcomes)
    course.package_source = spec.source
    course.save()
    return course


def _sync_organisations(course: Course, specs: Sequence[OrganisationSpec]) -> None:
    """Link the course to its partners in order; an organisation takes the package's url."""
    links = {
        link.organisation.name: link
        for link in CourseOrganisation.objects.filter(course=course).select_related("organisation")
    }
    kept = []
    for position, spec in enumerate(specs, start=1):
        organisation, _ = Organisation.objects.get_or_create(
            name=spec.name, defaults={"url": spec.url}
        )
        if organisation.url != spec.url:
            organisation.url = spec.url
            organisation.save(update_fields=["url"])
        link = links.get(spec.name)
        if link is None:
            link = CourseOrganisation.objects.create(
                course=course, organisation=organisation, position=position
            )
        elif link.position != position:
            link.position = position
            link.save(update_fields=["position"])
        kept.append(link.pk)
    CourseOrganisation.objects.filter(course=course).exclude(pk__in=kept).delete()


def _sync_team(course: Course, specs: Sequence[TeamMemberSpec]) -> None:
    """Update the package's team members by position, keeping the accounts they are linked to.

    Members the package does not list (added with `stoa team add` or in the admin) are kept,
    and follow the package's members in their own order.
    """
    members = list(course.team.all())
    listed = {member.position: member for member in members if member.from_package}
    for position, spec in enumerate(specs, start=1):
        member = listed.get(position)
        if member is None:
            CourseTeamMember.objects.create(
                course=course,
                position=position,
                name=spec.name,
                role=spec.role,
                bio=spec.bio,
                from_package=True,
            )
        elif (member.name, member.role, member.bio) != (spec.name, spec.role, spec.bio):
            member.name, member.role, member.bio = spec.name, spec.role, spec.bio
            member.save(update_fields=["name", "role", "bio"])
    if any(position > len(specs) for position in listed):
        leaving = course.team.filter(from_package=True, position__gt=len(specs))
        user_ids = list(leaving.values_list("user_id", flat=True))
        leaving.delete()
        refresh_teaches(*user_ids)
    others = sorted(
        (member for member in members if not member.from_package),
        key=lambda member: (member.position, member.pk),
    )
    for position, member in enumerate(others, start=len(specs) + 1):
        if member.position != position:
            member.position = position
            member.save(update_fields=["position"])


def _sync_media_files(
    course: Course, specs: Sequence[MediaSpec], stored_names: dict[str, str]
) -> dict[str, MediaFile]:
    existing = {media.path: media for media in MediaFile.objects.filter(course=course)}
    media_files = {}
    for spec in specs:
        media = existing.get(spec.path) or MediaFile(course=course, path=spec.path)
        name = stored_names[spec.path]
        if media.pk is None or (media.file.name, media.size, media.sha256) != (
            name,
            spec.size,
            spec.sha256,
        ):
            media.file.name, media.size, media.sha256 = name, spec.size, spec.sha256
            media.save()
        media_files[spec.path] = media
    return media_files


def _sync_weeks(
    course: Course, specs: Sequence[WeekSpec], media_files: dict[str, MediaFile]
) -> _StepCounts:
    weeks = {week.number: week for week in course.weeks.all()}
    steps_by_week: dict[int, list[Step]] = {}
    for step in steps_for_specs(course):
        steps_by_week.setdefault(step.week_id, []).append(step)

    counts = _StepCounts()
    for spec in specs:
        week = weeks.get(spec.number)
        if week is None:
            week = Week.objects.create(course=course, number=spec.number, title=spec.title)
        elif week.title != spec.title:
            week.title = spec.title
            week.save(update_fields=["title"])
        _sync_steps(week, spec.steps, steps_by_week.get(week.pk, []), media_files, counts)

    surplus = [week for number, week in weeks.items() if number > len(specs)]
    for week in surplus:
        counts.deleted += len(steps_by_week.get(week.pk, []))
    Week.objects.filter(pk__in=[week.pk for week in surplus]).delete()
    return counts


def _sync_steps(
    week: Week,
    specs: Sequence[StepSpec],
    existing: list[Step],
    media_files: dict[str, MediaFile],
    counts: _StepCounts,
) -> None:
    wanted = {spec.slug for spec in specs}
    by_slug = {step.slug: step for step in existing if step.slug in wanted}
    stale = [step.pk for step in existing if step.slug not in wanted]
    if stale:
        Step.objects.filter(pk__in=stale).delete()
        counts.deleted += len(stale)

    stored = {slug: step_spec_from_model(step) for slug, step in by_slug.items()}

    # Positions are unique in a week, so steps that move are first parked above every
    # position in use; two steps can then swap places without a collision.
    moving = [
        by_slug[spec.slug]
        for spec in specs
        if spec.slug in by_slug and by_slug[spec.slug].position != spec.position
    ]
    if moving:
        park = 1 + max([step.position for step in existing] + [spec.position for spec in specs])
        for offset, moved in enumerate(moving):
            moved.position = park + offset
        Step.objects.bulk_update(moving, ["position"])

    for spec in specs:
        step = by_slug.get(spec.slug)
        if step is None:
            step = Step(week=week)
            _set_step_fields(step, spec, media_files)
            step.save()
            _sync_step_children(step, spec, stored=None, counts=counts)
            counts.created += 1
            counts.changed.append(step)
        elif _is_unchanged(step, stored[spec.slug], spec):
            counts.unchanged += 1
        else:
            _set_step_fields(step, spec, media_files)
            step.save()
            _sync_step_children(step, spec, stored=stored[spec.slug], counts=counts)
            counts.updated += 1
            counts.changed.append(step)


def _is_unchanged(step: Step, stored: StepSpec, spec: StepSpec) -> bool:
    """The step as stored says what the package says, in the same words."""
    transcript_source = spec.transcript.source if spec.transcript else ""
    return (
        stored == spec
        and step.package_source == spec.source
        and step.transcript_source == transcript_source
    )


def _set_step_fields(step: Step, spec: StepSpec, media_files: dict[str, MediaFile]) -> None:
    step.position = spec.position
    step.slug = spec.slug
    step.title = spec.title
    step.type = spec.type
    step.activity = spec.activity
    step.body = spec.body
    step.media_file = media_files.get(spec.media)
    step.media_url = spec.media if spec.media_is_url else ""
    step.transcript_name = spec.transcript_name
    step.transcript_source = spec.transcript.source if spec.transcript else ""
    step.attempts = spec.attempts
    step.package_source = spec.source


def _sync_step_children(
    step: Step, spec: StepSpec, *, stored: StepSpec | None, counts: _StepCounts
) -> None:
    """Bring cues, questions and peer-review settings in line, touching only what changed."""
    cues = spec.transcript.cues if spec.transcript else ()
    stored_cues = stored.transcript.cues if stored and stored.transcript else ()
    if stored is None or cues != stored_cues:
        _sync_cues(step, cues, [] if stored is None else list(step.cues.all()))
    if stored is None or spec.questions != stored.questions:
        rows = [] if stored is None else list(step.questions.prefetch_related("options"))
        if step.type in (StepType.QUIZ, StepType.TEST):
            counts.lost_answers += _sync_scored_questions(step, spec.questions, rows)
        else:
            _sync_questions(step, spec.questions, rows)
    if stored is None or spec.peer_review != stored.peer_review:
        _sync_peer_review(step, spec.peer_review)


def _sync_cues(step: Step, specs: Sequence[CueSpec], rows: Iterable[TranscriptCue]) -> None:
    by_position = {cue.position: cue for cue in rows}
    create, update = [], []
    for position, spec in enumerate(specs, start=1):
        cue = by_position.get(position)
        if cue is None:
            create.append(
                TranscriptCue(
                    step=step,
                    position=position,
                    start_ms=spec.start_ms,
                    end_ms=spec.end_ms,
                    text=spec.text,
                )
            )
        elif (cue.start_ms, cue.end_ms, cue.text) != (spec.start_ms, spec.end_ms, spec.text):
            cue.start_ms, cue.end_ms, cue.text = spec.start_ms, spec.end_ms, spec.text
            update.append(cue)
    TranscriptCue.objects.bulk_update(update, ["start_ms", "end_ms", "text"])
    TranscriptCue.objects.bulk_create(create)
    if len(by_position) > len(specs):
        step.cues.filter(position__gt=len(specs)).delete()


def _sync_questions(step: Step, specs: Sequence[QuestionSpec], rows: Iterable[Question]) -> None:
    """A poll's question and options, in place by position: a vote counts for an option
    however its wording is corrected."""
    by_position = {question.position: question for question in rows}
    create: list[Question] = []
    update: list[Question] = []
    questions: list[tuple[Question, list[Option]]] = []  # each with its stored options
    for position, spec in enumerate(specs, start=1):
        values = (spec.prompt, spec.choose, spec.explanation)
        question = by_position.get(position)
        if question is None:
            question = Question(step=step, position=position)
            create.append(question)
            options = []
        else:
            options = list(question.options.all())  # prefetched
            if (question.prompt, question.choose, question.explanation) != values:
                update.append(question)
        question.prompt, question.choose, question.explanation = values
        questions.append((question, options))
    Question.objects.bulk_update(update, ["prompt", "choose", "explanation"])
    Question.objects.bulk_create(create)  # sets their primary keys, which the options need
    if len(by_position) > len(specs):
        step.questions.filter(position__gt=len(specs)).delete()

    create_options: list[Option] = []
    update_options: list[Option] = []
    for (question, stored_options), spec in zip(questions, specs, strict=True):
        by_option_position = {option.position: option for option in stored_options}
        for position, option_spec in enumerate(spec.options, start=1):
            option_values = (option_spec.text, option_spec.correct, option_spec.feedback)
            option = by_option_position.get(position)
            if option is None:
                option = Option(question=question, position=position)
                create_options.append(option)
            elif (option.text, option.correct, option.feedback) != option_values:
                update_options.append(option)
            option.text, option.correct, option.feedback = option_values
        if len(stored_options) > len(spec.options):
            question.options.filter(position__gt=len(spec.options)).delete()
    Option.objects.bulk_update(update_options, ["text", "correct", "feedback"])
    Option.objects.bulk_create(create_options)


def _question_key(prompt: str, choose: str, options: Iterable[tuple[str, bool]]) -> tuple:
    """What a scored question asks: answers stay valid while this stays the same. Explanation
    and feedback are not part of it, so correcting their wording keeps every answer."""
    return (prompt, choose, tuple(options))


def _sync_scored_questions(
    step: Step, specs: Sequence[QuestionSpec], rows: Sequence[Question]
) -> list[LostAnswers]:
    """A quiz's or test's questions, matched by what they ask rather than by position.

    A question the package still asks (same prompt, choice mode, options and correct
    answers) keeps its row, and so learners' answers, wherever it moves. Any other stored
    question is deleted with its answers, and reported; the step's questions_changed_at then
    tells assessments to count the learners' sheets again.
    """
    unused: dict[tuple, list[Question]] = {}
    for question in sorted(rows, key=lambda row: row.position):
        options = [(option.text, option.correct) for option in question.options.all()]
        key = _question_key(question.prompt, question.choose, options)
        unused.setdefault(key, []).append(question)

    kept: list[tuple[Question, QuestionSpec, int]] = []
    new: list[tuple[QuestionSpec, int]] = []
    for position, spec in enumerate(specs, start=1):
        key = _question_key(
            spec.prompt, spec.choose, [(option.text, option.correct) for option in spec.options]
        )
        if unused.get(key):
            kept.append((unused[key].pop(0), spec, position))
        else:
            new.append((spec, position))

    dropped = [question for questions in unused.values() for question in questions]
    lost = _answers_to(step, dropped)
    if dropped:
        Question.objects.filter(pk__in=[question.pk for question in dropped]).delete()
    if dropped or (new and rows):  # a learner's finished test may now have more to answer
        step.questions_changed_at = timezone.now()
        step.save(update_fields=["questions_changed_at"])

    # Positions are unique in a step: questions that move are parked above all first.
    moving = [
        (question, position) for question, _, position in kept if question.position != position
    ]
    if moving:
        park = 1 + max([row.position for row in rows] + [len(specs)])
        for offset, (question, _) in enumerate(moving):
            question.position = park + offset
        Question.objects.bulk_update([question for question, _ in moving], ["position"])
        for question, position in moving:
            question.position = position
    changed_options = []
    for question, spec, _ in kept:
        question.explanation = spec.explanation
        for option, option_spec in zip(question.options.all(), spec.options, strict=True):
            if option.feedback != option_spec.feedback:
                option.feedback = option_spec.feedback
                changed_options.append(option)
    Question.objects.bulk_update([question for question, _, _ in kept], ["position", "explanation"])
    Option.objects.bulk_update(changed_options, ["feedback"])

    created = Question.objects.bulk_create(
        [
            Question(
                step=step,
                position=position,
                prompt=spec.prompt,
                choose=spec.choose,
                explanation=spec.explanation,
            )
            for spec, position in new
        ]
    )
    Option.objects.bulk_create(
        [
            Option(
                question=question,
                position=option_position,
                text=option.text,
                correct=option.correct,
                feedback=option.feedback,
            )
            for question, (spec, _) in zip(created, new, strict=True)
            for option_position, option in enumerate(spec.options, start=1)
        ]
    )
    return lost


def _answers_to(step: Step, questions: Sequence[Question]) -> list[LostAnswers]:
    """How many rows other apps keep against each of these questions (their answers), found
    through the relations that point at Question, since this app imports none of them."""
    if not questions:
        return []
    answers: Counter[int] = Counter()
    for relation in Question._meta.related_objects:
        if relation.related_model is Option or relation.on_delete is not models.CASCADE:
            continue
        name = relation.field.name
        answers.update(
            dict(
                relation.related_model._default_manager.filter(**{f"{name}__in": questions})
                .values_list(name)
                .annotate(count=Count("pk"))
                .values_list(name, "count")
            )
        )
    return [
        LostAnswers(
            step_number=f"{step.week.number}.{step.position}",
            question_position=question.position,
            prompt=question.prompt,
            answers=answers[question.pk],
        )
        for question in questions
        if answers[question.pk]
    ]


def _sync_peer_review(step: Step, spec: PeerReviewSpec | None) -> None:
    if spec is None:
        PeerReviewSettings.objects.filter(step=step).delete()
        return
    PeerReviewSettings.objects.update_or_create(
        step=step,
        defaults={
            "min_words": spec.min_words,
            "reviews_required": spec.reviews_required,
            "rubric": list(spec.rubric),
        },
    )


def export_course(*, course: Course, destination: Path) -> None:
    """Write a course as a package folder at `destination`, which must be new or empty.

    Files are written as imported while the course still says the same, and rendered
    canonically where it has changed since; so an untouched course exports byte for byte
    the package it came from.
    """
    destination = Path(destination)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise ExportDestinationNotEmpty(
            f"{destination} already exists and is not empty: export into a new or empty folder"
        )
    files = render_package_files(course_spec_from_models(course))
    destination.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        target = destination / path
        target.parent.mkdir(parents=True, exist_ok=True)
        # Bytes, not text mode, so line endings come out as they were imported.
        target.write_bytes(text.encode("utf-8"))
    for media in course.media_files.all():
        target = destination / media.path
        target.parent.mkdir(parents=True, exist_ok=True)
        # A file's name is None only while nothing is stored; imported media always are.
        name = cast(str, media.file.name)
        with default_storage.open(name, "rb") as source, target.open("wb") as copy:
            shutil.copyfileobj(source, copy)
    logger.info("Exported course %s to %s", course.slug, destination)


# --- The course team's accounts ------------------------------------------------------------


class NotOnTeam(Exception):
    """The account is not on the course's team."""


@dataclass(frozen=True)
class TeamChange:
    """What add_team_member did: "unchanged", "role changed", "linked" (to the package's
    listing of the same person) or "added"; package_role_returns when the package lists the
    member too, so that its next import sets the role it gives them again."""

    member: CourseTeamMember
    outcome: str
    package_role_returns: bool = False


@transaction.atomic
def add_team_member(*, course: Course, user: User, role: TeamRole) -> TeamChange:
    """Puts an account on the course's team with this role, or changes its role there."""
    Course.objects.select_for_update().filter(pk=course.pk).first()  # one change at a time
    team = CourseTeamMember.objects.filter(course=course)
    member = team.filter(user=user).first()
    if member is not None:
        if member.role == role:
            return TeamChange(member, "unchanged")
        member.role = role
        member.save(update_fields=["role"])
        return TeamChange(member, "role changed", package_role_returns=member.from_package)
    # The package may list this person already: link the account to them rather than show
    # them twice.
    member = team.filter(
        user__isnull=True, from_package=True, name__iexact=user.display_name
    ).first()
    if member is not None:
        listed_role = member.role
        member.user, member.role = user, role
        member.save(update_fields=["user", "role"])
        return TeamChange(member, "linked", package_role_returns=role != listed_role)
    last = team.aggregate(last=Max("position"))["last"] or 0
    member = CourseTeamMember.objects.create(
        course=course,
        position=last + 1,
        name=user.public_name,
        role=role,
        user=user,
    )
    return TeamChange(member, "added")


@transaction.atomic
def remove_team_member(*, course: Course, user: User) -> None:
    """Takes an account off the course's team. A member the package lists stays on the
    course's page, without the account; NotOnTeam if the account is not on the team."""
    members = list(CourseTeamMember.objects.filter(course=course, user=user))
    if not members:
        raise NotOnTeam
    for member in members:
        if member.from_package:
            member.user = None
            member.save(update_fields=["user"])
        else:
            member.delete()


# --- Runs ----------------------------------------------------------------------------------


class RunInvalid(Invalid):
    """A run's dates do not hold together; `field` names the form field at fault, if one is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _check_run(run: CourseRun, *, exclude_pk: int | None = None) -> None:
    """The rules a run's dates keep, whoever sets them:

    - one run of a course per start date (the runs are told apart by it);
    - joining may close before the start (a cohort that signs up early) but not after the
      run's last day, when nobody can join anyway;
    - the conversation may close on any day from the start on, the last week's included, or
      after the run ends, when it becomes a read-only archive.
    """
    run.ends_on = run.scheduled_end()
    clash = CourseRun.objects.filter(course_id=run.course_id, starts_on=run.starts_on)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise RunInvalid(
            gettext("This course already has a run starting on %(date)s.")
            % {"date": _format_date(run.starts_on)},
            field="starts_on",
        )
    if run.joining_closes_on is not None and run.joining_closes_on > run.ends_on:
        raise RunInvalid(
            gettext("Joining must close by the run's last day, %(date)s.")
            % {"date": _format_date(run.ends_on)},
            field="joining_closes_on",
        )
    if run.conversation_closes_on is not None and run.conversation_closes_on < run.starts_on:
        raise RunInvalid(
            gettext("The conversation can close on the start date, %(date)s, or later.")
            % {"date": _format_date(run.starts_on)},
            field="conversation_closes_on",
        )
    if run.release not in Release.values:
        raise RunInvalid(gettext("Choose how the weeks are released."), field="release")


def _format_date(day: datetime.date) -> str:
    return f"{day:%-d %B %Y}"


@transaction.atomic
def create_run(
    *,
    course: Course,
    by: User | None,
    starts_on: datetime.date,
    joining_closes_on: datetime.date | None = None,
    release: str = Release.WEEKLY,
    conversation_closes_on: datetime.date | None = None,
    week_open_emails: bool = False,
) -> CourseRun:
    """A new run of the course. `by` is the team member creating it, checked against the
    permission table, whose run starts today or later; None for the command line, where the
    site's operators may also record a run that began already."""
    if by is not None:
        require(user=by, course=course, action=Can.MANAGE_RUNS)
        if starts_on < timezone.localdate():
            raise RunInvalid(gettext("A run can start today or later."), field="starts_on")
    Course.objects.select_for_update().filter(pk=course.pk).first()  # one new run at a time
    run = CourseRun(
        course=course,
        starts_on=starts_on,
        joining_closes_on=joining_closes_on,
        release=release,
        conversation_closes_on=conversation_closes_on,
        week_open_emails=week_open_emails,
    )
    _check_run(run)
    run.save()
    logger.info("Created run %s of %s from %s", run.pk, course.slug, starts_on)
    return run


@transaction.atomic
def update_run(
    *,
    run: CourseRun,
    by: User | None,
    starts_on: datetime.date,
    joining_closes_on: datetime.date | None,
    release: str,
    conversation_closes_on: datetime.date | None,
    week_open_emails: bool = False,
) -> CourseRun:
    """Changes a run's dates and release while it has not started; once it has, its learners
    depend on them, and every change is refused. `by` as for create_run."""
    course = run.course
    if by is not None:
        require(user=by, course=course, action=Can.MANAGE_RUNS)
    locked = CourseRun.objects.select_for_update().get(pk=run.pk)
    today = timezone.localdate()
    if locked.starts_on <= today:
        raise Invalid(
            gettext("This run started on %(date)s: its dates can no longer change.")
            % {"date": _format_date(locked.starts_on)}
        )
    if starts_on < today:
        raise RunInvalid(gettext("A run can start today or later."), field="starts_on")
    locked.starts_on = starts_on
    locked.joining_closes_on = joining_closes_on
    locked.release = release
    locked.conversation_closes_on = conversation_closes_on
    locked.week_open_emails = week_open_emails
    _check_run(locked, exclude_pk=locked.pk)
    locked.save()
    logger.info("Changed run %s of %s", locked.pk, course.slug)
    return locked


# --- Team workspace ------------------------------------------------------------------------
# What the Team tab does (stoa/courses/team_views.py), each checked here against the
# permission table (Can.MANAGE_TEAM), so that a command or the API calling these gets the
# same rules as the page:
# - Inviting an address that has an account puts that account on the team at once and emails
#   them; any other address gets an invitation with a link that expires. Inviting the same
#   address again renews its pending invitation (new link, role and expiry).
# - The course always keeps a lead educator with an account, someone who can manage its
#   team: the last one can be neither removed nor given another role. (A lead educator the
#   package lists without an account does not count: nobody can sign in as them.)
# - Members the package lists keep the package as their source: their role and their place
#   change there, and an import applies them. These refuse to change or remove them.
# Emails go after commit through tasks, so a failed send never undoes the change.

INVITATION_LIFETIME = datetime.timedelta(days=14)


class InvitationGone(Refused):
    """The invitation was used already or has expired: the link's page says so (410)."""


def _package_refusal() -> Invalid:
    return Invalid(
        gettext("This member is listed in the course package: change it there and import it again.")
    )


def normalise_email(email: str) -> str:
    """How invitations store and compare addresses: sign-in ignores case, and so do they."""
    return email.strip().lower()


def _lock_team(course: Course) -> None:
    # One change to a team at a time, so two lead educators demoting each other at once
    # cannot leave the course without one (as add_team_member does).
    Course.objects.select_for_update().filter(pk=course.pk).first()


def _check_role(role: str) -> TeamRole:
    if role not in TeamRole.values:
        raise Invalid(gettext("Choose one of the team's roles."))
    return TeamRole(role)


def _member_of(course: Course, member: CourseTeamMember) -> CourseTeamMember:
    """The member, fresh from the database, if they are on this course's team."""
    fresh = CourseTeamMember.objects.filter(pk=member.pk, course=course).first()
    if fresh is None:
        raise NotFound(gettext("This person is not on the course's team."))
    return fresh


def _is_last_lead(course: Course, member: CourseTeamMember) -> bool:
    """Whether the member is the course's only lead educator with an account."""
    if member.role != TeamRole.LEAD_EDUCATOR or member.user_id is None:
        return False
    others = CourseTeamMember.objects.filter(
        course=course, role=TeamRole.LEAD_EDUCATOR, user__isnull=False
    ).exclude(pk=member.pk)
    return not others.exists()


@transaction.atomic
def invite(*, course: Course, by: User, email: str, role: str) -> CourseTeamMember | TeamInvitation:
    """Invites an address onto the course's team: the member, if the address has an account
    (they join at once), else the new or renewed invitation."""
    require(user=by, course=course, action=Can.MANAGE_TEAM)
    email, role = normalise_email(email), _check_role(role)
    _lock_team(course)
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        if CourseTeamMember.objects.filter(course=course, user=user).exists():
            raise Invalid(
                gettext("%(email)s is on the team already: change their role in the list.")
                % {"email": email}
            )
        member = add_team_member(course=course, user=user, role=role).member
        TeamInvitation.objects.filter(course=course, email=email, accepted_at=None).delete()
        member_id, by_id = member.pk, by.pk
        transaction.on_commit(
            lambda: send_team_welcome.enqueue(member_id=member_id, by_id=by_id), robust=True
        )
        logger.info("courses: user %s added %s to the team of %s", by.pk, user.pk, course.slug)
        return member
    now = timezone.now()
    invitation, _created = TeamInvitation.objects.update_or_create(
        course=course,
        email=email,
        accepted_at=None,
        defaults={
            "role": role,
            "invited_by": by,
            "token": secrets.token_urlsafe(32),
            "created_at": now,
            "expires_at": now + INVITATION_LIFETIME,
        },
    )
    invitation_id = invitation.pk
    transaction.on_commit(
        lambda: send_team_invitation.enqueue(invitation_id=invitation_id), robust=True
    )
    logger.info("courses: user %s invited someone to the team of %s", by.pk, course.slug)
    return invitation


def pending_invitation(*, token: str, lock: bool = False) -> TeamInvitation:
    """The invitation the link is for, if it can still be accepted: NotFound for a link that
    never was one, InvitationGone for one used or expired."""
    invitations = TeamInvitation.objects.select_related("course")
    if lock:
        invitations = invitations.select_for_update()
    invitation = invitations.filter(token=token).first()
    if invitation is None:
        raise NotFound(gettext("This invitation link is not valid: check it was copied whole."))
    if invitation.accepted_at is not None:
        raise InvitationGone(gettext("This invitation has been used already."))
    if invitation.is_expired(now=timezone.now()):
        raise InvitationGone(
            gettext(
                "This invitation has expired. Ask the course's lead educator to invite you again."
            )
        )
    return invitation


@transaction.atomic
def accept_invitation(*, token: str, user: User) -> CourseTeamMember:
    """Puts the signed-in user on the team the invitation is for. The invitation is for one
    address: only an account with that address may accept it, so a forwarded link does not
    put someone else on the team. Someone already on the team keeps their role."""
    invitation = pending_invitation(token=token, lock=True)
    now = timezone.now()
    if normalise_email(user.email) != invitation.email:
        raise NotAllowed(
            gettext(
                "This invitation was sent to another email address. Sign in with the address "
                "it was sent to, or ask for an invitation to this one."
            )
        )
    course = invitation.course
    member = CourseTeamMember.objects.filter(course=course, user=user).first()
    if member is None:
        member = add_team_member(course=course, user=user, role=TeamRole(invitation.role)).member
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])
    logger.info("courses: user %s accepted an invitation to %s", user.pk, course.slug)
    return member


@transaction.atomic
def change_role(
    *, course: Course, by: User, member: CourseTeamMember, role: str
) -> CourseTeamMember:
    """Gives a member of the site's own another role on the course's team."""
    require(user=by, course=course, action=Can.MANAGE_TEAM)
    role = _check_role(role)
    _lock_team(course)
    member = _member_of(course, member)
    if member.from_package:
        raise _package_refusal()
    if member.role == role:
        return member
    if role != TeamRole.LEAD_EDUCATOR and _is_last_lead(course, member):
        raise Invalid(
            gettext(
                "%(name)s is the course's only lead educator: make someone else lead educator "
                "first."
            )
            % {"name": member.name}
        )
    member.role = role
    member.save(update_fields=["role"])
    logger.info("courses: user %s made member %s a %s", by.pk, member.pk, role)
    return member


@transaction.atomic
def remove_member(*, course: Course, by: User, member: CourseTeamMember) -> None:
    """Takes a member of the site's own off the course's team (themselves included)."""
    require(user=by, course=course, action=Can.MANAGE_TEAM)
    _lock_team(course)
    member = _member_of(course, member)
    if member.from_package:
        raise _package_refusal()
    if _is_last_lead(course, member):
        raise Invalid(
            gettext(
                "%(name)s is the course's only lead educator: make someone else lead educator "
                "before removing them."
            )
            % {"name": member.name}
        )
    member.delete()
    logger.info("courses: user %s removed member %s from %s", by.pk, member.pk, course.slug)


@transaction.atomic
def cancel_invitation(*, course: Course, by: User, invitation: TeamInvitation) -> None:
    """Withdraws a pending invitation: its link stops working."""
    require(user=by, course=course, action=Can.MANAGE_TEAM)
    deleted, _counts = TeamInvitation.objects.filter(
        pk=invitation.pk, course=course, accepted_at=None
    ).delete()
    if not deleted:
        raise AlreadyDone(gettext("This invitation was accepted or withdrawn already."))
    logger.info("courses: user %s withdrew invitation %s", by.pk, invitation.pk)


@task
def send_team_invitation(invitation_id: int) -> int:
    """Emails a pending invitation's link; 0 if it was withdrawn or used before this ran."""
    invitation = (
        TeamInvitation.objects.select_related("course", "invited_by")
        .filter(pk=invitation_id, accepted_at=None)
        .first()
    )
    if invitation is None:
        return 0
    context = {
        "course": invitation.course,
        "role": invitation.get_role_display(),
        "by": invitation.invited_by.public_name if invitation.invited_by else "",
        "url": settings.SITE_URL + reverse("team:invitation", args=[invitation.token]),
        "expires_at": invitation.expires_at,
        "site_name": settings.SITE_NAME,
    }
    EmailMessage(
        subject=gettext("%(site)s: join the team of %(course)s")
        % {"site": settings.SITE_NAME, "course": invitation.course.title},
        body=render_to_string("courses/workspace/team_invitation_email.txt", context),
        to=[invitation.email],
    ).send()
    return 1


@task
def send_team_welcome(member_id: int, by_id: int) -> int:
    """Tells an account it was put on a course's team; 0 if it has left it since."""
    member = (
        CourseTeamMember.objects.select_related("course", "user")
        .filter(pk=member_id, user__isnull=False)
        .first()
    )
    if member is None or member.user is None:
        return 0
    by = User.objects.filter(pk=by_id).first()
    context = {
        "course": member.course,
        "role": member.get_role_display(),
        "by": by.public_name if by else "",
        # Hosts have no workspace: their link is the course's page, where their badge shows.
        "url": settings.SITE_URL
        + (
            reverse("dashboard:overview", args=[member.course.slug])
            if Can.SEE_WORKSPACE in PERMISSIONS.get(member.role, frozenset())
            else member.course.get_absolute_url()
        ),
        "site_name": settings.SITE_NAME,
    }
    EmailMessage(
        subject=gettext("%(site)s: you are on the team of %(course)s")
        % {"site": settings.SITE_NAME, "course": member.course.title},
        body=render_to_string("courses/workspace/team_welcome_email.txt", context),
        to=[member.user.email],
    ).send()
    return 1
