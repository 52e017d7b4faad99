"""Writes for courses: importing a course package and exporting a course as one."""

import logging
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from stoa.accounts.models import User
from stoa.courses.models import (
    Course,
    CourseOrganisation,
    CourseTeamMember,
    MediaFile,
    Option,
    Organisation,
    PeerReviewSettings,
    Question,
    Step,
    StepType,
    TeamRole,
    TranscriptCue,
    Week,
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

logger = logging.getLogger(__name__)


class PackageInvalid(Exception):
    """The package breaks the format; `problems` says where and how."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
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


def import_package(*, root: Path) -> ImportResult:
    """Create the course of a package, or update the course with its slug in place.

    Rows are matched, not replaced: weeks by number, steps by (week, slug), cues by position,
    and a quiz's or test's questions by what they ask (see _sync_scored_questions), so an
    unchanged step or question keeps its primary key and what learners have done on it.
    Steps that the package no longer has are deleted; questions that changed take their
    answers with them, and the result lists them.
    Raises PackageInvalid, having written nothing, if the package breaks the format.
    """
    package, problems = read_package(root)
    if problems or package is None:
        raise PackageInvalid(problems)
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
        _refresh_counts(course)
        # After the steps, which protect the media files they show.
        MediaFile.objects.filter(course=course).exclude(path__in=media_files).delete()

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
        elif _is_unchanged(step, stored[spec.slug], spec):
            counts.unchanged += 1
        else:
            _set_step_fields(step, spec, media_files)
            step.save()
            _sync_step_children(step, spec, stored=stored[spec.slug], counts=counts)
            counts.updated += 1


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
