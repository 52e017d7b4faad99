"""Builders of test data, shared by every app's tests, explicit and deterministic: one
builder per model. Below them, the small helpers several test modules use (htmx headers, the
conversation's URLs, query counts, settings read fresh); test modules never import each other."""

import datetime
import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stoa.accounts.models import User
from stoa.assessments.models import Answer, AnswerSheet, PollTally, PollTurnout, PollVote
from stoa.conversation.models import Comment, Follow, Notification
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

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse
    from pytest_django import DjangoAssertNumQueries

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
    _count_tests(course)
    if run_started_days_ago is not None:
        starts_on = timezone.localdate() - datetime.timedelta(days=run_started_days_ago)
        CourseRun.objects.create(course=course, starts_on=starts_on)
    return course


def _count_tests(course: Course) -> None:
    """The course's test counts, as the package import keeps them."""
    course.test_count = Step.objects.filter(week__course=course, type=StepType.TEST).count()
    course.test_question_count = Question.objects.filter(
        step__week__course=course, step__type=StepType.TEST
    ).count()
    course.save(update_fields=["test_count", "test_question_count"])


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
    enrolment = Enrolment.objects.create(
        user=user, run=run, course_id=run.course_id, joined_at=timezone.now()
    )
    CourseRun.objects.filter(pk=run.pk).update(learner_count=F("learner_count") + 1)
    return enrolment


def step_of(course: Course, week: int, position: int) -> Step:
    return Step.objects.select_related("week__course").get(
        week__course=course, week__number=week, position=position
    )


POLL_OPTIONS = ("On television or the radio", "In a newspaper", "On social media")


def make_poll(
    course: Course, *, week: int = 1, choose: str = "one", options: tuple[str, ...] = POLL_OPTIONS
) -> Step:
    """A poll step added at the end of the week, stored as the package import stores one: its
    body is the question, and its one Question's prompt too."""
    week_row = Week.objects.get(course=course, number=week)
    position = week_row.steps.count() + 1
    body = "Where do you most often meet numbers in the news?\n"
    step = Step.objects.create(
        week=week_row,
        position=position,
        slug="where-you-meet-numbers",
        title="Where do you meet numbers?",
        type=StepType.POLL,
        activity="Going further",
        body=body,
    )
    question = Question.objects.create(step=step, position=1, prompt=body, choose=choose)
    Option.objects.bulk_create(
        Option(question=question, position=number, text=text)
        for number, text in enumerate(options, start=1)
    )
    Course.objects.filter(pk=course.pk).update(step_count=course.step_count + 1)
    return step_of(course, week, position)


def make_poll_votes(step: Step, run: CourseRun, count: int, *, choices: str = "1") -> None:
    """count learners of the run who voted `choices` (e.g. "1,3") in the poll, with the run's
    tallies and turnout to match, written in bulk as the benchmarks' data would be."""
    users = User.objects.bulk_create(
        User(email=f"voter-{step.pk}-{n}@example.org", display_name=f"Voter {n}")
        for n in range(count)
    )
    now = timezone.now()
    PollVote.objects.bulk_create(
        PollVote(user=user, run=run, step=step, choices=choices, voted_at=now) for user in users
    )
    positions = [int(position) for position in choices.split(",")]
    for option in Option.objects.filter(question__step=step, position__in=positions):
        tally, _ = PollTally.objects.get_or_create(run=run, option=option)
        PollTally.objects.filter(pk=tally.pk).update(votes=tally.votes + count)
    turnout, _ = PollTurnout.objects.get_or_create(run=run, step=step)
    PollTurnout.objects.filter(pk=turnout.pk).update(voters=turnout.voters + count)


