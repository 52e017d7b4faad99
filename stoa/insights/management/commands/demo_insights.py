"""A cohort for the demo's dashboard: learners who joined over the run's first days, worked
through the steps (fewer at each step, as on every course), answered the quizzes and tests
(some wrong at first), and earned what they earned. `stoa demo` runs it; it writes once.

Everything goes through the services, as learners' own requests would, so the tallies are
kept as they are for real learners; then the joining and visiting dates are spread over the
run's days and the run's tallies counted again from them (`stoa insights recount`). The mail
their progress sends (certificates earned) goes nowhere, at once and quietly: they are not
people, and mail printed to the console would bury the logins that `make run` prints."""

import datetime
import logging
import random

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from stoa.accounts.models import User
from stoa.assessments.questions.services import answer_question
from stoa.certificates.models import Certificate
from stoa.courses.models import Course, Step, StepType
from stoa.insights.services import recount_tallies
from stoa.learning import services as learning
from stoa.learning.models import Enrolment, StepCompletion, StepVisit
from stoa.lib.refusals import Refused

COHORT = 60
SEED = 2026
INLINE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
NO_MAIL = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
QUIET = ("django.tasks", "stoa")  # their INFO lines, a few per demo learner
SELF_COMPLETED = {StepType.ARTICLE, StepType.VIDEO, StepType.AUDIO, StepType.DISCUSSION}


class Command(BaseCommand):
    help = "Adds a cohort of demo learners with their progress, for the demo's dashboard."

    def handle(self, *args, **options):
        for course in Course.objects.order_by("pk"):
            run = course.runs.order_by("starts_on").first()
            if (
                run is None
                or Enrolment.objects.filter(run=run, user__email__startswith="cohort-").exists()
            ):
                continue
            logs = [logging.getLogger(name) for name in QUIET]
            levels = [log.level for log in logs]
            for log in logs:
                log.setLevel(logging.WARNING)
            try:
                with override_settings(TASKS=INLINE_TASKS, MAILERS=NO_MAIL):
                    self._cohort(course, run)
            finally:
                for log, level in zip(logs, levels, strict=True):
                    log.setLevel(level)
            self.stdout.write(f"Demo cohort of {COHORT} learners on {course.title}")

    @transaction.atomic
    def _cohort(self, course: Course, run) -> None:
        rng = random.Random(SEED)
        steps = list(
            Step.objects.filter(week__course=course)
            .select_related("week")
            .order_by("week__number", "position")
        )
        days_open = max(1, (timezone.localdate() - run.starts_on).days)
        for number in range(COHORT):
            user = User.objects.create_user(
                f"cohort-{number}@example.com", None, display_name=f"Demo learner {number + 1}"
            )
            enrolment = learning.enrol(user=user, course=course)
            # Each learner gets a little less far than the one before, at random; one in ten
            # joined yesterday and is still at it, so that every week so far has learners.
            recent = number % 10 == 9
            reach = max(4 if recent else 1, int(len(steps) * rng.betavariate(1.2, 1.6)))
            for step in steps[:reach]:
                enrolment = Enrolment.objects.select_related("run").get(pk=enrolment.pk)
                learning.record_visit(enrolment=enrolment, step=step)
                if step.type in SELF_COMPLETED and rng.random() < 0.85:
                    learning.complete_step(enrolment=enrolment, step=step)
                elif step.type in (StepType.QUIZ, StepType.TEST):
                    self._answer(user, step, rng)
            self._spread(enrolment, rng, days_open, recent=recent)
        recount_tallies(run)

    def _answer(self, user: User, step: Step, rng: random.Random) -> None:
        for question in step.questions.prefetch_related("options").order_by("position"):
            options = list(question.options.order_by("position"))
            right = [option.position for option in options if option.correct]
            wrong = [option.position for option in options if not option.correct][:1]
            tries = [wrong, right] if wrong and rng.random() < 0.3 else [right]
            for attempt, choices in enumerate(tries, start=1):
                try:
                    answer_question(
                        user=user,
                        step=step,
                        position=question.position,
                        choices=choices,
                        attempt=attempt,
                    )
                except Refused:
                    break

    def _spread(
        self, enrolment: Enrolment, rng: random.Random, days_open: int, *, recent: bool
    ) -> None:
        """Moves the learner's joining and visits back over the run's days so far: by days
        from today's midnight, so that the weeks they fall in do not depend on the hour the
        demo is made. A recent learner joined yesterday, from 7 in the morning, so that their
        fourth visit, six hours apart, is today's."""
        joined_day = days_open - 1 if recent else min(int(rng.expovariate(0.35)), days_open - 1)
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        joined = midnight - datetime.timedelta(
            days=days_open - joined_day, hours=-rng.randint(7, 20)
        )
        Enrolment.objects.filter(pk=enrolment.pk).update(joined_at=joined)
        last_seen = joined
        for offset, visit in enumerate(
            StepVisit.objects.filter(enrolment=enrolment).order_by("first_visited_at")
        ):
            seen = min(
                joined + datetime.timedelta(hours=6 * offset + rng.randint(0, 5)), timezone.now()
            )
            StepVisit.objects.filter(pk=visit.pk).update(
                first_visited_at=seen, last_visited_at=seen
            )
            StepCompletion.objects.filter(enrolment=enrolment, step_id=visit.step_id).update(
                completed_at=seen
            )
            last_seen = seen
        Enrolment.objects.filter(pk=enrolment.pk).update(last_activity_at=last_seen)
        # Certificates came with the completion that earned them: about the last one.
        Certificate.objects.filter(enrolment=enrolment).update(issued_at=last_seen)
