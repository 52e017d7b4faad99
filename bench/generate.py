"""Generates the benchmark's data: the demo course with one big run and three small ones.

The big run has 100,000 learners and 1,000,000 comments: 100,000 on one discussion step (the
"hot" step), 10 on another discussion step (the "quiet" step), the rest spread over the other
steps. About a fifth are replies, about a tenth are liked (with a Like row per like), a few
are edited, hidden by a moderator (with the log entry) or written by the course team.

Two later cohorts of the same course have small conversations on the hot step: 10 comments
(two of them replies), so that the very same page can be compared with 100,000 comments and
with 10, and 30 comments (four of them replies), one thread more than a full page, so that the
cost of 100,000 comments can be told apart from the cost of showing 25 comments rather
than 10. Replies go mostly to recent threads, so the big run's newest page has threads with
replies as the small conversations do.

The big run is in its third week, so that its learners can answer the test (in week 3) as
well as mark steps complete. A third small cohort, with every week open too and no comments,
is where the same submissions are counted against 50 learners rather than 100,000.

Some learners finished the course before anything issued their certificates, as in data
imported from elsewhere: 1% of the big run (the last 1,000 of its learners) and the last
learner of the cohort with every week open. Their records say so (every step completed, every
test done at full marks: the counters on the enrolment that certificates read, and a
completion row for each step), and they hold no certificate, so that `stoa certificate issue`
has certificates to issue. Certificates are issued the moment a learner's own write crosses
the line; the command is for learners who crossed it before, so the generator sets the record
directly, in bulk.

Everything is deterministic (one seeded random generator), ids are given explicitly so that
replies can name their parents without reading them back, and rows go in with bulk_create in
batches, one transaction per batch. Passwords are hashed once and the hash is shared.

    python -m bench.generate [--small]     # into the database the environment names
"""

import argparse
import datetime
import os
import random
import sys
import time
from array import array
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO_PACKAGE = REPO / "demo" / "numbers-in-the-news"
BATCH = 10_000
SEED = 20261122
BENCH_PASSWORD = "bench-learner-password"  # throwaway benchmark databases only
HOT_STEP = (1, 3)  # a discussion step: the conversation is the page's main content
QUIET_STEP = (2, 5)  # the other discussion step
COMPLETE_STEP = (3, 2)  # an article step, marked complete under load
TEST_STEP = (3, 3)  # the course test, answered under load


@dataclass(frozen=True)
class Scale:
    learners: int = 100_000
    comments: int = 1_000_000
    hot: int = 100_000
    quiet: int = 10
    cohort_learners: int = 50  # in each of the three small cohorts
    # Learners of the big run who finished the course and hold no certificate yet (the last
    # ones), and of the cohort with every week open (its last one).
    finishers: int = 1_000
    cohort_finishers: int = 1
    # Learners who get follows, bookmarks and notifications, and whose sessions load pages.
    viewers: int = 300


FULL = Scale()
SMALL = Scale(learners=5_000, comments=50_000, hot=5_000, viewers=300, finishers=50)


@dataclass
class Dataset:
    """What the harness needs to know about the generated data."""

    course_slug: str
    hot_step: tuple[int, int]
    quiet_step: tuple[int, int]
    complete_step: tuple[int, int]
    test_step: tuple[int, int]
    big_run_id: int
    later_run_id: int  # 10 comments on the hot step
    full_page_run_id: int  # 30 comments on the hot step
    open_weeks_run_id: int  # every week open, no comments
    big_run_learner_ids: tuple[int, int]  # first and last id, inclusive
    later_run_learner_ids: tuple[int, int]
    full_page_run_learner_ids: tuple[int, int]
    open_weeks_run_learner_ids: tuple[int, int]
    educator_id: int
    # Learners who finished and hold no certificate yet: the last of the big run, and of the
    # cohort with every week open (first and last id, inclusive); and the certificates they
    # have earned, in each of the two runs (keys "big" and "small").
    finisher_ids: tuple[int, int] = (0, 0)
    cohort_finisher_ids: tuple[int, int] = (0, 0)
    certificates_earned: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict:
        return asdict(self)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stoa.settings")
    import django

    django.setup()