def make_questions_step(
    course: Course,
    *,
    type: str = StepType.QUIZ,
    week: int = 1,
    questions: int = 3,
    attempts: int | None = None,
) -> Step:
    """A quiz or test step added at the end of the week, with `questions` questions. Odd
    questions are choose-one, options 1 (correct) and 2; even ones choose-many, options 1
    and 3 correct of 3. Every option has feedback, every question an explanation, all
    marked with SECRET so that tests can look for answers leaking into a page."""
    week_row = Week.objects.get(course=course, number=week)
    position = week_row.steps.count() + 1
    step = Step.objects.create(
        week=week_row,
        position=position,
        slug=f"{type}-{position}",
        title="Check your understanding" if type == StepType.QUIZ else "End of week test",
        type=type,
        activity="Checking",
        body="Answer the questions below.",
        attempts=attempts,
    )
    rows = Question.objects.bulk_create(
        Question(
            step=step,
            position=number,
            prompt=f"Question {number}: which of these is a rate?",
            choose="one" if number % 2 else "many",
            explanation=f"SECRET explanation {number}",
        )
        for number in range(1, questions + 1)
    )
    Option.objects.bulk_create(
        Option(
            question=question,
            position=option,
            text=f"Option {option} of question {question.position}",
            correct=option == 1 or (question.choose == "many" and option == 3),
            feedback=f"SECRET feedback {question.position}.{option}",
        )
        for question in rows
        for option in range(1, 3 if question.choose == "one" else 4)
    )
    Course.objects.filter(pk=course.pk).update(step_count=course.step_count + 1)
    course.refresh_from_db(fields=["step_count"])
    _count_tests(course)
    return step_of(course, week, position)


RIGHT = {"one": [1], "many": [1, 3]}  # the right choices of make_questions_step's questions
WRONG = {"one": [2], "many": [2]}


def make_answers(step: Step, enrolment: Enrolment, *, count: int | None = None, correct=True):
    """The learner answered `count` (default: all) of the step's questions on their first
    try, and their sheet says so: written in bulk, as the benchmarks' data would be."""
    questions = list(step.questions.order_by("position")[:count])
    now = timezone.now()
    Answer.objects.bulk_create(
        Answer(
            user_id=enrolment.user_id,
            run_id=enrolment.run_id,
            step=step,
            question=question,
            attempt=1,
            choices=",".join(map(str, (RIGHT if correct else WRONG)[question.choose])),
            correct=correct,
            submitted_at=now,
        )
        for question in questions
    )
    AnswerSheet.objects.update_or_create(
        enrolment=enrolment,
        step=step,
        defaults={
            "questions_done": len(questions) if correct else 0,
            "points": 3 * len(questions) if correct and step.type == StepType.TEST else 0,
            "started_at": now,
            "last_answered_at": now,
            "counted_at": now,
        },
    )


def signed_in(user: User) -> Client:
    """A test client signed in as the user."""
    client = Client()
    client.force_login(user)
    return client


def make_learners(run: CourseRun, count: int, *, prefix: str = "learner") -> list[Enrolment]:
    """count learners of the run, in bulk."""
    users = User.objects.bulk_create(
        User(email=f"{prefix}-{run.pk}-{n}@example.org", display_name=f"Learner {n}")
        for n in range(count)
    )
    now = timezone.now()
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(user=user, run=run, course_id=run.course_id, joined_at=now) for user in users
    )
    CourseRun.objects.filter(pk=run.pk).update(learner_count=F("learner_count") + count)
    return enrolments


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
        run=fields.pop("run", None) or course.runs.earliest("pk"),
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


def make_follow(follower: User, followed: User) -> Follow:
    """follower follows followed, from now on."""
    return Follow.objects.create(follower=follower, followed=followed, created_at=timezone.now())


def make_notifications(
    recipient: User, count: int, *, actor: User, comment: Comment, read: bool = False
) -> list[Notification]:
    """count notifications for recipient that actor liked the comment, a second apart, the
    newest now; all of them already read with read=True."""
    now = timezone.now()
    made = Notification.objects.bulk_create(
        Notification(
            recipient=recipient,
            kind=Notification.Kind.LIKE,
            actor=actor,
            comment=comment,
            created_at=now - datetime.timedelta(seconds=count - i),
            read_at=now if read else None,
        )
        for i in range(count)
    )
    if not read:  # as the services keep it
        User.objects.filter(pk=recipient.pk).update(
            unread_notifications=F("unread_notifications") + count
        )
    return made


