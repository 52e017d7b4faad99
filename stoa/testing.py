"""Builders of test data, shared by every app's tests. Explicit and deterministic."""

import datetime

from django.contrib.auth.hashers import Argon2PasswordHasher
from django.utils import timezone

from stoa.accounts.models import User
from stoa.conversation.models import Comment
from stoa.courses.models import (
    Course,
    CourseOrganisation,
    CourseRun,
    CourseTeamMember,
    Option,
    Organisation,
    PeerReviewSettings,
    Question,
    Step,
    StepType,
    TeamRole,
    TranscriptCue,
    Week,
)
from stoa.learning.models import Enrolment
from stoa.lib.markdown import render_comment_markdown

PASSWORD = "correct-horse-battery-staple"

# One of each kind, in this order, then articles.
STEP_TYPES = [
    StepType.VIDEO,
    StepType.ARTICLE,
    StepType.DISCUSSION,
    StepType.QUIZ,
    StepType.AUDIO,
    StepType.TEST,
    StepType.PEER_REVIEW,
]


def make_user(email: str, *, name: str | None = None, **extra) -> User:
    return User.objects.create_user(
        email, PASSWORD, display_name=name or email.split("@")[0].title(), **extra
    )


def make_course(
    slug: str = "reading-data",
    *,
    weeks: int = 3,
    steps_per_week: int = 3,
    run_started_days_ago: int | None = 0,
    title: str = "Reading Data in the News",
) -> Course:
    """A course of `weeks` weeks of `steps_per_week` steps each; the first steps cycle
    through every step type. With run_started_days_ago set, one run starting then."""
    course = Course.objects.create(
        slug=slug,
        title=title,
        summary="How to read the numbers in a news story.",
        hours_per_week=3,
        week_count=weeks,
        step_count=weeks * steps_per_week,
    )
    partner, _ = Organisation.objects.get_or_create(name="Harbour University")
    CourseOrganisation.objects.create(course=course, organisation=partner, position=1)
    CourseTeamMember.objects.create(
        course=course, position=1, name="Dr Ana Lima", role=TeamRole.LEAD_EDUCATOR, bio="Stats."
    )
    kinds = iter(STEP_TYPES)
    for number in range(1, weeks + 1):
        week = Week.objects.create(course=course, number=number, title=f"Week {number} topic")
        steps = [
            Step(
                week=week,
                position=position,
                slug=f"step-{position}",
                title=f"Step {number}.{position}",
                type=next(kinds, StepType.ARTICLE),
                activity="Getting started" if position <= 2 else "Going further",
                body=f"Body of step {number}.{position}.",
            )
            for position in range(1, steps_per_week + 1)
        ]
        Step.objects.bulk_create(steps)
    for step in Step.objects.filter(week__course=course):
        _add_type_parts(step)
    if run_started_days_ago is not None:
        starts_on = timezone.localdate() - datetime.timedelta(days=run_started_days_ago)
        CourseRun.objects.create(course=course, starts_on=starts_on)
    return course


def _add_type_parts(step: Step) -> None:
    if step.type in {StepType.VIDEO, StepType.AUDIO}:
        step.media_url = "https://media.example.org/clip.webm"
        step.transcript_name = f"{step.file_stem}.vtt"
        step.transcript_source = (
            "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nHello.\n\n"
            "00:01:12.000 --> 00:01:20.000\nLater on.\n"
        )
        step.save()
        TranscriptCue.objects.bulk_create(
            [
                TranscriptCue(step=step, position=1, start_ms=0, end_ms=5000, text="Hello."),
                TranscriptCue(
                    step=step, position=2, start_ms=72000, end_ms=80000, text="Later on."
                ),
            ]
        )
    elif step.type in {StepType.QUIZ, StepType.TEST}:
        question = Question.objects.create(step=step, position=1, prompt="Which is a rate?")
        Option.objects.create(question=question, position=1, text="3 in 100", correct=True)
        Option.objects.create(question=question, position=2, text="300 people")
    elif step.type == StepType.PEER_REVIEW:
        PeerReviewSettings.objects.create(
            step=step, min_words=100, reviews_required=1, rubric=["Is the claim clear?"]
        )


def make_run(course: Course, *, started_days_ago: int) -> CourseRun:
    """Another run of the course, started that many days ago (in the future if negative)."""
    starts_on = timezone.localdate() - datetime.timedelta(days=started_days_ago)
    return CourseRun.objects.create(course=course, starts_on=starts_on)


def enrol_in(user: User, run: CourseRun) -> Enrolment:
    """The user on this run of its course, as joining would have put them there."""
    return Enrolment.objects.create(
        user=user, run=run, course_id=run.course_id, joined_at=timezone.now()
    )


def step_of(course: Course, week: int, position: int) -> Step:
    return Step.objects.select_related("week__course").get(
        week__course=course, week__number=week, position=position
    )


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with tiny costs, for tests only: the real costs take ~100 MB and tens of
    milliseconds per hash, which adds minutes to a suite that creates many accounts."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1


def make_comment(
    author: User,
    course: Course,
    text: str = "I think the chart's axis starts at 40, not 0.",
    *,
    step: tuple[int, int] = (1, 2),
    parent: Comment | None = None,
    ago: datetime.timedelta = datetime.timedelta(0),
    **fields,
) -> Comment:
    """A comment on a step (week, position) of the course's first run (or run=), written
    straight to the database, with its Markdown rendered and its thread's reply count kept
    as posting would."""
    comment = Comment.objects.create(
        run=fields.pop("run", None) or course.runs.order_by("pk").first(),
        step=step_of(course, *step),
        author=author,
        parent=parent,
        body=text,
        body_html=render_comment_markdown(text),
        created_at=timezone.now() - ago,
        **fields,
    )
    if parent is not None:
        Comment.objects.filter(pk=parent.pk).update(reply_count=parent.replies.count())
    return comment