# Comment texts, rendered once by the app's own renderer and shared by every comment.
_OPENINGS = [
    "I saw a headline this week claiming that",
    "My local paper reported that",
    "A friend shared a post saying that",
    "On the radio this morning they said that",
    "Our council's newsletter says that",
]
_CLAIMS = [
    "crime had *doubled* in a year",
    "one in three people will be affected",
    "a new drug cuts the risk by 50%",
    "house prices rose faster than ever",
    "most people now work from home",
    "the average wait is down to 12 weeks",
]
_THOUGHTS = [
    "Reading this step, I now want to know **what it is being compared with**.",
    "Who counted, and what did they count as a case?",
    "The denominator was never mentioned, which is the first thing I'd ask about.",
    "The [original report](https://example.org/report) tells a calmer story.",
    "I'd like to see the absolute numbers before I believe the percentage.",
    "- Where does the number come from?\n- Compared with what?\n- Is it a fair comparison?",
]


def _bodies() -> list[tuple[str, str]]:
    from stoa.lib.markdown import render_comment_markdown

    rng = random.Random(SEED)
    bodies = []
    for index in range(60):
        text = f"{rng.choice(_OPENINGS)} {rng.choice(_CLAIMS)}."
        for _ in range(index % 3 + 1):
            text += "\n\n" + rng.choice(_THOUGHTS)
        bodies.append((text, render_comment_markdown(text)))
    return bodies


class Laps:
    """Times the phases of making data: each lap's seconds, printed and kept in `seconds`."""

    def __init__(self, seconds: dict[str, float] | None = None) -> None:
        self.seconds = {} if seconds is None else seconds
        self.started = time.perf_counter()

    def lap(self, name: str, rows: int | None = None) -> None:
        now = time.perf_counter()
        seconds = now - self.started
        self.seconds[name] = round(seconds, 1)
        rate = f" ({rows / seconds:,.0f} rows/s)" if rows and seconds else ""
        print(f"  {name}: {seconds:,.1f} s{rate}", flush=True)
        self.started = now