# --- helpers for requests ---

# The header htmx sends with each of its requests, for `client.get(..., headers=HTMX)`.
HTMX = {"HX-Request": "true"}


def step_url(course: Course, week: int = 1, position: int = 2) -> str:
    """The step page, where the step's conversation is."""
    return step_of(course, week, position).get_absolute_url()


def comments_url(name: str, course: Course, *args, week: int = 1, position: int = 2) -> str:
    """The URL named comments:<name> of a step, e.g. comments_url("reply", course, comment.pk)."""
    return reverse(f"comments:{name}", args=[course.slug, week, position, *args])


def expect_queries(
    client: Client,
    django_assert_num_queries: "DjangoAssertNumQueries",
    url: str,
    expected: int,
    **kwargs: Any,
) -> "TestResponse":
    """GETs url, which must answer 200 in exactly `expected` queries, counting the one that
    loads the session of a signed-in client. That is a query only when sessions live in the
    database: with REDIS_URL set they live in the cache, and the count is one less."""
    with django_assert_num_queries(counted(client, expected)):
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return response


def counted(client: Client, expected: int) -> int:
    """`expected` queries of a request that reads a signed-in client's session, as the
    database counts them: one less when sessions live in the cache (REDIS_URL set)."""
    if not settings.SESSION_ENGINE.endswith(".db") and client.cookies.get(
        settings.SESSION_COOKIE_NAME
    ):
        return expected - 1
    return expected


def load_settings(**env: str) -> dict:
    """stoa.settings as a fresh process reads them from this environment (and none of the
    STOA_, DATABASE_URL and REDIS_URL variables of the test run's own)."""
    script = (
        "import json, stoa.settings as s;"
        "print(json.dumps({k: getattr(s, k) for k in dir(s) if k.isupper()}, default=str))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STOA_", "DATABASE_URL"))}
    clean.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**clean, "STOA_DATA_DIR": "/tmp/stoa-settings-test", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- Peer review ---------------------------------------------------------------------------
# Each builder imports the peer-review models itself, so that this block needs no change to
# the imports at the top of the file.

PEER_RUBRIC = ("Is the claim clear?", "Is the number put in context?")


def make_peer_step(
    course: Course,
    *,
    week: int = 1,
    min_words: int = 20,
    reviews_required: int = 2,
    rubric: tuple[str, ...] = PEER_RUBRIC,
) -> Step:
    """A peer-review step added at the end of the week, with its settings, stored as the
    package import stores one."""
    week_row = Week.objects.get(course=course, number=week)
    position = week_row.steps.count() + 1
    step = Step.objects.create(
        week=week_row,
        position=position,
        slug=f"review-{position}",
        title="Review a news story",
        type=StepType.PEER_REVIEW,
        activity="Bringing it all together",
        body="Choose a news story that rests on a number and review how it handles it.",
    )
    PeerReviewSettings.objects.create(
        step=step, min_words=min_words, reviews_required=reviews_required, rubric=list(rubric)
    )
    Course.objects.filter(pk=course.pk).update(step_count=course.step_count + 1)
    return step_of(course, week, position)


def peer_text(words: int, *, topic: str = "rates") -> str:
    """A text of exactly `words` words, as count_words counts them."""
    sentence = f"The story about {topic} gives a number without saying what it is compared with"
    vocabulary = sentence.split()
    return " ".join(vocabulary[n % len(vocabulary)] for n in range(words)) + "."