def generate(scale: Scale = FULL) -> Dataset:
    """Fills an empty, migrated database. Refuses a database that already has courses."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from stoa.accounts.models import User
    from stoa.conversation.models import (
        Bookmark,
        Comment,
        Follow,
        Like,
        ModerationAction,
        Notification,
    )
    from stoa.courses.models import Course, CourseRun, CourseTeamMember, Step, TeamRole
    from stoa.courses.services import import_package
    from stoa.learning.models import Enrolment, StepCompletion

    if Course.objects.exists():
        raise SystemExit("The benchmark needs an empty database; this one has courses.")
    rng = random.Random(SEED)
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate()
    started = time.perf_counter()
    print(
        f"Generating {scale.learners:,} learners and {scale.comments:,} comments "
        f"({scale.hot:,} on one step) on {connection.vendor}",
        flush=True,
    )

    course = import_package(root=DEMO_PACKAGE).course
    # The big run started 15 days ago: all three weeks are open (week 3 since yesterday), so
    # its learners can answer the test. The cohort with every week open started a day later,
    # so that the big run stays the course's earliest open run: the one visitors see. The two
    # cohorts with small conversations start today.
    big_run = CourseRun.objects.create(course=course, starts_on=today - datetime.timedelta(days=15))
    later_run = CourseRun.objects.create(course=course, starts_on=today)
    full_page_run = CourseRun.objects.create(course=course, starts_on=today)
    open_weeks_run = CourseRun.objects.create(
        course=course, starts_on=today - datetime.timedelta(days=14)
    )
    assert big_run.ends_on >= today, "the big run must still be open for visitors"
    steps = list(
        Step.objects.filter(week__course=course)
        .select_related("week")
        .order_by("week__number", "position")
    )
    by_number = {(step.week.number, step.position): step for step in steps}
    hot, quiet = by_number[HOT_STEP], by_number[QUIET_STEP]
    assert hot.type == quiet.type == "discussion", "the demo course's discussion steps moved"
    assert by_number[COMPLETE_STEP].type == "article", "the demo course's article step moved"
    assert by_number[TEST_STEP].type == "test", "the demo course's test moved"
    others = [step for step in steps if step not in (hot, quiet)]

    password = make_password(BENCH_PASSWORD)
    educator = User.objects.create(
        email="educator@bench.example", display_name="Dr Julian Marsh", password=password
    )
    lead = course.team.get(role=TeamRole.LEAD_EDUCATOR)
    CourseTeamMember.objects.filter(pk=lead.pk).update(user=educator)
    dataset = Dataset(
        course_slug=course.slug,
        hot_step=HOT_STEP,
        quiet_step=QUIET_STEP,
        complete_step=COMPLETE_STEP,
        test_step=TEST_STEP,
        big_run_id=big_run.pk,
        later_run_id=later_run.pk,
        full_page_run_id=full_page_run.pk,
        open_weeks_run_id=open_weeks_run.pk,
        big_run_learner_ids=(0, 0),
        later_run_learner_ids=(0, 0),
        full_page_run_learner_ids=(0, 0),
        open_weeks_run_learner_ids=(0, 0),
        educator_id=educator.pk,
    )
    clock = Laps(dataset.seconds)
    clock.lap("course")

    # Learners: the big run's, then each small cohort's.
    first_user = educator.pk + 1
    user_count = scale.learners + 3 * scale.cohort_learners
    joined = timezone.make_aware(datetime.datetime.combine(big_run.starts_on, datetime.time(8)))
    for start in range(0, user_count, BATCH):
        with transaction.atomic():
            User.objects.bulk_create(
                User(
                    id=first_user + n,
                    email=f"learner{n:06d}@bench.example",
                    display_name=f"Learner {n}",
                    password=password,
                    date_joined=joined,
                )
                for n in range(start, min(start + BATCH, user_count))
            )
    dataset.big_run_learner_ids = (first_user, first_user + scale.learners - 1)
    later_first_user = first_user + scale.learners
    full_page_first_user = later_first_user + scale.cohort_learners
    open_weeks_first_user = full_page_first_user + scale.cohort_learners
    dataset.later_run_learner_ids = (later_first_user, full_page_first_user - 1)
    dataset.full_page_run_learner_ids = (full_page_first_user, open_weeks_first_user - 1)
    dataset.open_weeks_run_learner_ids = (open_weeks_first_user, first_user + user_count - 1)
    run_of_user = [
        (open_weeks_first_user, open_weeks_run),
        (full_page_first_user, full_page_run),
        (later_first_user, later_run),
    ]
    clock.lap("users", user_count)

    for start in range(0, user_count, BATCH):
        with transaction.atomic():
            Enrolment.objects.bulk_create(
                Enrolment(
                    id=n + 1,
                    user_id=first_user + n,
                    run=next(
                        (run for first, run in run_of_user if first_user + n >= first), big_run
                    ),
                    course=course,
                    joined_at=joined + datetime.timedelta(seconds=n),
                )
                for n in range(start, min(start + BATCH, user_count))
            )
    # The runs' learner counts, as enrolling keeps them.
    for run, learners in (
        (big_run, scale.learners),
        (later_run, scale.cohort_learners),
        (full_page_run, scale.cohort_learners),
        (open_weeks_run, scale.cohort_learners),
    ):
        CourseRun.objects.filter(pk=run.pk).update(learner_count=learners)
    clock.lap("enrolments", user_count)

    big_last = first_user + scale.learners - 1
    cohort_last = first_user + user_count - 1
    dataset.finisher_ids = (big_last - scale.finishers + 1, big_last)
    dataset.cohort_finisher_ids = (cohort_last - scale.cohort_finishers + 1, cohort_last)
    finished = [dataset.finisher_ids, dataset.cohort_finisher_ids]
    rows, kinds = _finish(course, steps, finished, now - datetime.timedelta(hours=1))
    dataset.certificates_earned = {
        "big": scale.finishers * kinds,
        "small": scale.cohort_finishers * kinds,
    }
    clock.lap("finished learners", rows)

    # Pass 1: decide every comment's step, parent, author and counters, in time order.
    total = scale.comments
    plan_steps = [hot.pk] * scale.hot + [quiet.pk] * scale.quiet
    rest = total - len(plan_steps)
    plan_steps += [others[n % len(others)].pk for n in range(rest)]
    rng.shuffle(plan_steps)
    step_of = array("q", plan_steps)
    del plan_steps
    parent = array("q", bytes(8 * total))  # offset + 1, 0 for top-level comments
    replies = array("I", bytes(4 * total))
    likes = array("I", bytes(4 * total))
    tops: dict[int, list[int]] = {}
    # A few threads take off: they draw a quarter of the replies and many likes, so "Most
    # liked" and "Show all replies" meet threads with hundreds of replies.
    popular: dict[int, list[int]] = {}
    for i in range(total):
        step = step_of[i]
        step_tops = tops.setdefault(step, [])
        step_popular = popular.setdefault(step, [])
        if step_tops and rng.random() < 0.2:
            if step_popular and rng.random() < 0.25:
                target = step_popular[-rng.randint(1, min(20, len(step_popular)))]
            else:
                # Mostly to recent threads, as people answer what they have just read: the
                # newest page of a busy step has threads with replies, as a small one does.
                back = min(1 + int(rng.expovariate(1 / 15)), 200, len(step_tops))
                target = step_tops[-back]
            parent[i] = target + 1
            replies[target] += 1
        else:
            step_tops.append(i)
            if rng.random() < 0.0005 or len(step_tops) == 1:
                step_popular.append(i)
                likes[i] = rng.randint(50, 400)
                continue
        if rng.random() < 0.1:
            likes[i] = min(1 + int(rng.expovariate(0.4)), 60)
    del tops, popular
    clock.lap("comment plan")

    # Pass 2: write them. Comments arrive evenly over the past week (from 08:00 a week ago),
    # as they did when the run was a week old, so the conversation pages show the same dates.
    bodies = _bodies()
    first_comment = 1
    comments_from = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=7), datetime.time(8))
    )
    span = (now - datetime.timedelta(minutes=5) - comments_from).total_seconds()
    team_comments = hidden = edited = 0
    hidden_ids: list[tuple[int, datetime.datetime]] = []
    for start in range(0, total, BATCH):
        batch = []
        for i in range(start, min(start + BATCH, total)):
            created = comments_from + datetime.timedelta(seconds=span * i / total)
            text, html = bodies[i % len(bodies)]
            by_team = rng.random() < 0.005
            comment = Comment(
                id=first_comment + i,
                run_id=big_run.pk,
                step_id=step_of[i],
                author_id=educator.pk if by_team else first_user + rng.randrange(scale.learners),
                parent_id=first_comment + parent[i] - 1 if parent[i] else None,
                body=text,
                body_html=html,
                team_role=TeamRole.LEAD_EDUCATOR if by_team else "",
                created_at=created,
                like_count=likes[i],
                reply_count=replies[i],
            )
            team_comments += by_team
            roll = rng.random()
            if roll < 0.002 and not parent[i]:
                comment.hidden_at = created + datetime.timedelta(hours=1)
                comment.hidden_reason = "Off topic for this step."
                hidden_ids.append((comment.id, comment.hidden_at))
                hidden += 1
            elif roll < 0.02:
                comment.edited_at = created + datetime.timedelta(minutes=3)
                edited += 1
            batch.append(comment)
        with transaction.atomic():
            Comment.objects.bulk_create(batch)
        if (start // BATCH) % 20 == 19:
            print(f"    {start + len(batch):,} comments", flush=True)

    # The small cohorts' conversations on the same step, with some replies as on the big
    # run's newest page: 10 comments, two of them replies; and 30, four of them replies, so
    # that 26 threads fill a page of 25.
    def cohort(run, learners: range, count: int, replies_at: tuple[int, ...], first_id: int):
        for n in range(count):
            yield Comment(
                id=first_id + n,
                run_id=run.pk,
                step_id=hot.pk,
                author_id=learners[n % len(learners)],
                parent_id=first_id + n - 3 if n in replies_at else None,
                body=bodies[n][0],
                body_html=bodies[n][1],
                created_at=now - datetime.timedelta(minutes=60 - n),
                reply_count=1 if n + 3 in replies_at else 0,
                like_count=0,
            )

    later_learners = range(later_first_user, full_page_first_user)
    full_page_learners = range(full_page_first_user, open_weeks_first_user)
    small = [
        *cohort(later_run, later_learners, 10, (4, 8), first_comment + total),
        *cohort(full_page_run, full_page_learners, 30, (7, 14, 21, 28), first_comment + total + 10),
    ]
    Comment.objects.bulk_create(small)
    clock.lap("comments", total)

    with transaction.atomic():
        ModerationAction.objects.bulk_create(
            ModerationAction(
                comment_id=comment_id,
                moderator_id=educator.pk,
                kind=ModerationAction.Kind.HIDE,
                reason="Off topic for this step.",
                created_at=hidden_at,
            )
            for comment_id, hidden_at in hidden_ids
        )

    # Likes: one row per like, by distinct learners.
    like_rows = 0
    batch_likes: list = []
    for i in range(total):
        if not likes[i]:
            continue
        created = comments_from + datetime.timedelta(seconds=span * i / total + 60)
        for user_offset in rng.sample(range(scale.learners), likes[i]):
            batch_likes.append(
                Like(
                    comment_id=first_comment + i,
                    user_id=first_user + user_offset,
                    created_at=created,
                )
            )
        if len(batch_likes) >= BATCH:
            with transaction.atomic():
                Like.objects.bulk_create(batch_likes)
            like_rows += len(batch_likes)
            batch_likes = []
    Like.objects.bulk_create(batch_likes)
    like_rows += len(batch_likes)
    clock.lap("likes", like_rows)

    # What the learners who load pages have around them: follows, bookmarks, notifications.
    hot_ids = [first_comment + i for i in range(total) if step_of[i] == hot.pk and not parent[i]]
    follows, bookmarks, notifications = [], [], []
    for viewer in range(scale.viewers):
        user_id = first_user + viewer
        for followed in rng.sample(range(scale.viewers, scale.learners), 20):
            follows.append(
                Follow(follower_id=user_id, followed_id=first_user + followed, created_at=now)
            )
        for comment_id in rng.sample(hot_ids, 10):
            bookmarks.append(Bookmark(user_id=user_id, comment_id=comment_id, created_at=now))
        for n in range(20):
            notifications.append(
                Notification(
                    recipient_id=user_id,
                    kind=Notification.Kind.LIKE,
                    actor_id=first_user + rng.randrange(scale.learners),
                    comment_id=rng.choice(hot_ids),
                    created_at=now - datetime.timedelta(hours=n),
                    read_at=None if n < 5 else now,
                )
            )
    with transaction.atomic():
        Follow.objects.bulk_create(follows, batch_size=BATCH)
        Bookmark.objects.bulk_create(bookmarks, batch_size=BATCH)
        # Each comment's bookmark_count, one update per distinct count.
        saved_by_count: dict[int, list[int]] = {}
        for comment_id, count in Counter(b.comment_id for b in bookmarks).items():
            saved_by_count.setdefault(count, []).append(comment_id)
        for count, comment_ids in saved_by_count.items():
            Comment.objects.filter(pk__in=comment_ids).update(bookmark_count=count)
        Notification.objects.bulk_create(notifications, batch_size=BATCH)
    clock.lap("follows, bookmarks, notifications")

    _after_load(connection, [User, Enrolment, Comment])
    clock.lap("sequences and statistics")

    dataset.counts = {
        "learners": scale.learners,
        "learners in each small cohort": scale.cohort_learners,
        "enrolments": Enrolment.objects.count(),
        "learners who finished, holding no certificate yet (big run)": scale.finishers,
        "learners who finished, holding no certificate yet (cohort with every week open)": (
            scale.cohort_finishers
        ),
        "step completions": StepCompletion.objects.count(),
        "comments": Comment.objects.count(),
        "comments on the hot step (big run)": Comment.objects.filter(run=big_run, step=hot).count(),
        "top-level comments on the hot step (big run)": Comment.objects.filter(
            run=big_run, step=hot, parent=None
        ).count(),
        "comments on the quiet step (big run)": Comment.objects.filter(
            run=big_run, step=quiet
        ).count(),
        "comments on the hot step (10-comment cohort)": Comment.objects.filter(
            run=later_run, step=hot
        ).count(),
        "comments on the hot step (30-comment cohort)": Comment.objects.filter(
            run=full_page_run, step=hot
        ).count(),
        "replies": Comment.objects.exclude(parent=None).count(),
        "likes": Like.objects.count(),
        "hidden comments": hidden,
        "edited comments": edited,
        "comments by the course team": team_comments,
    }
    dataset.seconds["total"] = round(time.perf_counter() - started, 1)
    print(f"  generated in {dataset.seconds['total']:,.1f} s", flush=True)
    return dataset


def _finish(course, steps, learners: list[tuple[int, int]], at) -> tuple[int, int]:
    """Gives the learners (ranges of user ids, inclusive) the record of one who finished the
    course: a completion of every step, and on the enrolment every step completed and every
    test question and test done, at full marks. Returns the rows written, and how many
    certificates such a record earns (a kind for each the course offers)."""
    from django.db import transaction

    from stoa.certificates.services import Requirements, earned_kinds
    from stoa.courses.models import Course
    from stoa.learning.extensions import LearnerRecord
    from stoa.learning.models import Enrolment, StepCompletion

    course = Course.objects.get(pk=course.pk)  # with the counts the import keeps
    assert course.step_count == len(steps), "the course's step count disagrees with its steps"
    rows = 0
    for first, last in learners:
        enrolments = Enrolment.objects.filter(course=course, user_id__gte=first, user_id__lte=last)
        enrolment_ids = list(enrolments.order_by("pk").values_list("pk", flat=True))
        with transaction.atomic():
            rows += enrolments.update(
                completed_count=course.step_count,
                test_questions_done=course.test_question_count,
                tests_done=course.test_count,
                test_score_sum=100 * 100 * course.test_count,  # hundredths of a percent
                last_step=steps[-1],
                last_activity_at=at,
            )
            completions = [
                StepCompletion(enrolment_id=enrolment_id, step=step, completed_at=at)
                for enrolment_id in enrolment_ids
                for step in steps
            ]
            StepCompletion.objects.bulk_create(completions, batch_size=BATCH)
            rows += len(completions)
    record = LearnerRecord.read(enrolment_ids[0])
    kinds = earned_kinds(record, Requirements.of(record))
    assert kinds, "a learner who finished the demo course earns no certificate"
    return rows, len(kinds)


def _after_load(connection, models) -> None:
    """Moves id sequences past the explicit ids, and gives PostgreSQL's planner statistics,
    as autovacuum would soon after a real bulk load. SQLite is left as the app would find
    it: the app never runs ANALYZE there, so the benchmark should not either."""
    from django.core.management.color import no_style

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
    # VACUUM cannot run inside a transaction; Django's connection is in autocommit here.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a small data set, for trying out")
    args = parser.parse_args(argv)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    dataset = generate(SMALL if args.small else FULL)
    print(dataset.as_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