def make_peer_submission(
    user: User,
    step: Step,
    *,
    run: CourseRun | None = None,
    words: int = 30,
    submitted: bool = True,
    ago: datetime.timedelta = datetime.timedelta(0),
):
    """The user's work on the step, in their run (or run=), written straight to the database."""
    from stoa.assessments.models import PeerSubmission

    run = run or Enrolment.objects.get(user=user, course_id=step.week.course_id).run
    at = timezone.now() - ago
    return PeerSubmission.objects.create(
        user=user,
        run=run,
        step=step,
        text=peer_text(words),
        word_count=words,
        created_at=at,
        updated_at=at,
        submitted_at=at if submitted else None,
    )


def make_peer_submissions(
    step: Step,
    run: CourseRun,
    count: int,
    *,
    assigned: int = 0,
    prefix: str = "author",
    ago: datetime.timedelta = datetime.timedelta(0),
) -> list:
    """count learners of the run who submitted work on the step a minute apart, oldest
    first and the newest a minute before `ago` ago, written in bulk. With assigned=, each
    already has that many reviews given or reserved, as far as allocation can tell (no
    review rows are written)."""
    from stoa.assessments.models import PeerSubmission

    users = User.objects.bulk_create(
        User(email=f"{prefix}-{step.pk}-{n}@example.org", display_name=f"{prefix.title()} {n}")
        for n in range(count)
    )
    now = timezone.now() - ago
    Enrolment.objects.bulk_create(
        Enrolment(user=user, run=run, course_id=run.course_id, joined_at=now) for user in users
    )
    return PeerSubmission.objects.bulk_create(
        PeerSubmission(
            user=user,
            run=run,
            step=step,
            text=peer_text(30, topic=f"topic {n}"),
            word_count=30,
            created_at=now - datetime.timedelta(minutes=count - n),
            updated_at=now - datetime.timedelta(minutes=count - n),
            submitted_at=now - datetime.timedelta(minutes=count - n),
            review_count=assigned,
            assigned=assigned,
        )
        for n, user in enumerate(users)
    )


def make_peer_reviews(submission, count: int, *, prefix: str = "reviewer") -> list:
    """count learners of the work's run who reviewed it (each answering every rubric line),
    written in bulk, with the work's counters to match."""
    from stoa.assessments.models import PeerReview, PeerSubmission

    rubric = submission.step.peer_review.rubric
    reviewers = make_peer_submissions(
        submission.step, submission.run, count, prefix=f"{prefix}-{submission.pk}"
    )
    now = timezone.now()
    reviews = PeerReview.objects.bulk_create(
        PeerReview(
            submission=submission,
            reviewer_id=reviewer.user_id,
            run=submission.run,
            step=submission.step,
            answers=[f"Answer {n} to “{question}”" for question in rubric],
            created_at=now - datetime.timedelta(seconds=count - n),
        )
        for n, reviewer in enumerate(reviewers)
    )
    PeerSubmission.objects.filter(pk=submission.pk).update(
        review_count=submission.review_count + count, assigned=submission.assigned + count
    )
    submission.refresh_from_db()
    return reviews


def make_waiting_comments(
    author: User, course: Course, count: int, *, step: tuple[int, int] = (1, 2), **fields
) -> list[Comment]:
    """count learner comments waiting for the team on a step of the course's first run (or
    run=), a second apart, the newest now, with the step's WaitingCount to match: in bulk."""
    from stoa.conversation.models import WaitingCount

    run = fields.pop("run", None) or course.runs.earliest("pk")
    on = step_of(course, *step)
    now = timezone.now()
    html = render_comment_markdown("Thanks, this was clear.")
    comments = Comment.objects.bulk_create(
        Comment(
            run=run,
            step=on,
            author=author,
            body="Thanks, this was clear.",
            body_html=html,
            created_at=now - datetime.timedelta(seconds=count - n),
            waiting=True,
            **fields,
        )
        for n in range(count)
    )
    counted, _ = WaitingCount.objects.get_or_create(run=run, step=on)
    WaitingCount.objects.filter(pk=counted.pk).update(count=F("count") + count)
    return comments
